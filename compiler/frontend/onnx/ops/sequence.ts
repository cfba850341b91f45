// Converters for ONNX sequence and optional ops -> the kestrel ops of ir/ops/sequence.ts (run by VM
// builtins). SequenceMap is expanded into a Loop over the first sequence's length: the loop carries
// one accumulating sequence per output plus the SequenceMap inputs themselves (so the body reads
// them as its own inputs, never by outer name); its body, built here as an ONNX graph, reads the
// i-th element of each sequence input (SequenceAt), runs the SequenceMap body's nodes, and appends
// each result (SequenceInsert). Optional without an input (a typed empty optional) is not supported.

import type { DType } from '../../../../ir/dtype.js';
import { dimEq, isStatic, sym } from '../../../../ir/dim.js';
import type { TensorType, Value } from '../../../../ir/graph.js';
import { constInts, type ConvertCtx } from '../context.js';
import type { GraphMsg, NodeMsg } from '../schema.js';
import { dtypeOf } from '../tensor.js';
import { row, type ConverterRow } from './types.js';
import { Codes } from '../../../diagnostics.js';

const I64_SCALAR: TensorType = { dtype: 'int64', shape: [] };
const BOOL_SCALAR: TensorType = { dtype: 'bool', shape: [] };

const clean = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, '_');

function sequenceEmpty(ctx: ConvertCtx): Value[] {
  const dtype: DType = dtypeOf(ctx.attrs.int('dtype', 1), ctx.node.name);
  return ctx.resultFrom('sequence_empty', [], {}, { dtype });
}

const splitToSequence = (ctx: ConvertCtx): Value[] => ctx.resultFrom('split_to_sequence',
  [ctx.input(0), ctx.optInput(1)], { axis: 'axis', keepdims: 'keepdims' });

const concatFromSequence = (ctx: ConvertCtx): Value[] => ctx.resultFrom('concat_from_sequence',
  [ctx.input(0)], { axis: 'axis', newAxis: 'new_axis' });

/** The type a SequenceMap body input sees: a sequence's element (symbolic dims fresh), or the tensor. */
function elementType(ctx: ConvertCtx, v: Value, k: number): TensorType {
  if (!v.type.sequence) return v.type;
  if (v.type.unranked) ctx.unsupported(`SequenceMap input ${k}: the rank of its tensors is not known`);
  const shape =
    v.type.shape.map((d, axis) => (isStatic(d) ? d : sym(`${clean(ctx.node.name)}_in${k}_d${axis}`)));
  return { dtype: v.type.dtype, shape };
}

/** The ONNX loop body: (i, cond, acc..., inputs...) -> (cond, acc + [f(inputs[i])]..., inputs...). */
function mapLoopBody(ctx: ConvertCtx, body: GraphMsg, ins: readonly Value[]): GraphMsg {
  const p = `__seqmap_${clean(ctx.node.name)}_`;
  const bodyIns = (body.input ?? []).map((vi) => vi.name ?? '');
  const bodyOuts = (body.output ?? []).map((vi) => vi.name ?? '');
  const accIn = bodyOuts.map((_o, j) => `${p}acc${j}`);
  const accOut = bodyOuts.map((_o, j) => `${p}acc_out${j}`);
  const inNames = ins.map((_v, k) => `${p}in${k}`);
  const node = (opType: string, input: string[], output: string[]): NodeMsg =>
    ({ opType, input, output, name: output[0] });
  const picks = ins.map((v, k) => (v.type.sequence
    ? node('SequenceAt', [inNames[k], `${p}i`], [bodyIns[k]])
    : node('Identity', [inNames[k]], [bodyIns[k]])));
  const appends = bodyOuts.map((o, j) => node('SequenceInsert', [accIn[j], o], [accOut[j]]));
  const vi = (name: string) => ({ name });
  return {
    name: `${body.name ?? 'body'}_loop`,
    input: [`${p}i`, `${p}cond`, ...accIn, ...inNames].map(vi),
    output: [`${p}cond`, ...accOut, ...inNames].map(vi),
    initializer: body.initializer ?? [],
    node: [...picks, ...(body.node ?? []), ...appends],
  };
}

