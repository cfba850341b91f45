// Op record for `resize` (ONNX Resize 10..19 and Upsample): nearest, linear and cubic
// interpolation over any set of axes, with every coordinate transformation mode.
// Inputs: [x, scales | null, sizes | null, roi | null]; scales, sizes and roi hold one entry per
// resized axis (`axes`, in that order; roi as all starts then all ends) and may be run-time tensors.
// Attrs: mode, coord, nearest, cubicA, exclude, extrapolation, axes — complete, from the frontend
// (compiler/frontend/onnx/ops/resize.ts), which also turns run-time scales into sizes.
// Guarantees: output dims come from `sizes` (their contents as dims, data symbols at run time) or
// from constant scales (floor(in * scale), exact for symbolic dims since a float is m / 2^k);
// coordinates are computed in float64 as the ONNX reference does (constant scales folded in),
// neighbour indices are clamped to the input (the reference's edge padding), and `exclude`
// renormalises the taps that remain. Nearest upsampling by constant integer scales takes the
// path of resize-int.ts, which gives the same values without float math or gathers.

import { dimFloorDiv, dimMul, isStatic, type Dim } from '../dim.js';
import { constValues } from '../const.js';
import { isFloat, type DType } from '../dtype.js';
import type { TensorType } from '../graph.js';
import { elementLoops } from '../te-loops.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import { add, and, binary, cast, div, eq, ge, gt, imm, letIn, lt, max, min, mul, select, sub, unary }
  from '../tir-build.js';
