// Depthwise 2-D convolution (group = C = M, static channels): the kernel `conv` dispatches to
// when isPlainDepthwise holds (ir/ops/conv.ts keeps the op record and the other algorithms).
// Requires: inputs [x (N, C, H, W), w (C, 1, KH, KW), bias (C) | null], materialised, float.
// Guarantees: every output element written once through the sink (epilogue fusion: bias, then
// whatever elementwise chain was fused behind the conv) after an f32 sum over the taps in
// row-major order.

import type { Attrs, TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import {
  add, alloc, and, cast, flatIndex, ifThen, imm, letIn, load, loop, lt, mul, select, seq, store, sub,
  unflatten,
} from '../tir-build.js';
import {
  LOWER_FAIL, ceilDivExpr, constOf, inBounds, intAttr, isZero, knob, padBeginExpr, padEndExpr, prodExpr,
  readWindow,
} from './attrs.js';
import {
  MAX_UNROLLED_WIDTH_TILES, crossesEnd, rowUsers, tiledReduction,
} from './window-interior.js';

/**
 * Depthwise 2-D conv (group = C = M): a register tile of TH output rows x TW vectors along the
 * width of one channel plane. The tile walks its input rows, not its (output row, tap row) pairs:
 * each input row's vector for a tap column is loaded once — contiguous (stride 1) or strided
 * (stride 2..4: masked load + shuffle, see codegen) — and feeds every output row whose window
 * holds it (with stride 2 and 3 tap rows, 9 rows of loads feed 4 output rows instead of 12).
 * Padding is handled here rather than by a pad2d pass over the input (which costs a full extra
 * write and read of it): tiles whose taps all lie inside the image run unchecked; in border row
 * blocks a branch skips each input row outside the image (uniform over the tile), and in border
 * column tiles each load is selected per lane (constant masks in unrolled width tiles).
 * Defaults (also the schedule stage's, compiler/schedule/families/conv.ts, which calls these):
 *   conv.vec lanes per vector (default the target's, half of them for rows that fit in half)
 *   dw.rows  output rows per tile (TH, default 4; a plane of <= 16 rows in one or two tiles)
 *   dw.wv    max vectors per row (TW, default 2), balanced over the row: 7 -> 2+2+2+1 vectors
 */
export function lowerDepthwise(ctx: LowerCtx): Lowering {
  const x = ctx.inputs[0]!, w = ctx.inputs[1]!, out = ctx.outputs[0], bias = ctx.inputs[2];
  const xb = x.buffer, wb = w.buffer;
  if (!xb || !wb) throw new Error('internal: conv inputs must be materialised');
  const win = readWindow(ctx.attrs, 2, LOWER_FAIL);
  const [N, C, H, W] = x.shape, [OH, OW] = out.shape.slice(2);
  const [KH, KW] = win.kernel, [sH, sW] = win.strides, [dH, dW] = win.dilations;
  const [pT, pL] = [padBeginExpr(win, 0, H, OH), padBeginExpr(win, 1, W, OW)];
  const [pB, pR] = [padEndExpr(win, 0, H, OH), padEndExpr(win, 1, W, OW)];
  const ohC = constOf(OH), owC = constOf(OW);
  const V = knob(ctx.knobs, 'conv.vec', defaultLanes(ctx.target.vectorLanes, owC));
  const TH = Math.max(1, Math.min(knob(ctx.knobs, 'dw.rows', defaultRows(ohC, sH)), ohC ?? 99));
  const TW = balancedVectors(knob(ctx.knobs, 'dw.wv', 2), owC, V);
  const TWV = TW * V;
  const rowTail = ohC === undefined || ohC % TH !== 0, colTail = owC === undefined || owC % TWV !== 0;
  const pv = ctx.fresh('p'), wt = ctx.fresh('wt'), kw = ctx.fresh('kw');
  const th = ctx.fresh('th'), tw = ctx.fresh('tw'), lv = ctx.fresh('v');
  // float16 / bfloat16 accumulate in float32 and round once, at the store.
  const at = x.dtype === 'float16' || x.dtype === 'bfloat16' ? 'float32' : x.dtype;
  const up = (e: Expr): Expr => (at === x.dtype ? e : cast(e, at));
  const acc = ctx.scratch('acc', at);
  const [n, c, rb] = unflatten(pv, [N, C, ceilDivExpr(OH, TH)]);
  const ohRaw = add(mul(rb, TH), th);
  const ow = add(mul(add(mul(wt, TW), tw), V), lv);
  const accAt = (row: Expr): Expr => add(mul(add(mul(row, TW), tw), V), lv);
  const lanes = (body: Stmt, kind: 'vectorize' | 'serial' = 'vectorize'): Stmt =>
    loop(th, TH, loop(tw, TW, loop(lv, V, body, kind), 'unroll'), 'unroll');
  // Sides a window can reach: top, bottom, left, right. The rows of a last, partial row block
  // past the output are skipped like rows past the image.
  const check: [boolean, boolean, boolean, boolean] = [!isZero(pT),
    crossesEnd(OH, KH, sH, dH, pT, H, !isZero(pB)) || rowTail, !isZero(pL),
    crossesEnd(OW, KW, sW, dW, pL, W, !isZero(pR))];
  const ih0 = sub(mul(mul(rb, TH), sH), pT), iw = sub(add(mul(ow, sW), mul(kw, dW)), pL);
  const colOK = [inBounds(iw, W, check[2], check[3]), colTail ? lt(ow, OW) : imm(1, 'bool')]
    .reduce((a, b) => and(a, b));
  const users = rowUsers(TH, KH, sH, dH);
  const inputRow = (r: number, rows: boolean, cols: boolean): Stmt => {
    const ih = add(ih0, r), xv = ctx.fresh('xv', at);
    const xl = load(xb, flatIndex([n, c, ih, iw], x.shape));
    const fmas = users[r]!.map(([t, k]) => {
      const wk = up(load(wb, flatIndex([c, imm(k), kw], [C, imm(KH), imm(KW)])));
      return store(acc, accAt(imm(t)), add(mul(wk, xv), load(acc, accAt(imm(t)))));
    });
    const body = loop(kw, KW, loop(tw, TW, loop(lv, V,
      letIn(xv, up(cols ? select(colOK, xl, imm(0, x.dtype)) : xl), seq(fmas)), 'vectorize'), 'unroll'),
    KW <= 3 ? 'unroll' : 'serial');
    return rows ? ifThen(inBounds(ih, H, check[0], check[1]), body) : body;
  };
  const geo = { rb, wt, TH, TWV, OH, OW, H, W, KH, KW, sH, sW, dH, dW, pT, pL, check, rowTail: false,
    colTail };
  const red = tiledReduction(geo, users.length, inputRow);
  const v = load(acc, accAt(th));
  const sum = bias ? add(v, up(bias.at([c]))) : v;
  const st = out.store([n, c, ohRaw, ow], at === out.dtype ? sum : cast(sum, out.dtype));
  const ok = [rowTail ? lt(ohRaw, OH) : null, colTail ? lt(ow, OW) : null].filter((e): e is Expr => !!e);
  const fin = lanes(ok.length ? ifThen(ok.reduce((a, b) => and(a, b)), st) : st,
    out.vectorizable ? 'vectorize' : 'serial');
  const tile = alloc(acc, TH * TWV, seq(lanes(store(acc, accAt(th), imm(0, at))), red, fin));
  const P = prodExpr([N, C, ceilDivExpr(OH, TH)]);
  const nWt = ceilDivExpr(OW, TWV), nWtC = constOf(nWt);
  // A few width tiles are unrolled: each copy knows its column, so the border and tail masks of
  // its loads fold to constants, instead of per-lane bounds checks at every tap.
  const wtKind = nWtC !== undefined && nWtC <= MAX_UNROLLED_WIDTH_TILES ? 'unroll' : 'serial';
  return { kind: 'kernel', body: loop(pv, P, loop(wt, nWt, tile, wtKind), 'parallel') };
}

/**
 * Lanes for a static output width: half-width vectors when the row fits in them (a 7-wide plane
 * fills 7 of 8 lanes instead of 7 of 16).
 */
export function defaultLanes(lanes: number, ow: number | undefined): number {
  return ow !== undefined && lanes >= 8 && ow <= lanes / 2 ? lanes / 2 : lanes;
}

/**
 * Rows per tile: a small plane (the late layers of MobileNet-like models, 7x7 and 14x14) in one
 * or two tiles, so that a parallel iteration does a whole plane's worth of work and the overlapping
 * input rows are loaded once. Up to MAX_DEEP_INPUT_ROWS input rows (oh * stride), the largest of
 * 5..7 rows that divides the plane (no partial row block), else 4. Measured (mobilenetv2, 1 thread,
 * per-call minimum of 40 alternating runs, 4 -> 7 rows): 144 channels 56x56 -> 28x28 stride 2
 * 72 -> 57 us, 192 channels on 28x28 54 -> 45 and 48 -> 42, 144 on 56x56 114 -> 103; but
 * 96 channels 112x112 -> 56x56 stride 2 152 -> 171 and 32 on 112x112 120 -> 139 (so they keep 4).
 */
export function defaultRows(oh: number | undefined, stride = 1): number {
  if (oh === undefined) return 4;
  if (oh <= 16) return Math.ceil(oh / Math.ceil(oh / 8));
  if (oh * stride > MAX_DEEP_INPUT_ROWS) return 4;
  return [7, 6, 5].find((r) => oh % r === 0) ?? 4;
}

/** Input rows up to which a plane takes deeper row tiles (see defaultRows). */
const MAX_DEEP_INPUT_ROWS = 56;

/** Vectors per width tile: at most `max`, balanced over a static row (4 -> 2+2, not 3+1). */
function balancedVectors(max: number, ow: number | undefined, V: number): number {
  if (ow === undefined) return Math.max(1, max);
  const nv = Math.ceil(ow / V);
  return Math.max(1, Math.ceil(nv / Math.ceil(nv / Math.max(1, max))));
}

/**
 * A 2-D depthwise conv with static channels: lowered by lowerDepthwise, padding included (so
 * compiler/passes/pad-conv-inputs.ts leaves its input alone).
 */
export function isDepthwise2d(x: TensorType, w: TensorType, attrs: Attrs): boolean {
  const group = intAttr(attrs, 'group', 1);
  return x.shape.length === 4 && group !== 1 && x.shape[1] === group && w.shape[0] === group;
}

export const isPlainDepthwise = (ctx: LowerCtx): boolean =>
  isDepthwise2d(ctx.inTypes[0]!, ctx.inTypes[1]!, ctx.attrs);
