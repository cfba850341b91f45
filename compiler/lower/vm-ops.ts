// Program lowering of ops that run as VM builtins rather than kernels (trait 'vm': the ONNX
// sequence and optional ops, ir/ops/sequence.ts). Each entry emits the builtins for one node
// through the VmEmitter that compiler/lower/program.ts hands it; program.ts then binds run-time
// dims of tensor outputs. Positions are integer registers read with `load_int` (e.scalar).
// Sequences are immutable in the VM (seq_insert/seq_erase write a new register), so no entry
// copies a tensor before putting it into a sequence: kernels never write into their inputs.

import type { Dim } from '../../ir/dim.js';
import { dtypeInfo } from '../../ir/dtype.js';
import type { Node, Value } from '../../ir/graph.js';
import { nodeAttrs } from '../../ir/ops/declare.js';
import { CONCAT_FROM_SEQUENCE_ATTRS, SPLIT_TO_SEQUENCE_ATTRS } from '../../ir/ops/sequence.js';
import type { ProgramWriter } from '../../codegen/vm-program.js';

export interface VmEmitter {
  readonly a: ProgramWriter;
  /** The register holding a value (tensor or sequence), materialising constants and shapes. */
  tensor(v: Value): number;
  /** A fresh register defining `v` (an output of the node being lowered). */
  define(v: Value): number;
  /** An integer register with element 0 of an integer tensor value. */
  scalar(v: Value): number;
  intConst(x: number | bigint): number;
  dimReg(d: Dim): number;
}

export type VmLowering = (n: Node, e: VmEmitter) => void;

const code = (v: Value) => dtypeInfo(v.type.dtype).code;
/** The `pos` operand: 0 registers when the position input is absent, else 1. */
const pos = (e: VmEmitter, v: Value | null | undefined) => (v ? [e.scalar(v)] : []);

function intOp(e: VmEmitter, op: Parameters<ProgramWriter['intOp']>[0], x: number, y: number): number {
  const dst = e.a.reg();
  e.a.intOp(op, dst, x, y);
  return dst;
}

function splitToSequence(n: Node, e: VmEmitter): void {
  const [x, split] = n.inputs;
  const src = e.tensor(x!);
  const { axis, keepdims } = nodeAttrs(SPLIT_TO_SEQUENCE_ATTRS, n);
  const dst = e.define(n.outputs[0]);
  const count = split?.type.shape[0];
  if (!split || typeof count === 'number') {
    const sizes = split ? Array.from({ length: count as number }, (_, index) => {
      const r = e.a.reg();
      e.a.emit('load_int', { dst: r, tensor: e.tensor(split), index });
      return r;
    }) : [];
    e.a.emit('seq_split', { dst, tensor: src, axis, sizes, keepdims: split ? 1 : keepdims });
    return;
  }
  splitLoop(e, dst, src, code(x!), axis, split);
}

/**
 * Splits whose number of pieces is known only at run time: a scalar `split` (pieces of that size,
 * the last one smaller) or a vector of run-time length. A VM loop cuts [offset, size, rest] with
 * seq_split and keeps the middle piece; a vector's sizes must add up to the extent (KR0204).
 */
function splitLoop(e: VmEmitter, dst: number, src: number, dtype: number, axis: number, split: Value): void {
  const a = e.a;
  const extent = a.reg();
  a.emit('dim', { dst: extent, tensor: src, axis });
  const [zero, one] = [e.intConst(0), e.intConst(1)];
  const scalar = split.type.shape.length === 0;
  const size = scalar ? e.scalar(split) : a.reg();
  if (scalar) a.emit('check', { cond: intOp(e, 'gt', size, zero), code: 204,
    message: 'SplitToSequence: split must be positive' });
  const parts = a.reg(), count = a.reg(), k = a.reg();
  if (!scalar) {
    a.emit('seq_split', { dst: parts, tensor: e.tensor(split), axis: 0, sizes: [], keepdims: 0 });
    a.emit('seq_length', { dst: count, seq: parts });
  }
  a.emit('seq_empty', { dst, dtype });
  const off = a.reg();
  a.emit('move', { dst: off, src: zero });
  a.emit('move', { dst: k, src: zero });
  const [head, body, exit] = [a.label(), a.label(), a.label()];
  a.bind(head);
  a.emit('jump_if', { cond: scalar ? intOp(e, 'lt', off, extent) : intOp(e, 'lt', k, count), target: body });
  a.emit('jump', { target: exit });
  a.bind(body);
  const left = intOp(e, 'sub', extent, off);
  if (!scalar) {
    const item = a.reg();
    a.emit('seq_at', { dst: item, seq: parts, pos: k });
    a.emit('load_int', { dst: size, tensor: item, index: 0 });
  }
  const take = scalar ? intOp(e, 'min', size, left) : size;
  const pieces = a.reg(), piece = a.reg();
  a.emit('seq_split',
    { dst: pieces, tensor: src, axis, sizes: [off, take, intOp(e, 'sub', left, take)], keepdims: 1 });
  a.emit('seq_at', { dst: piece, seq: pieces, pos: one });
  a.emit('seq_insert', { dst, seq: dst, tensor: piece, pos: [] });
  a.emit('free', { reg: pieces });
  a.emit('move', { dst: off, src: intOp(e, 'add', off, take) });
  a.emit('move', { dst: k, src: intOp(e, 'add', k, one) });
  a.emit('jump', { target: head });
  a.bind(exit);
  if (!scalar) {
    a.emit('check', { cond: intOp(e, 'eq', off, extent), code: 204,
      message: 'SplitToSequence: split sizes do not add up to the extent' });
  }
}

