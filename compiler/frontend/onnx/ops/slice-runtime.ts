// ONNX Slice whose axes or steps (or starts/ends of unknown length) are known only at run time.
// Small int64 kernels over the k sliced axes apply the ONNX clamping rules with the step's sign
// read at run time (start clamped to [0, dim] for a positive step, [0, dim - 1] for a negative
// one; end to [0, dim] or [-1, dim - 1]; length max(0, ceil((end - start) / step))), and a one-hot
// [k, rank] matrix of the normalised axes spreads begin, length and step to every axis (an axis
// not sliced keeps begin 0, its whole extent and step 1) for `slice_strided`.
// Requires: the kestrel ops of RUNTIME_SLICE_EMITS. Guarantees: an axis out of range or repeated,
// or a step of 0, fails at run time (slice_strided's check of the count of invalid axes, KR0204)
// rather than slicing silently; the division never sees a zero step.

import type { Value } from '../../../../ir/graph.js';
import { type ConvertCtx, int64Data } from '../context.js';

/** The kestrel ops this expansion emits (the converter row lists them). */
export const RUNTIME_SLICE_EMITS = ['slice_strided', 'cast', 'less', 'equal', 'add', 'sub', 'mul', 'div',
  'min', 'max', 'abs', 'unsqueeze', 'reduce_sum', 'shape', 'reshape', 'range'];

const one = (ctx: ConvertCtx, op: string, ins: (Value | null)[], attrs = {}): Value =>
  ctx.emit(op, ins, attrs)[0]!;
const ints = (ctx: ConvertCtx, xs: number[]): Value => ctx.constant(int64Data(xs));
const i64 = (ctx: ConvertCtx, v: Value): Value =>
  (v.type.dtype === 'int64' ? v : one(ctx, 'cast', [v], { to: 'int64' }));
const flag = (ctx: ConvertCtx, b: Value): Value => one(ctx, 'cast', [b], { to: 'int64' });
const col = (ctx: ConvertCtx, v: Value): Value => one(ctx, 'unsqueeze', [v], { axes: [1] });
const sumAxis = (ctx: ConvertCtx, v: Value, axis: number): Value =>
  one(ctx, 'reduce_sum', [v], { axes: [axis], keepdims: 0 });
const clamp = (ctx: ConvertCtx, v: Value, lo: Value, hi: Value): Value =>
  one(ctx, 'min', [one(ctx, 'max', [v, lo]), hi]);

/** 0, 1, ..., k - 1 for the k entries of `like` (the default axes). */
function indicesOf(ctx: ConvertCtx, like: Value): Value {
  const k = one(ctx, 'reshape', [one(ctx, 'shape', [like]), ints(ctx, [])]);
  return one(ctx, 'range', [ctx.scalar('int64', 0), k, ctx.scalar('int64', 1)]);
}

/** [k, rank] one-hot of the axes (negative ones count from the end). */
function oneHot(ctx: ConvertCtx, axes: Value, rank: number): Value {
  const a = i64(ctx, axes);
  const norm = one(ctx, 'add', [a, one(ctx, 'mul', [flag(ctx, one(ctx, 'less', [a, ints(ctx, [0])])),
    ints(ctx, [rank])])]);
  const iota = ints(ctx, Array.from({ length: rank }, (_, j) => j));
  return flag(ctx, one(ctx, 'equal', [col(ctx, norm), iota]));
}

/**
 * [1]: k less the number of distinct axes in range, plus the number of zero steps; the run-time
 * check of slice_strided requires 0.
 */
function invalidAxes(ctx: ConvertCtx, hot: Value, step: Value, starts: Value): Value {
  const hit = sumAxis(ctx, one(ctx, 'min', [sumAxis(ctx, hot, 0), ints(ctx, [1])]), 0);
  const zeros = sumAxis(ctx, flag(ctx, one(ctx, 'equal', [step, ints(ctx, [0])])), 0);
  return one(ctx, 'add', [one(ctx, 'sub', [one(ctx, 'shape', [starts]), hit]), zeros]);
}

/** Begin and length of each sliced axis of extent `dim` with `step` (all [k]), per ONNX. */
function clampedBounds(ctx: ConvertCtx, starts: Value, ends: Value, step: Value, dim: Value): Value[] {
  const zero = ints(ctx, [0]);
  const neg = flag(ctx, one(ctx, 'less', [step, zero]));
  const hi = one(ctx, 'sub', [dim, neg]);
  const wrap = (v: Value): Value =>
    one(ctx, 'add', [v, one(ctx, 'mul', [flag(ctx, one(ctx, 'less', [v, zero])), dim])]);
  const begin = clamp(ctx, wrap(starts), zero, hi);
  const end = clamp(ctx, wrap(ends), one(ctx, 'sub', [zero, neg]), hi);
  // ceil((end - begin) / step) = floor((d + |step| - 1) / |step|) with d = (end - begin) * sign.
  const mag = one(ctx, 'max', [one(ctx, 'abs', [step]), ints(ctx, [1])]);
  const sign = one(ctx, 'sub', [ints(ctx, [1]), one(ctx, 'mul', [neg, ints(ctx, [2])])]);
  const d = one(ctx, 'mul', [one(ctx, 'sub', [end, begin]), sign]);
  const num = one(ctx, 'max', [one(ctx, 'add', [d, one(ctx, 'sub', [mag, ints(ctx, [1])])]), zero]);
  return [begin, one(ctx, 'div', [num, mag])];
}

/** Slice(data, starts, ends, axes?, steps?) as slice_strided over vectors computed at run time. */
export function sliceRuntime(ctx: ConvertCtx, starts: Value, ends: Value): Value[] {
  const x = ctx.input(0), rank = ctx.rank(x);
  const s = i64(ctx, starts), e = i64(ctx, ends);
  const axesIn = ctx.optInput(3), stepsIn = ctx.optInput(4);
  const ones = one(ctx, 'add', [one(ctx, 'mul', [s, ints(ctx, [0])]), ints(ctx, [1])]);
  const step = stepsIn ? i64(ctx, stepsIn) : ones;
  const hot = oneHot(ctx, axesIn ?? indicesOf(ctx, s), rank);
  const shape = one(ctx, 'shape', [x]);
  const dim = sumAxis(ctx, one(ctx, 'mul', [hot, shape]), 1);
  const [begin, len] = clampedBounds(ctx, s, e, step, dim);
  const spread = (v: Value): Value => sumAxis(ctx, one(ctx, 'mul', [hot, col(ctx, v)]), 0);
  const rest = one(ctx, 'sub', [ints(ctx, new Array<number>(rank).fill(1)), sumAxis(ctx, hot, 0)]);
  const keep = (v: Value, dflt: Value): Value => one(ctx, 'add', [spread(v), one(ctx, 'mul', [rest, dflt])]);
  return ctx.result('slice_strided',
    [x, spread(begin), keep(len, shape), keep(step, rest), invalidAxes(ctx, hot, step, s)], {});
}
