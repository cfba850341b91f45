// Op records for the signal operators: `window {kind, periodic, to}` [size] (ONNX HannWindow,
// HammingWindow, BlackmanWindow), `dft {axis, inverse, onesided}` [x, length?, axis?, shape?]
// (ONNX DFT), `dft_plan {inverse, onesided}` [x, length?, axis] (the output shape of a DFT whose
// axis is read at run time) and `stft {onesided}` [signal, step, window?, frameLength?] (ONNX STFT).
// Requires: integer sizes, lengths, steps and axes (one element; run-time values are data
// symbols); x of a DFT [..., 1 | 2] (real, or complex as re/im pairs), its signal axis one of the
// others; a signal of STFT [B, T, 1 | 2].
// Guarantees: the formulas of the ONNX reference, summed in float64. window: n = 0..size-1 over a
// period of size (periodic) or size - 1. dft: the transform of length n (the length input, else
// the axis extent; zero-padded or truncated), e^-2πi·jm/n forward and e^+2πi·jm/n / n inverse,
// the angle reduced as (j·m mod n) so large lengths keep their precision; onesided forward keeps
// bins 0..n/2; inverse with onesided is the real inverse of a one-sided spectrum (n defaults to
// 2·(L - 1), the bins above n/2 are the conjugates of those below, output [..., 1]). A run-time
// axis outside the signal axes fails the run with status AXES_INVALID. stft: frames
// 1 + (T - frameLength) / step, each the frame times the window (missing samples are 0), then
// the forward DFT of length frameLength (onesided: bins 0..frameLength/2).
//
// Schedule: window is a `compute` (it fuses); dft and stft are direct O(n) sums per output bin,
// parallel over the output bins. No knobs (generic family).

import { type Dim, dimAdd, dimFloorDiv, dimMul, dimSub, isStatic } from '../dim.js';
import { ALL_DTYPES, type DType } from '../dtype.js';
import type { TensorType } from '../graph.js';
import { KernelStatus } from '../kernel-status.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import {
  add, alloc, and, binary, cast, div, eq, ge, imm, letIn, load, loop, lt, min, mod, mul, select, seq, store,
  sub, unary, unflatten,
} from '../tir-build.js';
import type { Expr, Stmt } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { ATTR_RANGE, INPUT_MISMATCH, prodExpr } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const F64: DType = 'float64';
const I = (v: number): Expr => imm(v);
const fc = (v: number): Expr => imm(v, F64);
const f64 = (e: Expr): Expr => cast(e, F64);
const INT_TYPES = new Set(['int64', 'int32', 'int16', 'int8', 'uint8', 'uint16', 'uint32', 'uint64']);
const FLOATS = new Set(['float32', 'float64', 'float16']);

/** The one value of integer input `i` as a dim (a number, or a data symbol read at run time). */
function scalarDim(ins: readonly (TensorType | null)[], i: number, what: string, ctx: InferCtx): Dim {
  const t = ins[i];
  if (!t || !INT_TYPES.has(t.dtype)) return ctx.fail(INPUT_MISMATCH, `${what} must be an integer tensor`);
  const v = ctx.values(i);
  if (!v || v.length !== 1) return ctx.fail(INPUT_MISMATCH, `${what} must hold one element`);
  if (isStatic(v[0]) && v[0] < 0) ctx.fail(ATTR_RANGE, `${what} ${v[0]} is negative`);
  return v[0];
}

/** Element 0 of a one-element tensor (rank 0 or 1) as int64. */
const firstInt = (t: TensorAccess): Expr => cast(t.at(t.shape.map(() => I(0))), 'int64');

/** list[a] for an axis that may be known only at run time (folds when `a` is a constant). */
const pick = (a: Expr, list: readonly Expr[]): Expr =>
  list.slice(1).reduce((acc, e, k) => select(eq(a, k + 1), e, acc), list[0]);

// ---- window ------------------------------------------------------------------------------------

const WINDOW_ATTRS = {
  kind: attr.oneOf(['hann', 'hamming', 'blackman']), periodic: attr.flag(1),
  to: attr.oneOf(ALL_DTYPES, 'float32'),
};
type WindowAttrs = AttrValues<typeof WINDOW_ATTRS>;

function inferWindow(ins: readonly (TensorType | null)[], a: WindowAttrs, ctx: InferCtx): TensorType[] {
  return [{ dtype: a.to, shape: [scalarDim(ins, 0, 'size', ctx)] }];
}