/** kestrel op name -> how to emit it. */
export const VM_OPS: ReadonlyMap<string, VmLowering> = new Map<string, VmLowering>([
  ['unreachable', (n, e) => {
    e.a.emit('fail',
      { code: 204, message: `${n.origin.opType} '${n.origin.name}': ${String(n.attrs.message)}` });
    for (const v of n.outputs) e.define(v);
  }],
  ['sequence_empty',
    (n, e) => e.a.emit('seq_empty', { dst: e.define(n.outputs[0]), dtype: code(n.outputs[0]) })],
  ['sequence_construct', (n, e) => {
    const tensors = n.inputs.map((v) => e.tensor(v!));
    e.a.emit('seq_construct', { dst: e.define(n.outputs[0]), tensors });
  }],
  ['sequence_insert', (n, e) => {
    const [s, t, p] = n.inputs;
    const operands = { seq: e.tensor(s!), tensor: e.tensor(t!), pos: pos(e, p) };
    e.a.emit('seq_insert', { dst: e.define(n.outputs[0]), ...operands });
  }],
  ['sequence_erase', (n, e) => {
    const [s, p] = n.inputs;
    const operands = { seq: e.tensor(s!), pos: pos(e, p) };
    e.a.emit('seq_erase', { dst: e.define(n.outputs[0]), ...operands });
  }],
  ['sequence_at', (n, e) => {
    const operands = { seq: e.tensor(n.inputs[0]!), pos: e.scalar(n.inputs[1]!) };
    e.a.emit('seq_at', { dst: e.define(n.outputs[0]), ...operands });
  }],
  ['sequence_length', (n, e) => {
    const count = e.a.reg();
    e.a.emit('seq_length', { dst: count, seq: e.tensor(n.inputs[0]!) });
    e.a.emit('make_ints',
      { dst: e.define(n.outputs[0]), dtype: dtypeInfo('int64').code, rank: 0, values: [count] });
  }],
  ['concat_from_sequence', (n, e) => {
    const seq = e.tensor(n.inputs[0]!);
    const { axis, newAxis } = nodeAttrs(CONCAT_FROM_SEQUENCE_ATTRS, n);
    // A negative axis reaches the VM as its unsigned 32-bit form; the VM counts it from the end.
    e.a.emit('seq_concat', { dst: e.define(n.outputs[0]), seq, axis: axis >>> 0, new_axis: newAxis });
  }],
  ['split_to_sequence', splitToSequence],
  ['optional', (n, e) => {
    const v = n.inputs[0];
    const dst = e.define(n.outputs[0]);
    if (v) e.a.emit('move', { dst, src: e.tensor(v) });
    else e.a.emit('free', { reg: dst });
  }],
  ['optional_has_element', (n, e) => {
    const v = n.inputs[0];
    const has = v ? e.a.reg() : e.intConst(0);
    if (v) e.a.emit('has_value', { dst: has, src: e.tensor(v) });
    e.a.emit('make_ints',
      { dst: e.define(n.outputs[0]), dtype: dtypeInfo('bool').code, rank: 0, values: [has] });
  }],
  ['optional_get_element', (n, e) => {
    const src = e.tensor(n.inputs[0]!);
    const dst = e.define(n.outputs[0]);
    if (n.inputs[0]!.type.optional) {
      const has = e.a.reg();
      e.a.emit('has_value', { dst: has, src });
      e.a.emit('check',
        { cond: has, code: 204, message: 'OptionalGetElement: the optional is empty' });
    }
    e.a.emit('move', { dst, src });
  }],
]);
