// Op record for `conv` (ONNX Conv, 1-D/2-D/3-D, grouped and depthwise, dilation, asymmetric pads,
// auto_pad) and its direct-convolution loop nest.
// Requires: inputs [x (N, C, spatial...), w (M, C/group, k...), bias (M) | null], float dtype;
// anchors get materialised, row-major inputs (ctx.inputs[i].buffer).
// Guarantees: infer keeps symbolic dims symbolic (dynamic batch, spatial dims); the kernel writes
// every output element exactly once through the sink (epilogue fusion) after an f32 reduction in a
// fixed order (input channel, then kernel taps in row-major order), and issues FMAs as
// add(mul(w, x), acc) so codegen emits vector fused multiply-adds.
//
// Schedule (knobs, read with defaults so a tuner can sweep them):
//   conv.vec     lanes per vector along the last output axis   (default target.vectorLanes)
//   conv.oc      output channels per register tile (TO)         (default 4; 1 when depthwise)
//   conv.wv      vectors per register tile along the width (TW) (default 2; 4 when depthwise)
// The parallel axis fuses (n, group, channel tile, all output spatial axes but the last); inside,
// the last output axis is tiled by TW*V; TO*TW*V accumulators live in a local scratch indexed by
// unrolled and vectorised loop vars so they become registers.

