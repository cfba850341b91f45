// Op records for the integer 2-D convolution (made by compiler/passes/integer-conv.ts):
//   qconv_pack [x u8|s8 (N, C, H, W)] {pads, fill, nhwc}
//     -> int32 (N, ceil(C/4), H+pt+pb, W+pl+pr); with nhwc, x (N, H, W, C) channels-last and the
//        words (N, H+pt+pb, W+pl+pr, ceil(C/4)): four consecutive input channels of one pixel as
//        the bytes of one word (channel 4*c4+j in byte j), each as an unsigned offset (int8
//        values + 128), padding and the channels past C filled with `fill` (the activation zero
//        point as such an offset, so padding contributes nothing once compensated);
//   qconv [xp int32 packed, w int32 (MB, C4, KH, KW, L), bias int32 (MB*L), mult float32 (MB*L)]
//         {kernel, strides, dilations, outChannels, zero, to, inNhwc, outNhwc}
//     -> `to` (N, outChannels, OH, OW), or (N, OH, OW, outChannels) with outNhwc (a vector of
//        channels per pixel is then one contiguous store, and so are the epilogue's reads of
//        channels-last operands; compiler/passes/integer-nhwc.ts picks it); inNhwc: xp is the
//        channels-last words of a nhwc pack. Each element is
//        saturate(roundHalfEven((acc + bias[m]) * mult[m]) + zero),
//        acc = sum over (c4, kh, kw) of dot4(xp word, w word): u8 x s8 products of four channels
//        summed in int32 (x86 VNNI vpdpbusd, see codegen/llvm/dot4.ts).
// The weight word (mb, c4, kh, kw, l) holds (w - zw) of output channel mb*L+l, channels 4*c4+j,
// as signed bytes (zero past M and C); the bias carries the compensation -zx * sum(w - zw) that
// turns the u8 products into products of centred values, so acc + bias is exactly
// sum((x - zx) * (w - zw)) + bias, the accumulator of QLinearConv, and the requantisation is the
// float32 steps of quantize_linear with a multiplier (ir/ops/quant.ts), as onnxruntime rounds.
//
// Schedule (knobs, family `qconv`): qconv.ocv channel vectors per register tile (default 2),
// qconv.px pixels per tile (default 8): 2*8 int32 accumulators, two weight vectors and a
// broadcast word per step fit the 32 vector registers of AVX-512; qconv.store 1 (default) stores a
// vector of channels per pixel (a scatter), 2 rows of pixels through a scratch (./conv-rows.ts):
// contiguous stores and epilogue reads, but measured 15% slower on resnet18_int8 (the gathers
// from the scratch cost more than the scatters they replace).

import { dimAdd, dimCeilDiv, type Dim } from '../dim.js';
import type { DType } from '../dtype.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, OutputSink } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import {
  add, alloc, and, binary, cast, flatIndex, ge, ifThen, imm, letIn, load, loop, lt, min, mul, select,
  seq, store, sub, unary, unflatten,
} from '../tir-build.js';
import { attr, type AttrValues } from './attr-schema.js';
import {
  INPUT_MISMATCH, type Window, ceilDivExpr, checkDimEq, checkOutPositive, constOf, knob, prodExpr, windowOut,
} from './attrs.js';
import { storeRows } from './conv-rows.js';
import { declareOp } from './declare.js';
import { saturateTo } from './quant.js';
import type { InferCtx, OpDef } from './registry.js';

const I32: DType = 'int32', F32: DType = 'float32';
const QTYPES: readonly DType[] = ['uint8', 'int8'];

const PACK_ATTRS = { pads: attr.ints([0, 0, 0, 0], { min: 0 }), fill: attr.int(0, { min: 0, max: 255 }),
  nhwc: attr.flag(0) };

