// Squeeze, Unsqueeze and Pad whose axes are known only at run time. The number of axes is known
// (the tensor's static length), so the output rank is too; which dims are affected is computed
// by small int64 kernels: a one-hot [axes, rank] matrix of the normalised axes gives each
// output's target shape (then a reshape reads it) or Pad's full-rank pads.
// Requires: the kestrel equal, less, less_or_equal, cast, add, sub, mul, min, max, reduce_sum,
// gather, unsqueeze, shape, reshape and pad ops. Guarantees: axes of unknown length are reported
// unsupported; out-of-range or repeated axes give the wrong shape's reshape failure at run time
// rather than a silent result.

import type { Value } from '../../../../ir/graph.js';
import { Codes } from '../../../diagnostics.js';
import { type ConvertCtx, int64Data } from '../context.js';

/** The kestrel ops these expansions emit (the converter rows list them). */
export const RUNTIME_AXES_EMITS = ['equal', 'less', 'less_or_equal', 'cast', 'add', 'sub', 'mul', 'min',
  'max', 'reduce_sum', 'gather', 'unsqueeze', 'shape', 'reshape'];

const one = (ctx: ConvertCtx, op: string, ins: (Value | null)[], attrs = {}): Value =>
  ctx.emit(op, ins, attrs)[0]!;
const ints = (ctx: ConvertCtx, xs: number[]): Value => ctx.constant(int64Data(xs));
const iota = (ctx: ConvertCtx, n: number): Value => ints(ctx, Array.from({ length: n }, (_, i) => i));
const toInt = (ctx: ConvertCtx, b: Value): Value => one(ctx, 'cast', [b], { to: 'int64' });
const sumAxis = (ctx: ConvertCtx, v: Value, axis: number): Value =>
  one(ctx, 'reduce_sum', [v], { axes: [axis], keepdims: 0 });

/** The axes input (int64, static length) normalised against `rank`: a + rank * (a < 0). */
function normalisedAxes(ctx: ConvertCtx, i: number, rank: number): Value {
  const a = ctx.input(i);
  const n = a.type.shape.length === 1 ? a.type.shape[0] : undefined;
  if (typeof n !== 'number') ctx.unsupported(`${ctx.node.opType} axes of run-time length`);
  const a64 = a.type.dtype === 'int64' ? a : toInt(ctx, a);
  const neg = toInt(ctx, one(ctx, 'less', [a64, ints(ctx, [0])]));
  return one(ctx, 'add', [a64, one(ctx, 'mul', [neg, ints(ctx, [rank])])]);
}

/** [axes, rank] int64: entry (i, j) is 1 where axis i is j. */
function oneHot(ctx: ConvertCtx, axes: Value, rank: number): Value {
  return toInt(ctx, one(ctx, 'equal', [one(ctx, 'unsqueeze', [axes], { axes: [1] }), iota(ctx, rank)]));
}

/** Unsqueeze: output dim j is 1 at an axis, else input dim j - (axes at or before j). */
export function unsqueezeRuntime(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), r = ctx.rank(x);
  const k = ctx.input(1).type.shape[0];
  const rank = r + (typeof k === 'number' ? k : 0);
  const axes = normalisedAxes(ctx, 1, rank);
  const isAxis = sumAxis(ctx, oneHot(ctx, axes, rank), 0);
  const before = sumAxis(ctx, toInt(ctx, one(ctx, 'less_or_equal',
    [one(ctx, 'unsqueeze', [axes], { axes: [1] }), iota(ctx, rank)])), 0);
  const src = one(ctx, 'max', [one(ctx, 'min', [one(ctx, 'sub', [iota(ctx, rank), before]),
    ints(ctx, [Math.max(r - 1, 0)])]), ints(ctx, [0])]);
  const dims = r === 0 ? ints(ctx, new Array<number>(rank).fill(1))
    : one(ctx, 'gather', [one(ctx, 'shape', [x]), src], { axis: 0 });
  const keep = one(ctx, 'sub', [ints(ctx, [1]), isAxis]);
  const target = one(ctx, 'add', [one(ctx, 'mul', [dims, keep]), isAxis]);
  return ctx.result('reshape', [x, target], {});
}

/** Squeeze: the input dims at positions that are no axis, in order. */
export function squeezeRuntime(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), r = ctx.rank(x);
  const k = ctx.input(1).type.shape[0];
  const rank = r - (typeof k === 'number' ? k : 0);
  if (rank < 0) ctx.fail(Codes.SHAPE_INFERENCE, `Squeeze of ${k} axes of a rank-${r} input`);
  const keep = one(ctx, 'sub', [ints(ctx, [1]), sumAxis(ctx, oneHot(ctx, normalisedAxes(ctx, 1, r), r), 0)]);
  // kept_j: how many kept dims lie at or before j; output m takes the kept dim with kept_j = m + 1.
  const upper = ints(ctx, Array.from({ length: r * r }, (_, n) => (Math.floor(n / r) <= n % r ? 1 : 0)));
  const tri = one(ctx, 'reshape', [upper, ints(ctx, [r, r])]);
  const kept = sumAxis(ctx, one(ctx, 'mul', [one(ctx, 'unsqueeze', [keep], { axes: [1] }), tri]), 0);
  const pick = toInt(ctx, one(ctx, 'equal', [kept, one(ctx, 'unsqueeze', [
    one(ctx, 'add', [iota(ctx, rank), ints(ctx, [1])])], { axes: [1] })]));
  const dims = one(ctx, 'mul', [one(ctx, 'shape', [x]), keep]);
  const target = rank === 0 ? ints(ctx, []) : sumAxis(ctx, one(ctx, 'mul', [pick, dims]), 1);
  return ctx.result('reshape', [x, target], {});
}

/** Pad's [2 * axes] pads spread to [2 * rank] by the one-hot of its run-time axes. */
export function fullPads(ctx: ConvertCtx, pads: Value, rank: number): Value {
  const axes = normalisedAxes(ctx, 3, rank);
  const k = ctx.input(3).type.shape[0] as number;
  const p64 = pads.type.dtype === 'int64' ? pads : toInt(ctx, pads);
  const p = one(ctx, 'reshape', [p64, ints(ctx, [2, k, 1])]);
  const spread = sumAxis(ctx, one(ctx, 'mul', [p, oneHot(ctx, axes, rank)]), 1);
  return one(ctx, 'reshape', [spread, ints(ctx, [2 * rank])]);
}
