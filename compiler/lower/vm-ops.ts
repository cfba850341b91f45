// Program lowering of ops that run as VM builtins rather than kernels (trait 'vm': the ONNX
// sequence and optional ops, ir/ops/sequence.ts). An op that is one builtin declares the binding
// with the op (ir/ops/bindings.ts) and needs nothing here; the entries below are the ops that take
// several instructions (a loop, a check, a conditional). Each entry emits the builtins for one node
// through the VmEmitter that compiler/lower/program.ts hands it; program.ts then binds run-time
// dims of tensor outputs. Positions are integer registers read with `load_int` (e.scalar).
// Sequences are immutable in the VM (seq_insert/seq_erase write a new register), so no entry
// copies a tensor before putting it into a sequence: kernels never write into their inputs.

import type { Dim } from '../../ir/dim.js';
import { dtypeInfo } from '../../ir/dtype.js';
import type { Attrs, Node, Value } from '../../ir/graph.js';
import type { VmBinding, VmOperand } from '../../ir/ops/bindings.js';
import { nodeAttrs } from '../../ir/ops/declare.js';
import { OPS } from '../../ir/ops/index.js';
import { SPLIT_TO_SEQUENCE_ATTRS } from '../../ir/ops/sequence.js';
import { STRING_LOWERINGS } from './string-ops.js';
import type { ProgramWriter } from '../../codegen/vm-program.js';
import { OPCODES, type OperandKind, type OpName } from '../../runtime-vm/isa.generated.js';

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

/** One operand of a declared binding; `kind` is the instruction's operand kind. */
function operand(n: Node, e: VmEmitter, o: VmOperand, kind: OperandKind, attrs: Attrs): unknown {
  if ('output' in o) return e.define(n.outputs[o.output]!);
  if ('input' in o) return e.tensor(n.inputs[o.input]!);
  if ('inputs' in o) return n.inputs.map((v) => e.tensor(v!));
  if ('scalar' in o) return o.optional ? pos(e, n.inputs[o.scalar]) : e.scalar(n.inputs[o.scalar]!);
  if ('dtypeOf' in o) return code(n.outputs[o.dtypeOf]!);
  const v = Number(attrs[o.attr]);
  return kind === 'u32' ? v >>> 0 : v;
}

/**
 * The lowering of an op declared with a VM-builtin binding (ir/ops/bindings.ts): inputs are
 * materialised in the binding's order, then the outputs are defined, then the instruction emitted.
 */
function boundLowering(op: string, b: VmBinding): VmLowering {
  type Spec = { operands: readonly (readonly [string, OperandKind])[] };
  const spec = (OPCODES as Record<string, Spec>)[b.builtin];
  if (!spec) throw new Error(`internal: op '${op}' is bound to '${b.builtin}', which is no VM instruction`);
  const kinds = new Map(spec.operands.map(([name, kind]) => [name, kind]));
  const names = Object.keys(b.operands);
  if (names.length !== kinds.size || names.some((k) => !kinds.has(k))) {
    throw new Error(`internal: op '${op}' binds operands ${names.join(', ')} of '${b.builtin}', `
      + `which takes ${[...kinds.keys()].join(', ')}`);
  }
  const entries = Object.entries(b.operands);
  const isOut = ([, o]: (typeof entries)[number]) => 'output' in o;
  const ordered = [...entries.filter((x) => !isOut(x)), ...entries.filter(isOut)];
  const schema = OPS.get(op)!.attrSchema ?? {};
  return (n, e) => {
    const attrs = nodeAttrs(schema, n) as Attrs;
    const ops = Object.fromEntries(ordered.map(([k, o]) => [k, operand(n, e, o, kinds.get(k)!, attrs)]));
    e.a.emit(b.builtin as OpName, ops as never);
  };
}

/** The ops whose declaration binds them to a VM builtin. */
const BOUND: readonly (readonly [string, VmLowering])[] = [...OPS.values()]
  .filter((d) => d.vm).map((d) => [d.name, boundLowering(d.name, d.vm!)] as const);

/** kestrel op name -> how to emit it: declared bindings, then the ops that need several builtins. */
export const VM_OPS: ReadonlyMap<string, VmLowering> = new Map<string, VmLowering>([
  ...BOUND,
  ...STRING_LOWERINGS,
  ['unreachable', (n, e) => {
    e.a.emit('fail',
      { code: 204, message: `${n.origin.opType} '${n.origin.name}': ${String(n.attrs.message)}` });
    for (const v of n.outputs) e.define(v);
  }],
  ['sequence_length', (n, e) => {
    const count = e.a.reg();
    e.a.emit('seq_length', { dst: count, seq: e.tensor(n.inputs[0]!) });
    e.a.emit('make_ints',
      { dst: e.define(n.outputs[0]), dtype: dtypeInfo('int64').code, rank: 0, values: [count] });
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
