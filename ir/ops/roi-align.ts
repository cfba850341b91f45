// Op record `roi_align {mode, outputHeight, outputWidth, samplingRatio, spatialScale,
// coordinateMode}` [x, rois, batchIndices] (ONNX RoiAlign): for each roi [x1, y1, x2, y2] (in x's
// pixels after spatial_scale) and channel, a grid of output bins, each the average (or max) of
// bilinear samples on a regular grid inside the bin, giving [R, C, outputHeight, outputWidth].
// Requires: x [N, C, H, W] float, rois [R, 4] of x's dtype, batchIndices [R] integers.
// Guarantees: the arithmetic of onnx's reference (op_roi_align.py), in float64: half_pixel shifts
// the roi by -0.5; output_half_pixel (opset 10's only mode) forces rois of at least 1x1; the grid
// is sampling_ratio per axis, or ceil(roi extent / bins) when it is 0; a sample outside
// [-1, H] x [-1, W] contributes 0; max mode takes the largest of each sample's four weighted
// taps, as onnxruntime does. A batch index outside [0, N) fails with INDEX_OUT_OF_RANGE; every
// load is clamped into x.
//
// Schedule: rois x channels in parallel, each bin and sample serial (the adaptive grid's extent
// differs per roi, so nothing is vectorised). No knobs.

import type { TensorType } from '../graph.js';
import { KernelStatus } from '../kernel-status.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import { add, alloc, and, binary, cast, div, floordiv, ge, gt, imm, letIn, load, loop, lt, max, min, mod,
  mul, select, seq, store, sub, unary } from '../tir-build.js';
