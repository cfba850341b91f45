// ONNX tensor sequences (and optionals): ops run by VM builtins, never kernels (trait 'vm', lowered
// by compiler/lower/vm-ops.ts). A sequence value's TensorType has `sequence: true` and describes
// its elements: dtype, and a shape whose dims hold for every element (dims that can differ between
// elements are fresh symbols, never bound), or `unranked` when even the rank is unknown (an empty
// sequence, a graph input declared without a shape). Tensors read out of a sequence (sequence_at,
// concat_from_sequence) get fresh symbols for every dim not known statically; the program lowering
// binds them from the result tensor, so an element shape declared wrongly cannot reach a kernel.
// An optional value (`optional: true` on top of a tensor or sequence type) is a register that is
// either empty or holds its element. Attributes are declared per op (below); the program lowering
// (compiler/lower/vm-ops.ts) reads them through the same schemas.

import { type Dim, dimEq, isStatic } from '../dim.js';
import { ALL_DTYPES, type DType } from '../dtype.js';
import type { TensorType } from '../graph.js';
import { attr, normaliseAxis } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';
import { Codes } from '../../compiler/diagnostics.js';

const MISMATCH = Codes.SHAPE_INFERENCE;

const seqType = (dtype: DType, shape: readonly Dim[], unranked = false): TensorType =>
  Object.freeze({ dtype, shape: Object.freeze([...shape]), sequence: true,
    ...(unranked ? { unranked } : {}) });

function wantSeq(t: TensorType | null, op: string, ctx: InferCtx): TensorType {
  if (!t?.sequence) ctx.fail(MISMATCH, `${op}: input 0 must be a sequence`);
  return t;
}

function wantTensor(t: TensorType | null, i: number, op: string, ctx: InferCtx): TensorType {
  if (!t || t.sequence) ctx.fail(MISMATCH, `${op}: input ${i} must be a tensor`);
  return t;
}

/** An integer scalar (or one-element vector) position input. */
function wantPos(t: TensorType | null, op: string, ctx: InferCtx): void {
  if (!t) return;
  if (t.sequence || (t.dtype !== 'int64' && t.dtype !== 'int32') || t.shape.length > 1) {
    ctx.fail(MISMATCH, `${op}: position must be an int32/int64 scalar`);
  }
}

/** The element type of a sequence holding tensors of types `a` and `b` (same dtype). */
export function joinElements(a: TensorType, b: TensorType, ctx: InferCtx, hint: string): TensorType {
  if (a.dtype !== b.dtype) ctx.fail(MISMATCH, `sequence of ${a.dtype} cannot hold a ${b.dtype} tensor`);
  if (a.unranked || b.unranked || a.shape.length !== b.shape.length) return seqType(a.dtype, [], true);
  const shape = a.shape.map((d, k) => (dimEq(d, b.shape[k]) ? d : ctx.fresh(`${hint}_d${k}`)));
  return seqType(a.dtype, shape);
}

/** A tensor of the sequence's element type, its symbolic dims replaced by fresh symbols. */
function elementTensor(s: TensorType, op: string, ctx: InferCtx): TensorType {
  if (s.unranked) ctx.fail(Codes.SYMBOLIC_RANK, `${op}: the rank of the sequence's tensors is not known`);
  const shape = s.shape.map((d, k) => (isStatic(d) ? d : ctx.fresh(`${op}_d${k}`)));
  return { dtype: s.dtype, shape };
}

const DTYPE_ATTR = attr.oneOf(ALL_DTYPES, 'float32');
const SEQUENCE_EMPTY_ATTRS = { dtype: DTYPE_ATTR };
/**
 * Join along `axis` of the elements, or stack them on a new axis (newAxis 1). The axis is checked
 * in infer: it counts against the element rank (plus one when stacking), which the sequence's
 * type knows only when it is ranked.
 */
export const CONCAT_FROM_SEQUENCE_ATTRS = { axis: attr.int(), newAxis: attr.flag(0) };
/** The split axis; keepdims 0 drops it when the pieces have size 1 (no split input). */
export const SPLIT_TO_SEQUENCE_ATTRS = { axis: attr.axis(0), keepdims: attr.flag(1) };
/** An empty optional's element type: dtype, a sequence or not, static dims (absent: unranked). */
const OPTIONAL_ATTRS = { dtype: DTYPE_ATTR, sequence: attr.flag(0), shape: attr.optional(attr.ints()) };

const sequenceEmpty = declareOp({
  name: 'sequence_empty', traits: ['vm'], attrs: SEQUENCE_EMPTY_ATTRS,
  vm: { builtin: 'seq_empty', operands: { dst: { output: 0 }, dtype: { dtypeOf: 0 } } },
  infer: (_inputs, a) => [seqType(a.dtype, [], true)],
});

const sequenceConstruct = declareOp({
  name: 'sequence_construct', traits: ['vm'], attrs: {},
  vm: { builtin: 'seq_construct', operands: { dst: { output: 0 }, tensors: { inputs: 'all' } } },
  infer: (inputs, _attrs, ctx) => {
    if (inputs.length === 0) ctx.fail(MISMATCH, 'sequence_construct: needs at least one tensor');
    const ts = inputs.map((t, i) => wantTensor(t, i, 'sequence_construct', ctx));
    let s = seqType(ts[0].dtype, ts[0].shape);
    for (const t of ts.slice(1)) s = joinElements(s, t, ctx, 'seq');
    return [s];
  },
});

