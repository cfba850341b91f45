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
//   conv.oc      output channels per register tile (TO)         (default 6; 1 when depthwise)
//   conv.wv      max vectors per register tile along the width (TW) (default 3; 4 when depthwise),
//                balanced over the row
// The parallel axis fuses (n, group, channel tile, all output spatial axes but the last); inside,
// the last output axis is tiled by TW*V; TO*TW*V accumulators live in a local scratch indexed by
// unrolled and vectorised loop vars so they become registers.

import type { Dim } from '../dim.js';
import { dimAdd, dimMul, isStatic } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import type { Buffer, Expr, Stmt, Var } from '../tir.js';
import {
  add, alloc, and, cast, flatIndex, ge, ifThen, imm, le, letIn, load, loop, lt, min, mul, select, seq, store,
  sub, unflatten,
} from '../tir-build.js';
import {
  ATTR_RANGE, INPUT_MISMATCH, LOWER_FAIL, type Window, ceilDivExpr, checkDimEq, checkOutPositive,
  constOf, inBounds, intAttr, isZero, knob, padBeginExpr, padEndExpr, prodExpr, readWindow, requireFloat,
  WINDOW_ATTRS, checkWindowOfInput, windowOf, windowOut,
} from './attrs.js';
import { isPointwise, lowerPointwise } from './conv-gemm.js';
import { defaultPackedVectors, rowStoreCondition, storeRows } from './conv-rows.js';
import { isPlainDepthwise, lowerDepthwise } from './depthwise.js';
import { choose } from './window-interior.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const CONV_ATTRS = {
  ...WINDOW_ATTRS,
  group: attr.int(1, { min: 1 }),
  /** Set by compiler/passes/pack-conv-weights.ts: output-channel lanes of the packed weight. */
  packedOc: attr.optional(attr.int(undefined, { min: 1 })),
  /** Set with packedOc: the output channels the packed weight holds (padded to lanes). */
  outChannels: attr.optional(attr.int(undefined, { min: 1 })),
};
const PAD2D_ATTRS = { pads: attr.ints(undefined, { min: 0 }), value: attr.float(0) };

