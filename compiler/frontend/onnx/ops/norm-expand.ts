// Converters for ONNX ops composed of kestrel ops: InstanceNormalization and GroupNormalization
// (the fused layer_norm over each instance's or group's elements, then the per-channel scale and
// bias), DepthToSpace and SpaceToDepth (reshape, transpose, reshape, as the standard's function
// bodies define them). Requires: the kestrel layer_norm, reshape, transpose, shape, concat, mul,
// add and unsqueeze ops. Guarantees: target shapes are built from shape slices, so symbolic dims
// stay symbolic and every reshape target has a known length; a GroupNormalization whose channels
// are not a multiple of num_groups fails with KC0402 (the reshape's check).

import { makeConst } from '../../../../ir/const.js';
import type { Value } from '../../../../ir/graph.js';
import { Codes } from '../../../diagnostics.js';
import { type ConvertCtx, int64Data } from '../context.js';
import { row, type ConverterRow } from './types.js';

const one = (ctx: ConvertCtx, op: string, ins: (Value | null)[], attrs = {}): Value =>
  ctx.emit(op, ins, attrs)[0]!;
const ints = (ctx: ConvertCtx, xs: number[]): Value => ctx.constant(int64Data(xs));

/** Dims [start, end) of x as an int64 vector of known contents (a shape slice). */
const dims = (ctx: ConvertCtx, x: Value, start: number, end: number): Value =>
  one(ctx, 'shape', [x], { start, end });

/** A [C] scale or bias as [C, 1, ...] against an input of rank r (channels at axis 1). */
function perChannel(ctx: ConvertCtx, p: Value, r: number): Value {
  return r <= 2 ? p : one(ctx, 'unsqueeze', [p], { axes: Array.from({ length: r - 2 }, (_, i) => i + 1) });
}

/**
 * layer_norm of `x` over axes [axis, rank) with a unit scale, reshaped back to `input`'s shape
 * when `x` is a regrouped view of it, then y * scale + bias per channel of `input`.
 */
function normalizeThenScale(ctx: ConvertCtx, x: Value, axis: number, input: Value): Value[] {
  const r = ctx.rank(input);
  const unit = ctx.constant(makeConst(x.type.dtype, [1], [1]));
  const y = ctx.emitFrom('layer_norm', [x, unit, null], { epsilon: 'epsilon' }, { axis })[0]!;
  const shaped = x === input ? y : one(ctx, 'reshape', [y, dims(ctx, input, 0, r)]);
  const scaled = one(ctx, 'mul', [shaped, perChannel(ctx, ctx.input(1), r)]);
  return ctx.result('add', [scaled, perChannel(ctx, ctx.input(2), r)], {});
}

function instanceNorm(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  if (ctx.rank(x) < 3) {
    ctx.fail(Codes.SHAPE_INFERENCE, 'InstanceNormalization needs an input of rank 3 or more');
  }
  return normalizeThenScale(ctx, x, 2, x);
}

function groupNorm(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  if (ctx.attrs.int('stash_type', 1) !== 1) ctx.unsupported('GroupNormalization stash_type other than float');
  if (ctx.rank(x) < 2) ctx.fail(Codes.SHAPE_INFERENCE, 'GroupNormalization needs an input of rank 2 or more');
  const groups = ctx.attrs.int('num_groups');
  if (groups < 1) ctx.attrs.fail('num_groups', `must be positive, got ${groups}`);
  const grouped = one(ctx, 'reshape', [x, ints(ctx, [0, groups, -1])]);
  return normalizeThenScale(ctx, grouped, 2, x);
}

/** [N, C, H, W] -> blocks of b x b: DepthToSpace (toSpace) or SpaceToDepth, in DCR or CRD order. */
function blocks(ctx: ConvertCtx, toSpace: boolean): Value[] {
  const x = ctx.input(0);
  if (ctx.rank(x) !== 4) ctx.fail(Codes.SHAPE_INFERENCE, `${ctx.node.opType} needs a 4-D input`);
  const b = ctx.attrs.int('blocksize');
  if (b < 1) ctx.attrs.fail('blocksize', `must be positive, got ${b}`);
  const crd = ctx.attrs.string('mode', 'DCR') === 'CRD';
  if (!['DCR', 'CRD'].includes(ctx.attrs.string('mode', 'DCR'))) ctx.attrs.fail('mode', 'must be DCR or CRD');
  const n = dims(ctx, x, 0, 1), c = dims(ctx, x, 1, 2), hw = dims(ctx, x, 2, 4);
  const bb = ints(ctx, [b, b]);
  const concat = (parts: Value[]): Value => one(ctx, 'concat', parts, { axis: 0 });
  const scale = (v: Value, op: string): Value => one(ctx, op, [v, ints(ctx, [b])]);
  if (toSpace) {
    const cb = scale(scale(c, 'div'), 'div');
    const split = concat(crd ? [n, cb, bb, hw] : [n, bb, cb, hw]);
    const t = one(ctx, 'transpose', [one(ctx, 'reshape', [x, split])],
      { perm: crd ? [0, 1, 4, 2, 5, 3] : [0, 3, 4, 1, 5, 2] });
    return ctx.result('reshape', [t, concat([n, cb, scale(hw, 'mul')])], {});
  }
  const [h, w] = [dims(ctx, x, 2, 3), dims(ctx, x, 3, 4)].map((d) => scale(d, 'div'));
  const split = concat([n, c, h!, ints(ctx, [b]), w!, ints(ctx, [b])]);
  const t = one(ctx, 'transpose', [one(ctx, 'reshape', [x, split])],
    { perm: crd ? [0, 1, 3, 5, 2, 4] : [0, 3, 5, 1, 2, 4] });
  return ctx.result('reshape', [t, concat([n, scale(scale(c, 'mul'), 'mul'), h!, w!])], {});
}

const EMITS = ['layer_norm', 'reshape', 'unsqueeze', 'mul', 'add', 'shape', 'concat', 'div', 'transpose'];

export const NORM_EXPAND_ROWS: readonly ConverterRow[] = [
  row('InstanceNormalization', EMITS, instanceNorm),
  row('GroupNormalization', EMITS, groupNorm, 18),
  row('DepthToSpace', EMITS, (ctx) => blocks(ctx, true)),
  row('SpaceToDepth', EMITS, (ctx) => blocks(ctx, false)),
];