const QCONV_ATTRS = {
  kernel: attr.ints(undefined, { min: 1 }),
  strides: attr.ints([1, 1], { min: 1 }),
  dilations: attr.ints([1, 1], { min: 1 }),
  outChannels: attr.int(undefined, { min: 1 }),
  zero: attr.int(0, { min: -128, max: 255 }),
  to: attr.oneOf(['uint8', 'int8'] as const),
  inNhwc: attr.flag(0),
  outNhwc: attr.flag(0),
};

function input(ins: readonly (TensorType | null)[], i: number, what: string, dtypes: readonly DType[],
  rank: number, ctx: InferCtx): TensorType {
  const t = ins[i];
  if (!t) return ctx.fail(INPUT_MISMATCH, `needs ${what}`);
  const fail = (m: string) => ctx.fail(INPUT_MISMATCH, `${what} ${m}`);
  if (!dtypes.includes(t.dtype)) fail(`must be ${dtypes.join(' or ')}, got ${t.dtype}`);
  if (t.shape.length !== rank) fail(`must have rank ${rank}, got ${t.shape.length}`);
  return t;
}

function inferPack(ins: readonly (TensorType | null)[], a: AttrValues<typeof PACK_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const x = input(ins, 0, 'qconv_pack input', QTYPES, 4, ctx);
  if (a.pads.length !== 4) ctx.fail(INPUT_MISMATCH, `qconv_pack pads: ${a.pads.length} entries, expected 4`);
  const [n, c, h, w] = a.nhwc ? [x.shape[0], x.shape[3], x.shape[1], x.shape[2]] : x.shape;
  const [t, l, b, r] = a.pads, [ph, pw] = [dimAdd(h, t + b), dimAdd(w, l + r)];
  return [{ dtype: I32, shape: a.nhwc ? [n, ph, pw, dimCeilDiv(c, 4)] : [n, dimCeilDiv(c, 4), ph, pw] }];
}

/**
 * Word (n, c4, h, w), or (n, h, w, c4) with `nhwc` (input and words channels-last: the word loop
 * is innermost, so its four bytes are stride-4 loads of one contiguous run): bytes j = channel
 * 4*c4+j at (h - pt, w - pl) as an offset, else `fill`.
 */
function lowerPack(ctx: LowerCtx, a: AttrValues<typeof PACK_ATTRS>): Lowering {
  const x = ctx.inputs[0]!, [pt, pl] = a.pads;
  const [C, H, W] = a.nhwc ? [x.shape[3], x.shape[1], x.shape[2]] : x.shape.slice(1);
  const offset = x.dtype === 'int8' ? 128 : 0;
  const whole = constOf(C) !== undefined && constOf(C)! % 4 === 0;
  return {
    kind: 'compute',
    at: (idx) => {
      const [n, c4, h, w] = a.nhwc ? [idx[0], idx[3], idx[1], idx[2]] : idx;
      const ih = sub(h, pt), iw = sub(w, pl);
      const inside = and(and(ge(ih, 0), lt(ih, H)), and(ge(iw, 0), lt(iw, W)));
      let word: Expr = imm(0, I32);
      for (let j = 0; j < 4; j++) {
        const c = add(mul(c4, 4), j), cc = whole ? c : min(c, sub(C, 1));
        const v = add(cast(x.at(a.nhwc ? [n, ih, iw, cc] : [n, cc, ih, iw]), I32), imm(offset, I32));
        const byte = select(whole ? inside : and(inside, lt(c, C)), v, imm(a.fill, I32));
        word = binary('or', word, j ? mul(byte, imm(2 ** (8 * j), I32)) : byte);
      }
      return word;
    },
  };
}