import type { Expr, Stmt, Var } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { ATTR_RANGE, INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import { integerScales, lowerIntegerNearest } from './resize-int.js';
import type { InferCtx, OpDef } from './registry.js';

const F64: DType = 'float64';

export const RESIZE_MODES = ['nearest', 'linear', 'cubic'] as const;
/**
 * The attributes, named after ONNX Resize 11+'s (opset 10 and Upsample: the frontend sets
 * asymmetric coordinates and floor rounding). `axes` are the resized axes, all by default.
 */
export const RESIZE_ATTRS = {
  mode: attr.oneOf(RESIZE_MODES),
  coord: attr.oneOf(['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners',
    'asymmetric', 'tf_half_pixel_for_nn', 'tf_crop_and_resize']),
  nearest: attr.oneOf(['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']),
  cubicA: attr.float(-0.75),
  exclude: attr.flag(0),
  extrapolation: attr.float(0),
  axes: attr.ints((rank) => Array.from({ length: rank(0) ?? 0 }, (_, i) => i)),
};
type ResizeAttrs = AttrValues<typeof RESIZE_ATTRS>;

/** floor(d * s) for a float scale s, exact on symbolic dims (s = m / 2^k for a finite float). */
export function scaledDim(d: Dim, s: number): Dim {
  if (isStatic(d)) return Math.floor(d * s);
  let den = 1, num = s;
  while (!Number.isInteger(num) && den < 2 ** 40) { num *= 2; den *= 2; }
  return dimFloorDiv(dimMul(d, Math.round(num)), den);
}

function inferResize(ins: readonly (TensorType | null)[], attrs: ResizeAttrs, ctx: InferCtx): TensorType[] {
  const [x, scales, sizes] = ins;
  if (!x) return ctx.fail(INPUT_MISMATCH, 'needs an input tensor');
  const { mode, axes } = attrs;
  if (mode !== 'nearest' && !isFloat(x.dtype)) ctx.fail(INPUT_MISMATCH, `${mode} resize needs floats`);
  if (axes.some((a) => a < 0 || a >= x.shape.length)) ctx.fail(ATTR_RANGE, `axes [${axes}] out of range`);
  const shape = [...x.shape];
  const given = sizes ? ctx.values(2) : undefined;
  const sc = scales && !sizes ? ctx.constant(1) : undefined;
  const fs = sc ? constValues(sc) : undefined;
  if (sizes && (!given || given.length !== axes.length)) {
    ctx.fail(INPUT_MISMATCH, `sizes must hold ${axes.length} known entries`);
  }
  if (!sizes && (!fs || fs.length !== axes.length)) {
    ctx.fail(INPUT_MISMATCH, `scales must be a constant of ${axes.length} entries when sizes are absent`);
  }
  axes.forEach((a, k) => {
    const d = given ? given[k] : scaledDim(x.shape[a], fs![k]);
    if (isStatic(d) && d < 0) ctx.fail(ATTR_RANGE, `output dim ${d} on axis ${a} is negative`);
    shape[a] = d;
  });
  return [{ dtype: x.dtype, shape }];
}

/** One neighbour of an output coordinate on one axis: its clamped index and its weight. */
interface Tap { readonly index: Expr; readonly weight: Expr | null }

interface AxisEnv {
  readonly ctx: LowerCtx;
  readonly lets: [Var, Expr][];
  readonly inLen: Expr; // int64
  readonly outLen: Expr; // int64
}

function bind(env: AxisEnv, hint: string, e: Expr): Expr {
  if (e.kind === 'const' || e.kind === 'var') return e;
  const v = env.ctx.fresh(hint, e.dtype);
  env.lets.push([v, e]);
  return v;
}

const f64 = (e: Expr): Expr => cast(e, F64);
const fc = (v: number): Expr => imm(v, F64);

/** The input coordinate of output coordinate `xr` on one axis (ONNX coordinate transforms). */
function sourceCoord(env: AxisEnv, coord: string, xr: Expr, scale: Expr, roi: [Expr, Expr] | null): Expr {
  // Like the reference, the resized length is the float scale * length, not the output dim.
  const inF = f64(env.inLen), outF = mul(scale, inF);
  const half = sub(div(add(xr, fc(0.5)), scale), fc(0.5));
  switch (coord) {
    case 'half_pixel': return half;
    case 'half_pixel_symmetric': {
      const adjust = div(f64(env.outLen), outF);
      return add(mul(mul(inF, fc(0.5)), sub(fc(1), adjust)), half);
    }
    case 'pytorch_half_pixel': return select(gt(outF, fc(1)), half, fc(0));
    case 'align_corners':
      return select(eq(outF, fc(1)), fc(0), div(mul(xr, sub(inF, fc(1))), sub(outF, fc(1))));
    case 'asymmetric': return div(xr, scale);
    case 'tf_half_pixel_for_nn': return div(add(xr, fc(0.5)), scale);
    case 'tf_crop_and_resize': {
      const [s, e] = roi!, span = sub(inF, fc(1));
      const step = div(mul(xr, mul(sub(e, s), span)), sub(outF, fc(1)));
      return select(gt(outF, fc(1)), add(mul(s, span), step), mul(mul(fc(0.5), add(s, e)), span));
    }
    default: throw new Error(`internal: coordinate mode '${coord}' reached lowering`);
  }
}

const clampIndex = (i: Expr, len: Expr): Expr => max(min(i, sub(len, 1)), 0);

function nearestIndex(mode: string, x: Expr): Expr {
  switch (mode) {
    case 'round_prefer_floor': return unary('ceil', sub(x, fc(0.5)));
    case 'round_prefer_ceil': return unary('floor', add(x, fc(0.5)));
    case 'floor': return unary('floor', x);
    case 'ceil': return unary('ceil', x);
    default: throw new Error(`internal: nearest mode '${mode}' reached lowering`);
  }
}

/** Cubic convolution weights of the four taps around a fractional offset r in (0, 1]. */
function cubicWeights(r: Expr, a: number): Expr[] {
  const far = (t: Expr): Expr => // |t| in [1, 2): ((A t - 5A) t + 8A) t - 4A
    sub(mul(add(mul(sub(mul(fc(a), t), fc(5 * a)), t), fc(8 * a)), t), fc(4 * a));
  const near = (t: Expr): Expr => // |t| < 1: ((A + 2) t - (A + 3)) t^2 + 1
    add(mul(sub(mul(fc(a + 2), t), fc(a + 3)), mul(t, t)), fc(1));
  const q = sub(fc(1), r);
  return [far(add(r, fc(1))), near(r), near(q), far(add(q, fc(1)))];
}

/** The taps of one resized axis: neighbour indices (clamped) and float64 weights. */
function axisTaps(env: AxisEnv, attrs: ResizeAttrs, xo: Expr): Tap[] {
  const mode = attrs.mode;
  if (mode === 'nearest') {
    const i = cast(nearestIndex(attrs.nearest, xo), 'int64');
    return [{ index: bind(env, 'ri', clampIndex(i, env.inLen)), weight: null }];
  }
  // i0 = ceil(x) - 1 and r = x - i0 in (0, 1]: the reference prefers the left neighbour.
  const i0 = bind(env, 'i0', sub(cast(unary('ceil', xo), 'int64'), 1));
  const r = bind(env, 'r', sub(xo, f64(i0)));
  const offsets = mode === 'linear' ? [0, 1] : [-1, 0, 1, 2];
  let ws = mode === 'linear' ? [sub(fc(1), r), r] : cubicWeights(r, attrs.cubicA);
  if (attrs.exclude) {
    ws = ws.map((w, k) => {
      const i = add(i0, offsets[k]);
      return select(and(ge(i, 0), lt(i, env.inLen)), w, fc(0));
    });
    const total = bind(env, 'wsum', ws.reduce((a, b) => add(a, b)));
    ws = ws.map((w) => div(w, total));
  }
  return offsets.map((o, k) => ({
    index: bind(env, 'ri', clampIndex(add(i0, o), env.inLen)), weight: bind(env, 'rw', ws[k]),
  }));
}

/** Sum over the cartesian product of every axis' taps of the weighted input values. */
function combine(x: TensorAccess, taps: readonly Tap[][], acc: DType): Expr {
  let terms: { idx: Expr[]; w: Expr | null }[] = [{ idx: [], w: null }];
  for (const axis of taps) {
    terms = terms.flatMap((t) => axis.map((p) => ({
      idx: [...t.idx, p.index],
      w: p.weight === null ? t.w : t.w === null ? p.weight : mul(t.w, p.weight),
    })));
  }
  const vals = terms.map((t) => {
    const v = x.at(t.idx);
    return t.w === null ? v : mul(cast(t.w, acc), cast(v, acc));
  });
  return vals.reduce((a, b) => add(a, b));
}

function lowerResize(ctx: LowerCtx, a: ResizeAttrs): Lowering {
  const [x, scales, , roi] = ctx.inputs, out = ctx.outputs[0];
  const { coord, axes } = a;
  // Constant scales (the common case) are numbers in the formulas, not loads.
  const known = scales ? ctx.constant?.(1) : undefined;
  const fixed = known ? constValues(known) : undefined;
  const ints = integerScales(a.mode, coord, a.nearest, fixed);
  if (ints) return lowerIntegerNearest(ctx, axes, ints);
  const acc: DType = x!.dtype === 'float64' ? 'float64' : 'float32';
  const body = elementLoops({ fresh: ctx.fresh, lanes: ctx.target.vectorLanes }, out.shape, (idx) => {
    const lets: [Var, Expr][] = [];
    const outside: Expr[] = [];
    const taps: Tap[][] = idx.map((i) => [{ index: i, weight: null }]);
    axes.forEach((ax, k) => {
      const env: AxisEnv = { ctx, lets, inLen: x!.shape[ax], outLen: out.shape[ax] };
      const scale = fixed ? fc(fixed[k]) : scales ? bind(env, 'rs', f64(scales.at([imm(k)])))
        : bind(env, 'rs', div(f64(env.outLen), f64(env.inLen)));
      const box: [Expr, Expr] | null = roi
        ? [f64(roi.at([imm(k)])), f64(roi.at([imm(k + axes.length)]))] : null;
      const xo = bind(env, 'xo', sourceCoord(env, coord, f64(idx[ax]), scale, box));
      if (coord === 'tf_crop_and_resize') outside.push(lt(xo, fc(0)), gt(xo, sub(f64(env.inLen), fc(1))));
      taps[ax] = axisTaps(env, a, xo);
    });
    let value = combine(x!, taps, acc);
    if (outside.length > 0) {
      const anyOut = outside.reduce((p, q) => binary('or', p, q));
      value = select(anyOut, imm(a.extrapolation, acc), cast(value, acc));
    }
    const store: Stmt = out.store(idx, cast(value, out.dtype));
    return lets.reduceRight<Stmt>((s, [v, e]) => letIn(v, e, s), store);
  });
  return { kind: 'kernel', body };
}

export const RESIZE_OPS: readonly OpDef[] = [
  declareOp({
    name: 'resize', traits: ['anchor'], attrs: RESIZE_ATTRS, infer: inferResize, lower: lowerResize,
  }),
];