function lowerWindow(ctx: LowerCtx, a: WindowAttrs): Lowering {
  const out = ctx.outputs[0];
  const N = f64(a.periodic ? out.shape[0] : sub(out.shape[0], 1));
  return { kind: 'compute', at: ([n]) => {
    const t = div(mul(fc(2 * Math.PI), f64(n)), N);
    const c1 = unary('cos', t);
    const v = a.kind === 'hann' ? sub(fc(0.5), mul(fc(0.5), c1))
      : a.kind === 'hamming' ? sub(fc(25 / 46), mul(fc(21 / 46), c1))
        : add(sub(fc(0.42), mul(fc(0.5), c1)), mul(fc(0.08), unary('cos', mul(fc(2), t))));
    return cast(v, out.dtype);
  } };
}

// ---- dft ---------------------------------------------------------------------------------------

const DFT_ATTRS = { axis: attr.int(1), inverse: attr.flag(0), onesided: attr.flag(0) };
type DftAttrs = AttrValues<typeof DFT_ATTRS>;
const PLAN_ATTRS = { inverse: attr.flag(0), onesided: attr.flag(0) };
type PlanAttrs = AttrValues<typeof PLAN_ATTRS>;

/** x [..., 1 | 2] of rank >= 2; returns its rank and its complex width (a dim: 1 or 2 at run time). */
function dftInput(x: TensorType | null, ctx: InferCtx): [number, Dim] {
  if (!x || x.shape.length < 2) {
    return ctx.fail(INPUT_MISMATCH, 'dft needs an input of rank >= 2 ([..., 1 | 2])');
  }
  if (!FLOATS.has(x.dtype)) ctx.fail(INPUT_MISMATCH, `dft needs a float input, got ${x.dtype}`);
  const c = x.shape[x.shape.length - 1];
  if (isStatic(c) && c !== 1 && c !== 2) {
    ctx.fail(INPUT_MISMATCH, `the last dim must be 1 (real) or 2 (complex), got ${c}`);
  }
  ctx.require([[c, 1], [c, 2]], 'the last dim of $0 is %0, expected 1 (real) or 2 (complex)', [0], [c]);
  return [x.shape.length, c];
}

/** The imaginary part of element `idx` of x [..., 1 | 2] (0 for a real input). */
function imagAt(x: TensorAccess, idx: readonly Expr[]): Expr {
  const c = x.shape[x.shape.length - 1];
  return select(eq(c, 2), f64(x.at([...idx, min(sub(c, 1), 1)])), fc(0));
}

/** The transform length n and the output extent on the axis, as dims. */
function dftLengths(L: Dim, len: Dim | null, a: { inverse: number; onesided: number }): [Dim, Dim] {
  const irfft = a.inverse && a.onesided;
  const n = len ?? (irfft ? dimMul(dimSub(L, 1), 2) : L);
  return [n, a.onesided && !a.inverse ? dimAdd(dimFloorDiv(n, 2), 1) : n];
}

function inferDft(ins: readonly (TensorType | null)[], a: DftAttrs, ctx: InferCtx): TensorType[] {
  const x = ins[0]!;
  const [r] = dftInput(x, ctx);
  const cOut = a.inverse && a.onesided ? 1 : 2;
  if (ins[3]) {
    const v = ctx.values(3);
    if (!v || v.length !== r) return ctx.fail(INPUT_MISMATCH, `the planned shape must hold ${r} dims`);
    return [{ dtype: x.dtype, shape: [...v.slice(0, r - 1), cOut] }];
  }
  const axis = a.axis < 0 ? a.axis + r : a.axis;
  if (axis < 0 || axis > r - 2) {
    ctx.fail(ATTR_RANGE, `attribute 'axis' ${a.axis} is not a signal axis of rank ${r}`);
  }
  const len = ins[1] ? scalarDim(ins, 1, 'dft_length', ctx) : null;
  const shape = [...x.shape];
  shape[axis] = dftLengths(x.shape[axis], len, a)[1];
  shape[r - 1] = cOut;
  return [{ dtype: x.dtype, shape }];
}