import type { Dim } from '../dim.js';
import { isStatic } from '../dim.js';
import type { Attrs, TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import type { Buffer, Expr, Stmt, Var } from '../tir.js';
import {
  add, alloc, and, flatIndex, ge, ifThen, imm, le, letIn, load, loop, lt, min, mul, select, seq, store, sub,
  unflatten,
} from '../tir-build.js';
import {
  ATTR_RANGE, INPUT_MISMATCH, LOWER_FAIL, type Window, ceilDivExpr, checkDimEq, checkOutPositive,
  constOf, inBounds, intAttr, isZero, knob, padBeginExpr, padEndExpr, prodExpr, readWindow, requireFloat,
  windowOut,
} from './attrs.js';
import type { InferCtx } from './registry.js';
import { defineOps } from './registry.js';

function inferConv(ins: readonly (TensorType | null)[], attrs: Attrs, ctx: InferCtx): TensorType[] {
  const x = requireFloat(ins, 0, 'conv input', ctx, 3, 5);
  const w = requireFloat(ins, 1, 'conv weight', ctx, 3, 5);
  const rank = x.shape.length, S = rank - 2;
  if (w.shape.length !== rank) {
    ctx.fail(INPUT_MISMATCH, `conv weight rank ${w.shape.length} != input rank ${rank}`);
  }
  if (w.dtype !== x.dtype) ctx.fail(INPUT_MISMATCH, `conv weight dtype ${w.dtype} != input dtype ${x.dtype}`);
  const win = readWindow(attrs, S, ctx);
  const group = intAttr(attrs, 'group', 1);
  if (!Number.isInteger(group) || group < 1) ctx.fail(ATTR_RANGE, `conv group must be >= 1, got ${group}`);
  const [n, c] = x.shape;
  const m = w.shape[0];
  const icg = isStatic(c) ? c / group : w.shape[1];
  checkDimEq(w.shape[1], icg, 'conv weight channels vs input channels/group', ctx);
  for (const [d, what] of [[c, 'input'], [m, 'output']] as const) {
    if (isStatic(d) && d % group !== 0) {
      ctx.fail(INPUT_MISMATCH, `conv ${what} channels ${d} not divisible by group ${group}`);
    }
  }
  for (let i = 0; i < S; i++) {
    checkDimEq(w.shape[2 + i], win.kernel[i], `conv kernel extent on axis ${i}`, ctx);
  }
  const b = ins[2];
  if (b) {
    if (b.shape.length !== 1) ctx.fail(INPUT_MISMATCH, `conv bias must be 1-D, got rank ${b.shape.length}`);
    checkDimEq(b.shape[0], m, 'conv bias length vs output channels', ctx);
  }
  const spatial: Dim[] = x.shape.slice(2).map((d, i) => windowOut(win, i, d));
  checkOutPositive(spatial, ctx);
  return [{ dtype: x.dtype, shape: [n, m, ...spatial] }];
}

/** Everything the loop-nest builder needs, resolved once from ctx. */
interface ConvPlan {
  readonly ctx: LowerCtx;
  readonly win: Window;
  readonly x: TensorAccess & { buffer: Buffer };
  readonly w: TensorAccess & { buffer: Buffer };
  readonly S: number;
  readonly ocg: Expr; // output channels per group
  readonly icg: Expr; // input channels per group
  readonly TO: number; readonly TW: number; readonly V: number;
  readonly padB: readonly Expr[]; readonly padE: readonly Expr[];
}

function planConv(ctx: LowerCtx): ConvPlan {
  const x = ctx.inputs[0]!, w = ctx.inputs[1]!;
  if (!x.buffer || !w.buffer) throw new Error('internal: conv inputs must be materialised');
  const S = x.shape.length - 2;
  const win = readWindow(ctx.attrs, S, LOWER_FAIL);
  const group = intAttr(ctx.attrs, 'group', 1);
  const wOut = ctx.inTypes[1]!.shape[0];
  const ocgStatic = isStatic(wOut) ? wOut / group : undefined;
  const depthwise = ocgStatic === 1;
  const V = knob(ctx.knobs, 'conv.vec', ctx.target.vectorLanes);
  let TO = depthwise ? 1 : knob(ctx.knobs, 'conv.oc', 4);
  if (ocgStatic !== undefined) TO = Math.min(TO, ocgStatic);
  let TW = knob(ctx.knobs, 'conv.wv', depthwise ? 4 : 2);
  const lastOut = constOf(ctx.outputs[0].shape[S + 1]);
  if (lastOut !== undefined) TW = Math.max(1, Math.min(TW, Math.ceil(lastOut / V)));
  const outSp = ctx.outputs[0].shape.slice(2), inSp = x.shape.slice(2);
  const padB = inSp.map((d, i) => padBeginExpr(win, i, d, outSp[i]));
  const padE = inSp.map((d, i) => padEndExpr(win, i, d, outSp[i]));
  const ocg = ocgStatic !== undefined ? imm(ocgStatic) : ctx.dim(ctx.inTypes[1]!.shape[0]);
  return {
    ctx, win, S, TO, TW, V, padB, padE, ocg, icg: w.shape[1],
    x: x as ConvPlan['x'], w: w as ConvPlan['w'],
  };
}

function lowerConv(ctx: LowerCtx): Lowering {
  const p = planConv(ctx);
  const { x, w, S, TO, TW, V, win } = p;
  const out = ctx.outputs[0];
  const N = x.shape[0];
  const X = x.shape.slice(2), O = out.shape.slice(2);
  const G = intAttr(ctx.attrs, 'group', 1);
  const MT = ceilDivExpr(p.ocg, TO);
  const outerO = O.slice(0, S - 1), OL = O[S - 1];
  const TWV = TW * V;
  const olConst = constOf(OL);
  const tail = olConst === undefined || olConst % TWV !== 0;
  const ocTail = constOf(p.ocg) === undefined || constOf(p.ocg)! % TO !== 0;

  const pv = ctx.fresh('p'), wt = ctx.fresh('wt'), ic = ctx.fresh('ic');
  const kv: Var[] = win.kernel.map((_, i) => ctx.fresh(`k${i}`));
  const to = ctx.fresh('to'), tw = ctx.fresh('tw'), lv = ctx.fresh('v');
  const acc = ctx.scratch('acc', x.dtype);
  const [n, g, mt, ...oo] = unflatten(pv, [N, imm(G), MT, ...outerO]);
  const accIdx = add(mul(add(mul(to, TW), tw), V), lv);
  const ol = add(mul(add(mul(wt, TW), tw), V), lv);
  const mIn = add(mul(mt, TO), to);
  const mGlobal = add(mul(g, p.ocg), mIn);

  // Input coordinates per spatial axis and the bounds checks padding makes necessary.
  const oAll = [...oo, ol];
  const iCoord = oAll.map((o, i) =>
    sub(add(mul(o, win.strides[i]), mul(kv[i], win.dilations[i])), p.padB[i]));
  // Bounds per axis; the last axis gets a masked and an unmasked variant (interior tiles).
  const conds = iCoord.map((ii, i) =>
    inBounds(ii, X[i], !isZero(p.padB[i]), !isZero(p.padE[i]) || (i === S - 1 && tail)));
  const outerCond = conds.slice(0, S - 1).reduce((a, b) => and(a, b), imm(1, 'bool'));
  const condFor = (masked: boolean): Expr => (masked ? and(outerCond, conds[S - 1]) : outerCond);
  const cIdx = add(mul(g, p.icg), ic);
  const xLoad = load(x.buffer, flatIndex([n, cIdx, ...iCoord], x.shape));
  const xvFor = (masked: boolean): Expr => select(condFor(masked), xLoad, imm(0, x.dtype));
  const mW = ocTail ? min(mIn, sub(p.ocg, 1)) : mIn; // clamp so tail channels never read past w
  const wIdx = flatIndex([add(mul(g, p.ocg), mW), ic, ...kv], w.shape);
  const wv = ctx.fresh('wv', x.dtype);

  const lanes = (body: Stmt, kind: 'vectorize' | 'serial' = 'vectorize'): Stmt =>
    loop(to, TO, loop(tw, TW, loop(lv, V, body, kind), 'unroll'), 'unroll');
  const init = lanes(store(acc, accIdx, imm(0, x.dtype)));
  const reduction = (masked: boolean): Stmt => {
    const fma = store(acc, accIdx, add(mul(wv, xvFor(masked)), load(acc, accIdx)));
    const vec = loop(tw, TW, loop(lv, V, fma, 'vectorize'), 'unroll');
    let red: Stmt = loop(to, TO, letIn(wv, load(w.buffer, wIdx), vec), 'unroll');
    for (let i = S - 1; i >= 0; i--) red = loop(kv[i], win.kernel[i], red);
    return loop(ic, p.icg, red);
  };
  // A width tile is interior when every tap of every lane lies inside the row: no lane masks.
  const lastK = win.dilations[S - 1] * (win.kernel[S - 1] - 1), sL = win.strides[S - 1];
  const firstIn = sub(mul(mul(wt, TWV), sL), p.padB[S - 1]);
  const lastIn = add(sub(mul(sub(mul(add(wt, 1), TWV), 1), sL), p.padB[S - 1]), lastK);
  const interior = and(and(ge(firstIn, 0), lt(lastIn, X[S - 1])), le(mul(add(wt, 1), TWV), OL));
  const needsMask = conds[S - 1].kind !== 'const';
  const red = needsMask ? ifThen(interior, reduction(false), reduction(true)) : reduction(false);
  const bias = ctx.inputs[2];
  const accV = load(acc, accIdx);
  const value = bias ? add(accV, bias.at([mGlobal])) : accV;
  const storeOk = [ocTail ? lt(mIn, p.ocg) : null, tail ? lt(ol, OL) : null].filter((e): e is Expr => !!e);
  const st = out.store([n, mGlobal, ...oo, ol], value);
  const guarded = storeOk.length ? ifThen(storeOk.reduce((a, b) => and(a, b)), st) : st;
  const fin = lanes(guarded, out.vectorizable ? 'vectorize' : 'serial');

  const tile = alloc(acc, TO * TWV, seq(init, red, fin));
  const P = prodExpr([N, imm(G), MT, ...outerO]);
  return { kind: 'kernel', body: loop(pv, P, loop(wt, ceilDivExpr(OL, TWV), tile), 'parallel') };
}

defineOps([
  { name: 'conv', traits: ['anchor'], infer: inferConv, lower: lowerConv },
]);