import type { Expr, Stmt } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { checkDimEq, INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const ROI_ALIGN_ATTRS = {
  mode: attr.oneOf(['avg', 'max']),
  outputHeight: attr.int(1, { min: 1 }), outputWidth: attr.int(1, { min: 1 }),
  samplingRatio: attr.int(0, { min: 0 }), spatialScale: attr.float(1),
  coordinateMode: attr.oneOf(['half_pixel', 'output_half_pixel']),
};
type RoiAlignAttrs = AttrValues<typeof ROI_ALIGN_ATTRS>;

function inferRoiAlign(ins: readonly (TensorType | null)[], a: RoiAlignAttrs, ctx: InferCtx): TensorType[] {
  const [x, rois, idx] = ins;
  if (!x || x.shape.length !== 4) return ctx.fail(INPUT_MISMATCH, 'roi_align input must be [N, C, H, W]');
  if (!rois || rois.shape.length !== 2 || rois.dtype !== x.dtype) {
    return ctx.fail(INPUT_MISMATCH, 'roi_align rois must be [R, 4] of the input dtype');
  }
  if (!idx || idx.shape.length !== 1 || (idx.dtype !== 'int64' && idx.dtype !== 'int32')) {
    return ctx.fail(INPUT_MISMATCH, 'roi_align batch_indices must be [R] int32/int64');
  }
  checkDimEq(rois.shape[1], 4, 'rois dim 1 and 4', ctx, [1]);
  checkDimEq(idx.shape[0], rois.shape[0], 'batch_indices and rois counts', ctx, [2, 1]);
  return [{ dtype: x.dtype, shape: [rois.shape[0], x.shape[1], a.outputHeight, a.outputWidth] }];
}

const F = 'float64';
const f = (v: number): Expr => imm(v, F);
const floor = (e: Expr): Expr => unary('floor', e);

/** The sample at (y0, x0) of x[b, c]: its four taps and weights by the reference's rules. */
function sample(xa: TensorAccess, b: Expr, c: Expr, y0: Expr, x0: Expr, H: Expr, W: Expr,
  mode: 'avg' | 'max'): Expr {
  const [fH, fW] = [cast(H, F), cast(W, F)];
  const or = (p: Expr, q: Expr): Expr => binary('or', p, q);
  const outside = or(or(lt(y0, f(-1)), gt(y0, fH)), or(lt(x0, f(-1)), gt(x0, fW)));
  const axis = (v0: Expr, S: Expr) => {
    const v = max(v0, f(0)), low = cast(floor(v), 'int64');
    const edge = ge(low, sub(S, 1));
    const lo = select(edge, sub(S, 1), low), hi = select(edge, sub(S, 1), add(low, 1));
    const l = select(edge, f(0), sub(v, cast(low, F)));
    return { lo: max(lo, 0), hi: max(hi, 0), l, h: sub(f(1), l) };
  };
  const Y = axis(y0, H), X = axis(x0, W);
  const tap = (yy: Expr, xx: Expr, w: Expr): Expr => mul(w, cast(xa.at([b, c, yy, xx]), F));
  const taps = [tap(Y.lo, X.lo, mul(Y.h, X.h)), tap(Y.lo, X.hi, mul(Y.h, X.l)),
    tap(Y.hi, X.lo, mul(Y.l, X.h)), tap(Y.hi, X.hi, mul(Y.l, X.l))];
  const v = mode === 'avg' ? taps.reduce((p, q) => add(p, q)) : taps.reduce((p, q) => max(p, q));
  return select(outside, f(0), v);
}

function lowerRoiAlign(ctx: LowerCtx, a: RoiAlignAttrs): Lowering {
  const [x, rois, bidx] = ctx.inputs as TensorAccess[], out = ctx.outputs[0];
  const [N, C, H, W] = x.shape, R = rois.shape[0];
  const PH = a.outputHeight, PW = a.outputWidth, half = a.coordinateMode === 'half_pixel';
  const [rc, ph, pw, iy, ix] = ['rc', 'ph', 'pw', 'iy', 'ix'].map((h) => ctx.fresh(h));
  const r = floordiv(rc, C), c = mod(rc, C);
  const coord = (k: number): Expr =>
    sub(mul(cast(rois.at([r, imm(k)]), F), f(a.spatialScale)), f(half ? 0.5 : 0));
  const [sw, sh] = [coord(0), coord(1)];
  const extent = (end: Expr, start: Expr): Expr => (half ? sub(end, start) : max(sub(end, start), f(1)));
  const [rw, rh] = [extent(coord(2), sw), extent(coord(3), sh)];
  const [bh, bw] = [div(rh, f(PH)), div(rw, f(PW))];
  const grid = (ext: Expr, bins: number): Expr => (a.samplingRatio > 0 ? imm(a.samplingRatio)
    : cast(unary('ceil', div(ext, f(bins))), 'int64'));
  const [gh, gw] = [ctx.fresh('gh'), ctx.fresh('gw')];
  const b = cast(bidx.at([r]), 'int64'), bSafe = max(min(b, sub(N, 1)), 0);
  const acc = ctx.scratch('acc', F);
  const yy = add(add(sh, mul(cast(ph, F), bh)), div(mul(add(cast(iy, F), f(0.5)), bh), cast(gh, F)));
  const xx = add(add(sw, mul(cast(pw, F), bw)), div(mul(add(cast(ix, F), f(0.5)), bw), cast(gw, F)));
  const v = sample(x, bSafe, c, yy, xx, H, W, a.mode);
  const combine = a.mode === 'avg' ? add(load(acc, 0), v) : max(load(acc, 0), v);
  const count = max(mul(gh, gw), 1);
  const result = a.mode === 'avg' ? div(load(acc, 0), cast(count, F))
    : select(gt(mul(gh, gw), 0), load(acc, 0), f(0));
  const bin: Stmt = seq(store(acc, 0, f(a.mode === 'avg' ? 0 : -Infinity)),
    loop(iy, gh, loop(ix, gw, store(acc, 0, combine))),
    out.store([r, c, ph, pw], cast(result, out.dtype)));
  const check: Stmt = { kind: 'assert', cond: and(ge(b, 0), lt(b, N)),
    code: KernelStatus.INDEX_OUT_OF_RANGE };
  const body = seq(check, letIn(gh, grid(rh, PH), letIn(gw, grid(rw, PW),
    alloc(acc, 1, loop(ph, PH, loop(pw, PW, bin))))));
  return { kind: 'kernel', body: loop(rc, mul(R, C), body, 'parallel') };
}

export const ROI_ALIGN_OPS: readonly OpDef[] = [
  declareOp({ name: 'roi_align', traits: ['anchor'], attrs: ROI_ALIGN_ATTRS, infer: inferRoiAlign,
    lower: lowerRoiAlign }),
];
