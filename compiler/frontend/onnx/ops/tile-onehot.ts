// Converters for Tile, EyeLike, OneHot, Hardmax (-> tile, eye_like, one_hot, hardmax of
// ir/ops/tile-onehot.ts) and LpNormalization (-> reduce_l1/reduce_l2 over the axis, kept, then
// div; a zero norm gives 0). Requires: those declared ops. Guarantees: EyeLike's dtype and
// OneHot's depth are mapped to kestrel types (a float depth is cast to int64, truncating, as the
// ONNX reference does); Hardmax before opset 13 normalises over the input flattened at axis
// (coerce2d); an LpNormalization p other than 1 or 2 fails with KC0401.

import { isStatic } from '../../../../ir/dim.js';
import { dtypeFromOnnx } from '../../../../ir/dtype.js';
import type { Value } from '../../../../ir/graph.js';
import { type ConvertCtx, int64Data } from '../context.js';
import { row, type ConverterRow } from './types.js';

/** Tile; repeats of symbolic length (it must be the rank) are viewed as [rank] so the VM reads them. */
function tile(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  let reps = ctx.input(1);
  if (reps.type.shape.length === 1 && !isStatic(reps.type.shape[0])) {
    [reps] = ctx.emit('reshape', [reps, ctx.constant(int64Data([ctx.rank(x)]))], {});
  }
  return ctx.result('tile', [x, reps], {});
}

function eyeLike(ctx: ConvertCtx): Value[] {
  if (!ctx.attrs.has('dtype')) return ctx.resultFrom('eye_like', [ctx.input(0)], { k: 'k' });
  const code = ctx.attrs.int('dtype'), to = dtypeFromOnnx(code);
  if (!to) return ctx.unsupported(`EyeLike to ONNX data type ${code}`);
  return ctx.resultFrom('eye_like', [ctx.input(0)], { k: 'k' }, { to });
}

function oneHot(ctx: ConvertCtx): Value[] {
  let depth = ctx.input(1);
  if (depth.type.dtype !== 'int64') [depth] = ctx.emit('cast', [depth], { to: 'int64' });
  return ctx.resultFrom('one_hot', [ctx.input(0), depth, ctx.input(2)], { axis: 'axis' });
}

function hardmax(ctx: ConvertCtx): Value[] {
  const legacy = ctx.opset < 13 ? { coerce2d: 1, ...(ctx.attrs.has('axis') ? {} : { axis: 1 }) } : {};
  return ctx.resultFrom('hardmax', [ctx.input(0)], { axis: 'axis' }, legacy);
}

function lpNorm(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), p = ctx.attrs.has('p') ? ctx.attrs.int('p') : 2;
  if (p !== 1 && p !== 2) ctx.attrs.fail('p', `must be 1 or 2, got ${p}`);
  const axis = ctx.axis(ctx.attrs.has('axis') ? ctx.attrs.int('axis') : -1, ctx.rank(x));
  const [n] = ctx.emit(p === 1 ? 'reduce_l1' : 'reduce_l2', [x], { axes: [axis], keepdims: 1 });
  // A zero norm divides by 1 (the row is zero): 0, as the ONNX reference gives, not NaN.
  const one = ctx.scalar(x.type.dtype, 1), zero = ctx.scalar(x.type.dtype, 0);
  const [safe] = ctx.emit('where', [ctx.emit('equal', [n, zero], {})[0], one, n], {});
  return ctx.result('div', [x, safe], {});
}

export const TILE_ONEHOT_ROWS: readonly ConverterRow[] = [
  row('Tile', ['reshape', 'tile'], tile, 6),
  row('EyeLike', ['eye_like'], eyeLike, 9),
  row('OneHot', ['cast', 'one_hot'], oneHot, 9),
  row('Hardmax', ['hardmax'], hardmax),
  row('LpNormalization', ['reduce_l1', 'reduce_l2', 'equal', 'where', 'div'], lpNorm),
];