function sequenceMap(ctx: ConvertCtx): Value[] {
  const ins = ctx.inputs.map((v, k) => v ?? ctx.fail(Codes.SHAPE_INFERENCE, `input ${k} is missing`));
  if (!ins[0]?.type.sequence) ctx.fail(Codes.SHAPE_INFERENCE, 'input 0 must be a sequence');
  const body = ctx.attrs.graph('body') ?? ctx.attrs.fail('body', 'is required');
  if ((body.input ?? []).length !== ins.length) ctx.fail(Codes.SHAPE_INFERENCE,
    `body takes ${(body.input ?? []).length} inputs, node has ${ins.length}`);
  // A first import finds the dtypes of the body's results, which the accumulators need.
  const probe = ctx.subgraph('body', ins.map((v, k) => elementType(ctx, v, k)));
  const acc = probe.outputs.map((o) => ctx.emit('sequence_empty', [], { dtype: o.type.dtype })[0]);
  const carried = [...acc, ...ins].map((v) => v.type);
  const f = ctx.subgraph(mapLoopBody(ctx, body, ins), [I64_SCALAR, BOOL_SCALAR, ...carried]);
  const results = f.outputs.slice(1).map((v) => v.type);
  if (results.some((t, k) => !sameSequenceType(t, carried[k]))) {
    ctx.unsupported('SequenceMap: the body changes the type of a carried value');
  }
  const n = ctx.emit('sequence_length', [ins[0]], {})[0];
  const names = [...ctx.outputNames, ...ins.map(() => '')];
  return ctx.emit('loop', [n, null, ...acc, ...ins], { body: f }, names).slice(0, acc.length);
}

/** Whether `v` is the result of a sequence_empty node converted in this graph or an enclosing one. */
function madeEmpty(ctx: ConvertCtx, v: Value): boolean {
  const nodes = ctx.emitted();
  for (let k = nodes.length - 1; k >= 0; k--) {
    if (nodes[k]!.outputs.includes(v)) return nodes[k]!.op === 'sequence_empty';
  }
  return false;
}

/**
 * SequenceInsert. Into a sequence SequenceEmpty made, at the end (no position, or a constant 0):
 * the one-tensor sequence_construct, whose elements are typed by that tensor. The empty
 * sequence's unranked element type is no constraint, and keeping it would leave every later
 * sequence built from this one unranked.
 */
function sequenceInsert(ctx: ConvertCtx): Value[] {
  const [seq, t, pos] = [ctx.input(0), ctx.input(1), ctx.optInput(2)];
  const atStart = !pos || (pos.data !== undefined && constInts(pos.data)?.every((p) => p === 0) === true);
  if (seq.type.sequence && !t.type.sequence && atStart && madeEmpty(ctx, seq)) {
    if (seq.type.dtype !== t.type.dtype) {
      ctx.fail(Codes.SHAPE_INFERENCE, `sequence of ${seq.type.dtype} cannot hold a ${t.type.dtype} tensor`);
    }
    return ctx.result('sequence_construct', [t], {});
  }
  return ctx.result('sequence_insert', [seq, t, pos], {});
}

function sameSequenceType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && !!a.sequence === !!b.sequence && !!a.unranked === !!b.unranked
    && a.shape.length === b.shape.length && a.shape.every((d, i) => dimEq(d, b.shape[i]));
}

function optionalConvert(ctx: ConvertCtx): Value[] {
  const v = ctx.optInput(0);
  if (!v) ctx.unsupported('Optional without an input (a typed empty optional)');
  return ctx.result('optional', [v], {});
}

export const SEQUENCE_ROWS: readonly ConverterRow[] = [
  row('SequenceEmpty', ['sequence_empty'], sequenceEmpty, 11),
  row('SequenceConstruct', ['sequence_construct'],
    (ctx) => ctx.result('sequence_construct', ctx.inputs, {}), 11),
  row('SequenceInsert', ['sequence_insert', 'sequence_construct'], sequenceInsert, 11),
  row('SequenceErase', ['sequence_erase'],
    (ctx) => ctx.result('sequence_erase', [ctx.input(0), ctx.optInput(1)], {}), 11),
  row('SequenceAt', ['sequence_at'],
    (ctx) => ctx.result('sequence_at', [ctx.input(0), ctx.input(1)], {}), 11),
  row('SequenceLength', ['sequence_length'], (ctx) => ctx.result('sequence_length', [ctx.input(0)], {}), 11),
  row('ConcatFromSequence', ['concat_from_sequence'], concatFromSequence, 11),
  row('SplitToSequence', ['split_to_sequence'], splitToSequence, 11),
  row('SequenceMap', ['sequence_empty', 'sequence_length', 'sequence_at', 'sequence_insert', 'loop'],
    sequenceMap, 17),
  row('Optional', ['optional'], optionalConvert, 15),
  row('OptionalHasElement', ['optional_has_element'],
    (ctx) => ctx.result('optional_has_element', [ctx.optInput(0)], {}), 15),
  row('OptionalGetElement', ['optional_get_element'],
    (ctx) => ctx.result('optional_get_element', [ctx.input(0)], {}), 15),
];