function inferPlan(ins: readonly (TensorType | null)[], _a: PlanAttrs, ctx: InferCtx): TensorType[] {
  const [r] = dftInput(ins[0], ctx);
  if (ins[1]) scalarDim(ins, 1, 'dft_length', ctx);
  const ax = ins[2];
  if (!ax || !INT_TYPES.has(ax.dtype) || ax.shape.length > 1) {
    ctx.fail(INPUT_MISMATCH, 'the axis must be a one-element integer tensor');
  }
  return [{ dtype: 'int64', shape: [r] }];
}

/** The signal axis, length, transform length and output extent, as kernel expressions. */
interface DftGeometry { readonly a: Expr; readonly L: Expr; readonly n: Expr; readonly check: Stmt }

function geometry(ctx: LowerCtx, x: TensorAccess, len: TensorAccess | null, axis: TensorAccess | Expr,
  a: { inverse: number; onesided: number }): DftGeometry {
  const r = x.shape.length;
  const raw = 'kind' in axis ? axis : firstInt(axis);
  const ax = 'kind' in axis ? raw : select(lt(raw, 0), add(raw, r), raw);
  const check: Stmt = { kind: 'assert', cond: and(ge(ax, 0), binary('le', ax, r - 2)),
    code: KernelStatus.AXES_INVALID };
  const L = pick(ax, x.shape.slice(0, r - 1));
  const n = len ? firstInt(len) : a.inverse && a.onesided ? mul(sub(L, 1), 2) : L;
  return { a: ax, L, n, check };
}

function lowerPlan(ctx: LowerCtx, a: PlanAttrs): Lowering {
  const [x, len, axis] = [ctx.inputs[0]!, ctx.inputs[1], ctx.inputs[2]!], out = ctx.outputs[0];
  const r = x.shape.length, g = geometry(ctx, x, len, axis, a);
  const M = a.onesided && !a.inverse ? add(div(g.n, 2), 1) : g.n;
  const dims = x.shape.slice(0, r - 1).map((d, k) => out.store([I(k)], select(eq(g.a, k), M, d)));
  const last = out.store([I(r - 1)], I(a.inverse && a.onesided ? 1 : 2));
  return { kind: 'kernel', body: seq(g.check, ...dims, last) };
}

function lowerDft(ctx: LowerCtx, a: DftAttrs): Lowering {
  const [x, len, axisIn] = [ctx.inputs[0]!, ctx.inputs[1], ctx.inputs[2]], out = ctx.outputs[0];
  const r = x.shape.length;
  const irfft = a.inverse !== 0 && a.onesided !== 0;
  const g = geometry(ctx, x, len, axisIn ?? I(a.axis < 0 ? a.axis + r : a.axis), a);
  const lines = out.shape.slice(0, r - 1);
  const [p, j, m] = [ctx.fresh('p'), ctx.fresh('j'), ctx.fresh('m')];
  const acc = ctx.scratch('acc', F64), theta = ctx.fresh('th', F64);
  const coords = unflatten(p, lines);
  const src = coords.map((e, k) => select(eq(g.a, k), j, e));
  const xr = f64(x.at([...src, I(0)])), xi = imagAt(x, src);
  const angle = div(mul(fc((a.inverse ? 2 : -2) * Math.PI), f64(mod(mul(j, m), g.n))), f64(g.n));
  const [cs, sn] = [unary('cos', theta), unary('sin', theta)];
  const re = sub(mul(xr, cs), mul(xi, sn)), im = add(mul(xr, sn), mul(xi, cs));
  // The real inverse counts each bin strictly between 0 and n/2 twice (it and its conjugate).
  const w = irfft ? select(binary('or', eq(j, 0), eq(mul(j, 2), g.n)), fc(1), fc(2)) : fc(1);
  const K = irfft ? min(g.L, add(div(g.n, 2), 1)) : min(g.L, g.n);
  const step = letIn(theta, angle, seq(
    store(acc, 0, add(load(acc, 0), mul(w, re))),
    irfft ? seq() : store(acc, 1, add(load(acc, 1), im))));
  const scale = a.inverse ? div(fc(1), f64(g.n)) : fc(1);
  const put = (c: number) => out.store([...coords, I(c)], cast(mul(load(acc, c), scale), out.dtype));
  const line = letIn(m, pick(g.a, coords), alloc(acc, 2, seq(
    store(acc, 0, fc(0)), store(acc, 1, fc(0)),
    loop(j, K, step),
    put(0), irfft ? seq() : put(1))));
  return { kind: 'kernel', body: seq(g.check, loop(p, prodExpr(lines), line, 'parallel')) };
}