function inferQconv(ins: readonly (TensorType | null)[], a: AttrValues<typeof QCONV_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const x = input(ins, 0, 'qconv input', [I32], 4, ctx);
  const w = input(ins, 1, 'qconv weight', [I32], 5, ctx);
  const L = w.shape[4] as number, MB = Math.ceil(a.outChannels / L);
  checkDimEq(w.shape[0], MB, 'qconv weight blocks', ctx);
  checkDimEq(w.shape[1], x.shape[a.inNhwc ? 3 : 1], 'qconv weight channel words vs input', ctx);
  checkDimEq(w.shape[2], a.kernel[0], 'qconv kernel rows', ctx);
  checkDimEq(w.shape[3], a.kernel[1], 'qconv kernel columns', ctx);
  for (const [i, what, dt] of [[2, 'qconv bias', I32], [3, 'qconv multiplier', F32]] as const) {
    checkDimEq(input(ins, i, what, [dt], 1, ctx).shape[0], MB * L, `${what} length`, ctx);
  }
  const win: Window = { kernel: a.kernel, strides: a.strides, dilations: a.dilations, pads: [0, 0, 0, 0],
    autoPad: 'NOTSET', ceilMode: false };
  const xSpatial = a.inNhwc ? x.shape.slice(1, 3) : x.shape.slice(2);
  const spatial: Dim[] = xSpatial.map((d, i) => windowOut(win, i, d));
  checkOutPositive(spatial, ctx);
  const shape = a.outNhwc ? [x.shape[0], ...spatial, a.outChannels] : [x.shape[0], a.outChannels, ...spatial];
  return [{ dtype: a.to, shape }];
}

/** qconv.store: 1 a scatter per pixel (default: measured faster on resnet18_int8), 2 rows. */
const SCATTER = 1, ROWS = 2;

/** Pixels per tile when storing rows: a power of two (a vector of pixels), 4 for short rows. */
function rowTile(max: number, ow: number | undefined): number {
  const p = 2 ** Math.floor(Math.log2(max));
  return ow !== undefined && ow <= 4 ? 4 : p;
}

/**
 * Register tiles of TOV*L output channels x TP pixels of one output row, as lowerPacked in
 * ./conv.ts: per (c4, kh, kw) TOV weight vectors and TP broadcast input words, TOV*TP dot4
 * accumulates. Tails: channel blocks past MB clamp their weight reads, pixels past OW clamp their
 * reads; neither is stored.
 */
