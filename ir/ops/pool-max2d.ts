// 2-D max pooling (ir/ops/pool.ts dispatches here for max_pool over NCHW): a tile of TH output
// rows x TW vectors along the width of one channel plane walks its input rows, as the depthwise
// conv does (./depthwise.ts): each input row's vector for a tap column is loaded once (strided
// for stride 2..4: masked load + shuffle) and maxed into every output row whose window holds it
// (3x3 stride 2 over 4 output rows: 9 rows of loads instead of 12).
// Requires: x (N, C, H, W) materialised row-major; window attributes checked (./attrs.ts).
// Guarantees: every output element written once through the sink, the max over the taps inside
// the image in row-major order starting from the dtype's lowest value (padded and clipped taps
// never win; a window entirely outside the image gives the lowest value). Tiles whose taps all lie
// inside the image run unchecked; border row blocks skip the rows outside the image with a
// uniform branch; border column tiles select each load per lane (constants in unrolled tiles).
// Knobs: pool.vec (lanes), pool.wv (vectors per row, default defaultPoolWidth: 4 on 32 registers),
// pool.rows (TH, default 4).

import type { LowerCtx, Lowering } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import {
  add, alloc, and, flatIndex, ifThen, imm, letIn, load, loop, lt, max, mul, select, seq, store, sub,
  unflatten,
} from '../tir-build.js';
import { lowestValue } from '../dtype.js';
import { type Window, ceilDivExpr, constOf, inBounds, isZero, knob, prodExpr } from './attrs.js';
import {
  MAX_UNROLLED_WIDTH_TILES, crossesEnd, rowUsers, tiledReduction,
} from './window-interior.js';

/** Rows per tile by default (also the schedule stage's, compiler/schedule/families/pool.ts). */
export const DEFAULT_POOL_ROWS = 4;

/**
 * Vectors per tile along the width by default (pool.wv; clamped to the output width): 4 where the
 * register file has 32 vectors, so rows of up to 64 outputs are one tile and no input vector is
 * loaded twice for neighbouring tiles; 2 on 16 registers. Measured (1 thread, kernel µs, 2 -> 4):
 * squeezenet's first pool, 64 x 111x111 -> 55x55, 171 -> 147; narrower outputs are one tile either way.
 */
export function defaultPoolWidth(vectorRegisters: number | undefined): number {
  return (vectorRegisters ?? 32) >= 32 ? 4 : 2;
}

export function lowerMaxPool2d(ctx: LowerCtx, win: Window, pads: readonly Expr[]): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0], xb = x.buffer!, dt = x.dtype;
  const [N, C, H, W] = x.shape, [OH, OW] = out.shape.slice(2);
  const [KH, KW] = win.kernel, [sH, sW] = win.strides, [dH, dW] = win.dilations;
  const [pT, pL, pB, pR] = pads;
  const ohC = constOf(OH), owC = constOf(OW);
  const V = knob(ctx.knobs, 'pool.vec', ctx.target.vectorLanes);
  const maxTW = owC !== undefined ? Math.ceil(owC / V) : 99;
  const TW = Math.max(1, Math.min(knob(ctx.knobs, 'pool.wv', defaultPoolWidth(ctx.target.vectorRegisters)),
    maxTW));
  const TH = Math.max(1, Math.min(knob(ctx.knobs, 'pool.rows', DEFAULT_POOL_ROWS), ohC ?? 99));
  const TWV = TW * V;
  const rowTail = ohC === undefined || ohC % TH !== 0, colTail = owC === undefined || owC % TWV !== 0;
  const pv = ctx.fresh('p'), wt = ctx.fresh('wt'), kw = ctx.fresh('kw');
  const th = ctx.fresh('th'), tw = ctx.fresh('tw'), lv = ctx.fresh('v');
  const acc = ctx.scratch('acc', dt), lowest = imm(lowestValue(dt), dt);
  const [n, c, rb] = unflatten(pv, [N, C, ceilDivExpr(OH, TH)]);
  const ohRaw = add(mul(rb, TH), th), ow = add(mul(add(mul(wt, TW), tw), V), lv);
  const accAt = (row: Expr): Expr => add(mul(add(mul(row, TW), tw), V), lv);
  const lanes = (body: Stmt, kind: 'vectorize' | 'serial' = 'vectorize'): Stmt =>
    loop(th, TH, loop(tw, TW, loop(lv, V, body, kind), 'unroll'), 'unroll');
  // Sides a window can reach (end padding or ceil mode; exactly, for static extents); the rows of
  // a partial last row block past the output are skipped like rows past the image.
  const check: [boolean, boolean, boolean, boolean] = [!isZero(pT),
    crossesEnd(OH, KH, sH, dH, pT, H, !isZero(pB) || win.ceilMode) || rowTail, !isZero(pL),
    crossesEnd(OW, KW, sW, dW, pL, W, !isZero(pR) || win.ceilMode)];
  const ih0 = sub(mul(mul(rb, TH), sH), pT), iw = sub(add(mul(ow, sW), mul(kw, dW)), pL);
  const colOK = [inBounds(iw, W, check[2], check[3]), colTail ? lt(ow, OW) : imm(1, 'bool')]
    .reduce((a, b) => and(a, b));
  const users = rowUsers(TH, KH, sH, dH);
  const inputRow = (r: number, rows: boolean, cols: boolean): Stmt => {
    const ih = add(ih0, r), xv = ctx.fresh('xv', dt);
    const xl = load(xb, flatIndex([n, c, ih, iw], x.shape));
    const maxes = users[r]!.map(([t]) => store(acc, accAt(imm(t)), max(load(acc, accAt(imm(t))), xv)));
    const body = loop(kw, KW, loop(tw, TW, loop(lv, V,
      letIn(xv, cols ? select(colOK, xl, lowest) : xl, seq(maxes)), 'vectorize'), 'unroll'),
    KW <= 3 ? 'unroll' : 'serial');
    return rows ? ifThen(inBounds(ih, H, check[0], check[1]), body) : body;
  };
  const geo = { rb, wt, TH, TWV, OH, OW, H, W, KH, KW, sH, sW, dH, dW, pT, pL, check, rowTail: false,
    colTail };
  const red = tiledReduction(geo, users.length, inputRow);
  const st = out.store([n, c, ohRaw, ow], load(acc, accAt(th)));
  const ok = [rowTail ? lt(ohRaw, OH) : null, colTail ? lt(ow, OW) : null].filter((e): e is Expr => !!e);
  const fin = lanes(ok.length ? ifThen(ok.reduce((a, b) => and(a, b)), st) : st,
    out.vectorizable ? 'vectorize' : 'serial');
  const tile = alloc(acc, TH * TWV, seq(lanes(store(acc, accAt(th), lowest)), red, fin));
  const nWt = ceilDivExpr(OW, TWV), nWtC = constOf(nWt);
  const wtKind = nWtC !== undefined && nWtC <= MAX_UNROLLED_WIDTH_TILES ? 'unroll' : 'serial';
  return { kind: 'kernel', body: loop(pv, prodExpr([N, C, ceilDivExpr(OH, TH)]), loop(wt, nWt, tile, wtKind),
    'parallel') };
}