// ---- stft --------------------------------------------------------------------------------------

const STFT_ATTRS = { onesided: attr.flag(1) };
type StftAttrs = AttrValues<typeof STFT_ATTRS>;

function inferStft(ins: readonly (TensorType | null)[], a: StftAttrs, ctx: InferCtx): TensorType[] {
  const [x, , win] = ins;
  if (!x || x.shape.length !== 3) {
    return ctx.fail(INPUT_MISMATCH, 'stft needs a signal [batch, length, 1 | 2]');
  }
  const [, c] = dftInput(x, ctx);
  const step = scalarDim(ins, 1, 'frame_step', ctx);
  if (isStatic(step) && step === 0) ctx.fail(ATTR_RANGE, 'frame_step is 0');
  if (win && (win.shape.length !== 1 || !FLOATS.has(win.dtype))) {
    ctx.fail(INPUT_MISMATCH, 'the window must be a 1-D float tensor');
  }
  if (!win && !ins[3]) ctx.fail(INPUT_MISMATCH, 'stft needs a window or a frame_length');
  if (c === 2 && a.onesided) ctx.fail(INPUT_MISMATCH, 'a onesided stft needs a real signal');
  const fl = ins[3] ? scalarDim(ins, 3, 'frame_length', ctx) : win!.shape[0];
  const frames = dimAdd(dimFloorDiv(dimSub(x.shape[1], fl), step), 1);
  if (isStatic(frames) && frames < 1) ctx.fail(INPUT_MISMATCH, `the signal is shorter than one frame`);
  const bins = a.onesided ? dimAdd(dimFloorDiv(fl, 2), 1) : fl;
  return [{ dtype: x.dtype, shape: [x.shape[0], frames, bins, 2] }];
}

function lowerStft(ctx: LowerCtx): Lowering {
  const [x, stepIn, win, flIn] = ctx.inputs, out = ctx.outputs[0];
  const T = x!.shape[1];
  const step = firstInt(stepIn!), fl = flIn ? firstInt(flIn) : win!.shape[0];
  const W = win ? min(win.shape[0], fl) : fl;
  const [p, j] = [ctx.fresh('p'), ctx.fresh('j')];
  const acc = ctx.scratch('acc', F64), theta = ctx.fresh('th', F64);
  const [b, f, m] = unflatten(p, out.shape.slice(0, 3));
  const t = add(mul(f, step), j), inside = lt(t, T), tc = min(t, sub(T, 1));
  const wj = win ? f64(win.at([j])) : fc(1);
  const windowed = (v: Expr) => select(inside, mul(v, wj), fc(0));
  const [xr, xi] = [windowed(f64(x!.at([b, tc, I(0)]))), windowed(imagAt(x!, [b, tc]))];
  const [cs, sn] = [unary('cos', theta), unary('sin', theta)];
  const step_ = letIn(theta, div(mul(fc(-2 * Math.PI), f64(mod(mul(j, m), fl))), f64(fl)), seq(
    store(acc, 0, add(load(acc, 0), sub(mul(xr, cs), mul(xi, sn)))),
    store(acc, 1, add(load(acc, 1), add(mul(xr, sn), mul(xi, cs))))));
  const put = (c: number) => out.store([b, f, m, I(c)], cast(load(acc, c), out.dtype));
  const line = alloc(acc, 2, seq(store(acc, 0, fc(0)), store(acc, 1, fc(0)), loop(j, W, step_),
    put(0), put(1)));
  return { kind: 'kernel', body: loop(p, prodExpr(out.shape.slice(0, 3)), line, 'parallel') };
}

export const SIGNAL_OPS: readonly OpDef[] = [
  declareOp({ name: 'window', traits: ['injective'], attrs: WINDOW_ATTRS, infer: inferWindow,
    lower: lowerWindow }),
  declareOp({ name: 'dft', traits: ['opaque'], attrs: DFT_ATTRS, infer: inferDft, lower: lowerDft }),
  declareOp({ name: 'dft_plan', traits: ['opaque'], attrs: PLAN_ATTRS, infer: inferPlan, lower: lowerPlan }),
  declareOp({ name: 'stft', traits: ['opaque'], attrs: STFT_ATTRS, infer: inferStft, lower: lowerStft }),
];