function lowerQconv(ctx: LowerCtx, a: AttrValues<typeof QCONV_ATTRS>): Lowering {
  const x = ctx.inputs[0]!, w = ctx.inputs[1]!, bias = ctx.inputs[2]!, mult = ctx.inputs[3]!;
  const out = ctx.outputs[0];
  if (!x.buffer || !w.buffer) throw new Error('internal: qconv inputs must be materialised');
  const L = constOf(w.shape[4])!, M = a.outChannels, MB = Math.ceil(M / L);
  const [N, C4] = a.inNhwc ? [x.shape[0], x.shape[3]] : x.shape;
  const [OH, OW] = a.outNhwc ? out.shape.slice(1, 3) : out.shape.slice(2);
  const [KH, KW] = a.kernel, [sH, sW] = a.strides, [dH, dW] = a.dilations;
  const TOV = Math.min(knob(ctx.knobs, 'qconv.ocv', 2), MB), MT = Math.ceil(MB / TOV);
  const owC = constOf(OW), TPmax = knob(ctx.knobs, 'qconv.px', 8);
  const rows = !a.outNhwc && out.vectorizable && TPmax >= 4
    && knob(ctx.knobs, 'qconv.store', SCATTER) === ROWS;
  const TP = rows ? rowTile(TPmax, owC) : owC === undefined ? TPmax : Math.ceil(owC / Math.ceil(owC / TPmax));
  const pxTail = owC === undefined || owC % TP !== 0, ocTail = M % (TOV * L) !== 0;

  const pv = ctx.fresh('p'), pt = ctx.fresh('pt'), ic = ctx.fresh('ic'), kh = ctx.fresh('kh');
  const kw = ctx.fresh('kw'), px = ctx.fresh('px'), lv = ctx.fresh('v');
  const acc = ctx.scratch('acc', I32);
  const [n, mt, oh] = unflatten(pv, [N, imm(MT), OH]);
  const owRaw = add(mul(pt, TP), px);
  const ow = pxTail ? min(owRaw, sub(OW, 1)) : owRaw;
  const accAt = (j: number): Expr => add(mul(add(mul(px, TOV), j), L), lv);
  const block = (j: number): Expr => (MB % TOV !== 0 ? min(add(mul(mt, TOV), j), MB - 1)
    : add(mul(mt, TOV), j));
  const wIdx = (j: number): Expr =>
    add(mul(flatIndex([block(j), ic, kh, kw], [imm(MB), C4, imm(KH), imm(KW)]), L), lv);
  const [ih, iw] = [add(mul(oh, sH), mul(kh, dH)), add(mul(ow, sW), mul(kw, dW))];
  const xIdx = flatIndex(a.inNhwc ? [n, ih, iw, ic] : [n, ic, ih, iw], x.shape);
  const wv = Array.from({ length: TOV }, (_, j) => ctx.fresh(`w${j}`, I32));
  const xs = ctx.fresh('xs', I32);
  const steps = seq(Array.from({ length: TOV }, (_, j) =>
    store(acc, accAt(j), add(load(acc, accAt(j)), binary('dot4', xs, wv[j])))));
  let tap: Stmt = letIn(xs, load(x.buffer, xIdx), steps);
  for (let j = TOV - 1; j >= 0; j--) tap = letIn(wv[j], load(w.buffer, wIdx(j)), tap);
  const red = loop(ic, C4, loop(kh, KH, loop(kw, KW, loop(px, TP, loop(lv, L, tap, 'vectorize'), 'unroll'),
    KW <= 3 ? 'unroll' : 'serial'), KH === 1 ? 'unroll' : 'serial'));
  const all = (body: (j: number) => Stmt, kind: 'vectorize' | 'serial'): Stmt =>
    loop(px, TP, seq(Array.from({ length: TOV }, (_, j) => loop(lv, L, body(j), kind))), 'unroll');
  const init = all((j) => store(acc, accAt(j), imm(0, I32)), 'vectorize');
  const requant = (v: Expr, oc: Expr): Expr =>
    saturateTo(add(unary('round', mul(cast(v, F32), mult.at([oc]))), imm(a.zero, F32)), a.to);
  const ocAxis = a.outNhwc ? 3 : 1;
  const sink: OutputSink = { ...out, store: (idx, v) => out.store(idx, requant(v, idx[ocAxis])) };
  const fin = rows
    ? storeRows(ctx, { acc, TP, TOV, V: L, M, n, oh, pt, OW, oc0: mul(mt, TOV * L), ocTail, pxTail, out: sink,
      bias })
    : all((j) => {
      const oc = add(mul(add(mul(mt, TOV), j), L), lv);
      const st = sink.store(a.outNhwc ? [n, oh, owRaw, oc] : [n, oc, oh, owRaw],
        add(load(acc, accAt(j)), bias.at([oc])));
      const ok = [ocTail ? lt(oc, M) : null, pxTail ? lt(owRaw, OW) : null].filter((e): e is Expr => !!e);
      return ok.length ? ifThen(ok.reduce((p, q2) => and(p, q2)), st) : st;
    }, out.vectorizable ? 'vectorize' : 'serial');
  const tile = alloc(acc, TP * TOV * L, seq(init, red, fin));
  const body = loop(pv, prodExpr([N, imm(MT), OH]), loop(pt, ceilDivExpr(OW, TP), tile), 'parallel');
  return { kind: 'kernel', body };
}

export const QCONV_OPS: readonly OpDef[] = [
  declareOp({ name: 'qconv_pack', traits: ['injective'], attrs: PACK_ATTRS, infer: inferPack,
    lower: lowerPack }),
  declareOp({ name: 'qconv', traits: ['anchor'], schedule: 'qconv', attrs: QCONV_ATTRS, infer: inferQconv,
    lower: lowerQconv }),
];