function inferConv(ins: readonly (TensorType | null)[], a: AttrValues<typeof CONV_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const x = requireFloat(ins, 0, 'conv input', ctx, 3, 5);
  const w = requireFloat(ins, 1, 'conv weight', ctx, 3, 6);
  const rank = x.shape.length, S = rank - 2;
  if (w.dtype !== x.dtype) ctx.fail(INPUT_MISMATCH, `conv weight dtype ${w.dtype} != input dtype ${x.dtype}`);
  const win = windowOf(a), group = a.group;
  const [n, c] = x.shape;
  // Packed weights (compiler/passes/pack-conv-weights.ts): [ceil(M/L), C, k..., L].
  const L = a.packedOc ?? 0;
  const m: Dim = L ? a.outChannels ?? 0 : w.shape[0];
  if (L) {
    if (w.shape.length !== rank + 1 || group !== 1) ctx.fail(INPUT_MISMATCH, 'conv packed weight layout');
    checkDimEq(w.shape[0], Math.ceil((m as number) / L), 'conv packed weight blocks', ctx);
    checkDimEq(w.shape[rank], L, 'conv packed weight lanes', ctx);
  } else if (w.shape.length !== rank) {
    ctx.fail(INPUT_MISMATCH, `conv weight rank ${w.shape.length} != input rank ${rank}`);
  }
  const icg = isStatic(c) ? c / group : w.shape[1];
  checkDimEq(w.shape[1], icg, 'conv weight channels vs input channels/group', ctx);
  if (!isStatic(c)) {
    checkDimEq(c, dimMul(w.shape[1], group), 'input channels vs weight channels × group', ctx, [0, 1]);
  }
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
  let TO = depthwise ? 1 : knob(ctx.knobs, 'conv.oc', 6);
  if (ocgStatic !== undefined) TO = Math.min(TO, ocgStatic);
  let TW = knob(ctx.knobs, 'conv.wv', depthwise ? 4 : 3);
  const lastOut = constOf(ctx.outputs[0].shape[S + 1]);
  if (lastOut !== undefined) {
    const nv = Math.ceil(lastOut / V); // balanced tiles of at most TW vectors: 4 -> 2+2, not 3+1
    TW = Math.max(1, Math.ceil(nv / Math.ceil(nv / TW)));
  }
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
  // float16 / bfloat16 accumulate in float32 and round once, at the store.
  const at = x.dtype === 'float16' || x.dtype === 'bfloat16' ? 'float32' : x.dtype;
  const up = (e: Expr): Expr => (at === x.dtype ? e : cast(e, at));
  const acc = ctx.scratch('acc', at);
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
  const xvFor = (masked: boolean): Expr => up(select(condFor(masked), xLoad, imm(0, x.dtype)));
  const mW = ocTail ? min(mIn, sub(p.ocg, 1)) : mIn; // clamp so tail channels never read past w
  const wIdx = flatIndex([add(mul(g, p.ocg), mW), ic, ...kv], w.shape);
  const wv = ctx.fresh('wv', at);

  const lanes = (body: Stmt, kind: 'vectorize' | 'serial' = 'vectorize'): Stmt =>
    loop(to, TO, loop(tw, TW, loop(lv, V, body, kind), 'unroll'), 'unroll');
  const init = lanes(store(acc, accIdx, imm(0, at)));
  const reduction = (masked: boolean): Stmt => {
    const fma = store(acc, accIdx, add(mul(wv, xvFor(masked)), load(acc, accIdx)));
    const vec = loop(tw, TW, loop(lv, V, fma, 'vectorize'), 'unroll');
    let red: Stmt = loop(to, TO, letIn(wv, up(load(w.buffer, wIdx)), vec), 'unroll');
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
  const sum = bias ? add(accV, up(bias.at([mGlobal]))) : accV;
  const value = at === out.dtype ? sum : cast(sum, out.dtype);
  const storeOk = [ocTail ? lt(mIn, p.ocg) : null, tail ? lt(ol, OL) : null].filter((e): e is Expr => !!e);
  const st = out.store([n, mGlobal, ...oo, ol], value);
  const guarded = storeOk.length ? ifThen(storeOk.reduce((a, b) => and(a, b)), st) : st;
  const fin = lanes(guarded, out.vectorizable ? 'vectorize' : 'serial');

  const tile = alloc(acc, TO * TWV, seq(init, red, fin));
  const P = prodExpr([N, imm(G), MT, ...outerO]);
  return { kind: 'kernel', body: loop(pv, P, loop(wt, ceilDivExpr(OL, TWV), tile), 'parallel') };
}

/**
 * The output-channel-vectorised kernel for packed weights (attr packedOc = V, 2-D, group 1).
 * A register tile is TOV*V output channels x TP consecutive pixels of one output row: per tap
 * (ic, kh, kw) it loads TOV weight vectors and broadcasts TP scalar input pixels (any stride, no
 * gathers), TOV*TP FMAs. Stores go along the channel axis (a scatter per pixel, amortised over
 * the C*KH*KW-long reduction), or, for short reductions, as rows of pixels (./conv-rows.ts).
 * Tails: channel blocks past M clamp their weight reads and mask their stores; pixels past OW
 * clamp their reads and skip their stores.
 *   conv.ocv  channel vectors per tile (TOV, default 2; 3 for 1x1 stride 1: ./conv-rows.ts)
 *   conv.px  max pixels per tile (default 8: more spills: TOV*TP accumulators + TOV weights + TP
 *   broadcasts must fit 32 registers)
 *   conv.store  1 scatter, 2 rows, 3 rows for output planes of a multiple of 1 KiB, tested at run
 *   time when symbolic (default 2 for reductions up to 64, else 3)
 */
function lowerPacked(ctx: LowerCtx, V: number): Lowering {
  const x = ctx.inputs[0]!, w = ctx.inputs[1]!, out = ctx.outputs[0], bias = ctx.inputs[2];
  if (!x.buffer || !w.buffer) throw new Error('internal: conv inputs must be materialised');
  const win = readWindow(ctx.attrs, 2, LOWER_FAIL);
  const M = intAttr(ctx.attrs, 'outChannels', 0), MB = Math.ceil(M / V);
  const [N, C, H, W] = x.shape, [OH, OW] = out.shape.slice(2);
  const [KH, KW] = win.kernel, [sH, sW] = win.strides, [dH, dW] = win.dilations;
  const [pT, pL] = [padBeginExpr(win, 0, H, OH), padBeginExpr(win, 1, W, OW)];
  if (!isZero(pT) || !isZero(pL)) throw new Error('internal: packed conv expects explicit padding');
  const TOV = Math.min(knob(ctx.knobs, 'conv.ocv', defaultPackedVectors(KH * KW, sH)), MB);
  const MT = Math.ceil(MB / TOV);
  const owC = constOf(OW), TPmax = knob(ctx.knobs, 'conv.px', 8);
  const TP = owC === undefined ? TPmax : Math.ceil(owC / Math.ceil(owC / TPmax));
  const pxTail = owC === undefined || owC % TP !== 0, ocTail = M % (TOV * V) !== 0;

  const pv = ctx.fresh('p'), pt = ctx.fresh('pt'), ic = ctx.fresh('ic'), kh = ctx.fresh('kh');
  const kw = ctx.fresh('kw'), px = ctx.fresh('px'), lv = ctx.fresh('v');
  const acc = ctx.scratch('acc', x.dtype);
  const [n, mt, oh] = unflatten(pv, [N, imm(MT), OH]);
  const owRaw = add(mul(pt, TP), px);
  const ow = pxTail ? min(owRaw, sub(OW, 1)) : owRaw;
  const accAt = (j: number): Expr => add(mul(add(mul(px, TOV), j), V), lv);
  const wv = Array.from({ length: TOV }, (_, j) => ctx.fresh(`w${j}`, x.dtype));
  const block = (j: number): Expr => (MB % TOV !== 0 ? min(add(mul(mt, TOV), j), MB - 1)
    : add(mul(mt, TOV), j));
  const wIdx = (j: number): Expr =>
    add(mul(flatIndex([block(j), ic, kh, kw], [imm(MB), C, imm(KH), imm(KW)]), V), lv);
  const xIdx = flatIndex([n, ic, add(mul(oh, sH), mul(kh, dH)), add(mul(ow, sW), mul(kw, dW))], x.shape);
  const xs = ctx.fresh('xs', x.dtype);
  const fmas = seq(Array.from({ length: TOV }, (_, j) =>
    store(acc, accAt(j), add(mul(wv[j], xs), load(acc, accAt(j))))));
  // The weight vectors are reloaded per pixel in tir (no loops inside vector loops); LLVM's GVN
  // keeps one load each per tap.
  let tap: Stmt = letIn(xs, load(x.buffer, xIdx), fmas);
  for (let j = TOV - 1; j >= 0; j--) tap = letIn(wv[j], load(w.buffer, wIdx(j)), tap);
  const red = loop(ic, C, loop(kh, KH, loop(kw, KW, loop(px, TP, loop(lv, V, tap, 'vectorize'), 'unroll'),
    KW <= 3 ? 'unroll' : 'serial'), KH === 1 ? 'unroll' : 'serial'));
  const all = (body: (j: number) => Stmt, kind: 'vectorize' | 'serial'): Stmt =>
    loop(px, TP, seq(Array.from({ length: TOV }, (_, j) => loop(lv, V, body(j), kind))), 'unroll');
  const init = all((j) => store(acc, accAt(j), imm(0, x.dtype)), 'vectorize');
  const fin = (): Stmt => all((j) => {
    const oc = add(mul(add(mul(mt, TOV), j), V), lv);
    const v = load(acc, accAt(j));
    const st = out.store([n, oc, oh, owRaw], bias ? add(v, bias.at([oc])) : v);
    const ok = [ocTail ? lt(oc, M) : null, pxTail ? lt(owRaw, OW) : null].filter((e): e is Expr => !!e);
    return ok.length ? ifThen(ok.reduce((a, b) => and(a, b)), st) : st;
  }, out.vectorizable ? 'vectorize' : 'serial');
  const rows = (): Stmt => storeRows(ctx, { acc, TP, TOV, V, M, n, oh, pt, OW, oc0: mul(mt, TOV * V), ocTail,
    pxTail, out, bias });
  const byRows = rowStoreCondition(ctx, TP, C, KH * KW, out.vectorizable);
  const stores = byRows === null ? fin() : choose(byRows, rows, fin);
  const tile = alloc(acc, TP * TOV * V, seq(init, red, stores));
  const body = loop(pv, prodExpr([N, imm(MT), OH]), loop(pt, ceilDivExpr(OW, TP), tile), 'parallel');
  return { kind: 'kernel', body };
}

type Pad2dAttrs = AttrValues<typeof PAD2D_ATTRS>;

function inferPad2d(ins: readonly (TensorType | null)[], a: Pad2dAttrs, ctx: InferCtx): TensorType[] {
  const x = requireFloat(ins, 0, 'pad2d input', ctx, 4, 4);
  if (a.pads.length !== 4) ctx.fail(ATTR_RANGE, `attribute 'pads' has ${a.pads.length} entries, expected 4`);
  const [t, l, b, r] = a.pads;
  const [n, c, h, w] = x.shape;
  return [{ dtype: x.dtype, shape: [n, c, dimAdd(h, t + b), dimAdd(w, l + r)] }];
}

/**
 * `pad2d` (made by compiler/passes/pad-conv-inputs.ts): constant padding of the two spatial axes
 * of an NCHW tensor, row by row: pad rows are plain vector stores, inner rows one contiguous
 * masked load per vector (lanes in the left/right padding read nothing).
 */
function lowerPad2d(ctx: LowerCtx, a: Pad2dAttrs): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0];
  if (!x.buffer) throw new Error('internal: pad2d input must be materialised');
  const [t, l] = a.pads;
  const fill = imm(a.value, x.dtype);
  const [N, C, H, W] = x.shape, [OH, OW] = out.shape.slice(2);
  const V = knob(ctx.knobs, 'pad.vec', ctx.target.vectorLanes);
  const pv = ctx.fresh('p'), oh = ctx.fresh('oh'), ch = ctx.fresh('ch'), lv = ctx.fresh('v');
  const ow = add(mul(ch, V), lv), ih = sub(oh, t), iw = sub(ow, l);
  const owc = constOf(OW);
  const inRow = and(ge(ih, 0), lt(ih, H));
  const inCol = and(ge(iw, 0), lt(iw, W));
  const xv = select(and(inRow, inCol), load(x.buffer, add(mul(add(mul(pv, H), ih), W), iw)), fill);
  const st = out.store([imm(0), pv, oh, ow], xv);
  const body = owc !== undefined && owc % V === 0 ? st : ifThen(lt(ow, OW), st);
  const row = loop(oh, OH,
    loop(ch, ceilDivExpr(OW, V), loop(lv, V, body, out.vectorizable ? 'vectorize' : 'serial')));
  return { kind: 'kernel', body: loop(pv, mul(N, C), row, 'parallel') };
}

function lowerAnyConv(ctx: LowerCtx, a: AttrValues<typeof CONV_ATTRS>): Lowering {
  const L = a.packedOc ?? 0;
  if (L) return lowerPacked(ctx, L);
  if (isPlainDepthwise(ctx)) return lowerDepthwise(ctx);
  return isPointwise(ctx) ? lowerPointwise(ctx) : lowerConv(ctx);
}

export const CONV_OPS: readonly OpDef[] = [
  declareOp({ name: 'conv', traits: ['anchor'], attrs: CONV_ATTRS, check: checkWindowOfInput,
    infer: inferConv, lower: lowerAnyConv }),
  declareOp({ name: 'pad2d', traits: ['anchor'], attrs: PAD2D_ATTRS, infer: inferPad2d, lower: lowerPad2d }),
];