/** [seq, tensor, pos | null] */
const sequenceInsert = declareOp({
  name: 'sequence_insert', traits: ['vm'], attrs: {},
  vm: { builtin: 'seq_insert', operands: {
    dst: { output: 0 }, seq: { input: 0 }, tensor: { input: 1 }, pos: { scalar: 2, optional: true },
  } },
  infer: (inputs, _attrs, ctx) => {
    const s = wantSeq(inputs[0], 'sequence_insert', ctx);
    const t = wantTensor(inputs[1], 1, 'sequence_insert', ctx);
    wantPos(inputs[2] ?? null, 'sequence_insert', ctx);
    return [joinElements(s, t, ctx, 'seq')];
  },
});

/** [seq, pos | null] */
const sequenceErase = declareOp({
  name: 'sequence_erase', traits: ['vm'], attrs: {},
  vm: { builtin: 'seq_erase', operands: {
    dst: { output: 0 }, seq: { input: 0 }, pos: { scalar: 1, optional: true },
  } },
  infer: (inputs, _attrs, ctx) => {
    const s = wantSeq(inputs[0], 'sequence_erase', ctx);
    wantPos(inputs[1] ?? null, 'sequence_erase', ctx);
    return [s];
  },
});

/** [seq, pos] */
const sequenceAt = declareOp({
  name: 'sequence_at', traits: ['vm'], attrs: {},
  vm: { builtin: 'seq_at', operands: { dst: { output: 0 }, seq: { input: 0 }, pos: { scalar: 1 } } },
  infer: (inputs, _attrs, ctx) => {
    const s = wantSeq(inputs[0], 'sequence_at', ctx);
    if (!inputs[1]) ctx.fail(MISMATCH, 'sequence_at: position is required');
    wantPos(inputs[1], 'sequence_at', ctx);
    return [elementTensor(s, 'seq_at', ctx)];
  },
});

const sequenceLength = declareOp({
  name: 'sequence_length', traits: ['vm'], attrs: {},
  infer: (inputs, _attrs, ctx) => {
    wantSeq(inputs[0], 'sequence_length', ctx);
    return [{ dtype: 'int64', shape: [] }];
  },
});

/** Join (or stack, newAxis 1) the sequence's tensors. */
const concatFromSequence = declareOp({
  name: 'concat_from_sequence', traits: ['vm'], attrs: CONCAT_FROM_SEQUENCE_ATTRS,
  // A negative axis reaches the VM as its unsigned 32-bit form; the VM counts it from the end.
  vm: { builtin: 'seq_concat', operands: {
    dst: { output: 0 }, seq: { input: 0 }, axis: { attr: 'axis' }, new_axis: { attr: 'newAxis' },
  } },
  infer: (inputs, a, ctx) => {
    const s = wantSeq(inputs[0], 'concat_from_sequence', ctx);
    const e = elementTensor(s, 'concat_seq', ctx);
    const stack = a.newAxis === 1;
    const r = e.shape.length;
    const axis = normaliseAxis(a.axis, stack ? r + 1 : r,
      (m) => ctx.fail(Codes.ATTRIBUTE, `concat_from_sequence: attribute 'axis' ${m}`));
    const shape = [...e.shape];
    if (stack) shape.splice(axis, 0, ctx.fresh('concat_seq_n'));
    else shape[axis] = ctx.fresh('concat_seq_axis');
    return [{ dtype: e.dtype, shape }];
  },
});

/** [x, split | null] */
const splitToSequence = declareOp({
  name: 'split_to_sequence', traits: ['vm'], attrs: SPLIT_TO_SEQUENCE_ATTRS,
  infer: (inputs, a, ctx) => {
    const x = wantTensor(inputs[0], 0, 'split_to_sequence', ctx);
    const axis = a.axis;
    const split = inputs[1] ?? null;
    if (split
      && (split.sequence || split.shape.length > 1 || (split.dtype !== 'int64' && split.dtype !== 'int32'))) {
      ctx.fail(MISMATCH, 'split_to_sequence: split must be an int32/int64 scalar or vector');
    }
    const shape = [...x.shape];
    if (!split && a.keepdims === 0) shape.splice(axis, 1);
    else shape[axis] = split ? ctx.fresh('split_seq') : 1;
    return [seqType(x.dtype, shape)];
  },
});

/**
 * Optional values: [element | null]; without an input, an empty optional of the type given by the
 * attributes {dtype, sequence (0/1), shape (static dims; a sequence without it is unranked)}.
 */
const optional = declareOp({
  name: 'optional', traits: ['vm'], attrs: OPTIONAL_ATTRS,
  infer: (inputs, a) => {
    const t = inputs[0];
    if (t) return [{ ...t, optional: true }];
    const { dtype, shape } = a;
    if (a.sequence) return [{ ...seqType(dtype, shape ?? [], !shape), optional: true }];
    return [{ dtype, shape: shape ?? [], optional: true }];
  },
});

const optionalHasElement = declareOp({
  name: 'optional_has_element', traits: ['vm'], attrs: {},
  infer: () => [{ dtype: 'bool', shape: [] }],
});

const optionalGetElement = declareOp({
  name: 'optional_get_element', traits: ['vm'], attrs: {},
  infer: (inputs, _attrs, ctx) => {
    const t = inputs[0];
    if (!t) return ctx.fail(MISMATCH, 'optional_get_element: input is required');
    const { optional: _o, ...rest } = t;
    return [rest];
  },
});

export const SEQUENCE_OPS: readonly OpDef[] = [sequenceEmpty, sequenceConstruct, sequenceInsert,
  sequenceErase, sequenceAt, sequenceLength, concatFromSequence, splitToSequence, optional,
  optionalHasElement, optionalGetElement];
