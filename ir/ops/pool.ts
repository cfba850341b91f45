// Op records for pooling: `max_pool`, `avg_pool` (any spatial rank, strides, dilations, pads,
// ceil_mode, count_include_pad, auto_pad) and `global_avg_pool`, `global_max_pool`.
// Requires: x (N, C, spatial...) of float dtype, materialised row-major (anchor).
// Guarantees: ONNX output shapes (ceil mode: the last window starts inside the input or its begin
// padding); padded elements never win a max; avg divides by the taps inside the input, or with
// countIncludePad by the taps inside the padded input (windows running past the end padding in
// ceil mode are clipped, as onnxruntime does); f32 accumulation in a fixed tap order.
//
// Schedule (knobs):
//   pool.vec  lanes along the last output axis (default target.vectorLanes)
//   pool.wv   vectors per tile along it        (default 2, clamped to the output width)
//   pool.rows output rows per tile of 2-D max pools (default 4)
// Window pools run parallel over (n, c, outer output axes) and vectorise the last output axis;
// 2-D max pools tile rows too and share input rows between them (./pool-max2d.ts, pool.rows).
// Global pools run parallel over (n, c) and reduce the flattened spatial extent with V partial
// accumulators (lane order fixed), then a serial sum over the lanes.
// max_pool's optional Indices output comes from max_pool_argmax (./pool-argmax.ts) instead.

import type { Dim } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import {
  add, alloc, and, cast, div, flatIndex, ge, ifThen, imm, load, loop, lt, max, mul, select, seq, store, sub,
  unflatten,
} from '../tir-build.js';
import {
  ceilDivExpr, checkOutPositive, constOf, inBounds, isZero, knob, padBeginExpr,
  padEndExpr, prodExpr, requireFloat, WINDOW_ATTRS, checkWindowOfInput, windowOf, windowOut,
} from './attrs.js';
import type { InferCtx, OpDef } from './registry.js';
import { lowestValue } from '../dtype.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import { MAX_UNROLLED_WIDTH_TILES } from './window-interior.js';
import { lowerMaxPool2d } from './pool-max2d.js';

const MAX_POOL_ATTRS = { ...WINDOW_ATTRS, ceilMode: attr.flag(0) };
const AVG_POOL_ATTRS = { ...MAX_POOL_ATTRS, countIncludePad: attr.flag(0) };

function inferPool(ins: readonly (TensorType | null)[], a: AttrValues<typeof MAX_POOL_ATTRS>, ctx: InferCtx,
  anyType = false): TensorType[] {
  // MaxPool also takes 8-bit integers; averaging needs floats.
  const x = anyType && ins[0] && ins[0].shape.length >= 3 ? ins[0]
    : requireFloat(ins, 0, 'pool input', ctx, 3);
  const win = windowOf(a);
  const spatial: Dim[] = x.shape.slice(2).map((d, i) => windowOut(win, i, d));
  checkOutPositive(spatial, ctx);
  return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...spatial] }];
}

function inferGlobal(ins: readonly (TensorType | null)[], _a: unknown, ctx: InferCtx): TensorType[] {
  const x = requireFloat(ins, 0, 'global pool input', ctx, 3);
  return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...x.shape.slice(2).map(() => 1)] }];
}

function lowerPool(ctx: LowerCtx, a: AttrValues<typeof AVG_POOL_ATTRS>, isMax: boolean): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0];
  if (!x.buffer) throw new Error('internal: pool input must be materialised');
  const S = x.shape.length - 2, dt = x.dtype;
  const win = windowOf(a);
  const includePad = a.countIncludePad !== 0;
  const X = x.shape.slice(2), O = out.shape.slice(2);
  const padB = X.map((d, i) => padBeginExpr(win, i, d, O[i]));
  const padE = X.map((d, i) => padEndExpr(win, i, d, O[i]));
  if (isMax && S === 2) return lowerMaxPool2d(ctx, win, [padB[0], padB[1], padE[0], padE[1]]);
  const V = knob(ctx.knobs, 'pool.vec', ctx.target.vectorLanes);
  const olC = constOf(O[S - 1]);
  const maxTW = olC !== undefined ? Math.ceil(olC / V) : 99;
  const TW = Math.max(1, Math.min(knob(ctx.knobs, 'pool.wv', 2), maxTW));
  const TWV = TW * V, tail = olC === undefined || olC % TWV !== 0;

  const pv = ctx.fresh('p'), wt = ctx.fresh('wt'), tw = ctx.fresh('tw'), lv = ctx.fresh('v');
  const kv = win.kernel.map((_, i) => ctx.fresh(`k${i}`));
  const acc = ctx.scratch('acc', dt), cnt = ctx.scratch('cnt', dt);
  const outerO = O.slice(0, S - 1);
  const [n, c, ...oo] = unflatten(pv, [x.shape[0], x.shape[1], ...outerO]);
  const ol = add(mul(add(mul(wt, TW), tw), V), lv);
  const oAll = [...oo, ol];
  const iCoord = oAll.map((o, i) => sub(add(mul(o, win.strides[i]), mul(kv[i], win.dilations[i])), padB[i]));
  const hiCheck = (i: number): boolean => !isZero(padE[i]) || win.ceilMode || (i === S - 1 && tail);
  const inside = iCoord.map((ii, i) => inBounds(ii, X[i], !isZero(padB[i]), hiCheck(i)))
    .reduce((a, b) => and(a, b));
  const aIdx = add(mul(tw, V), lv);
  const xv = load(x.buffer, flatIndex([n, c, ...iCoord], x.shape));

  const lanes = (body: Stmt, kind: 'vectorize' | 'serial' = 'vectorize'): Stmt =>
    loop(tw, TW, loop(lv, V, body, kind), 'unroll');
  let init: Stmt, step: () => Stmt, result: Expr;
  if (isMax) {
    const ninf = imm(lowestValue(dt), dt);
    init = lanes(store(acc, aIdx, ninf));
    step = () => lanes(store(acc, aIdx, max(load(acc, aIdx), select(inside, xv, ninf))));
    result = load(acc, aIdx);
  } else {
    // With countIncludePad a tap counts when it lies in the padded input [-padB, X + padE).
    const counted = includePad
      ? iCoord.map((ii, i) => and(lt(ii, add(X[i], padE[i])), ge(add(ii, padB[i]), 0)))
        .reduce((a, b) => and(a, b))
      : inside;
    init = seq(lanes(store(acc, aIdx, imm(0, dt))), lanes(store(cnt, aIdx, imm(0, dt))));
    step = () => lanes(seq(
      store(acc, aIdx, add(load(acc, aIdx), select(inside, xv, imm(0, dt)))),
      store(cnt, aIdx, add(load(cnt, aIdx), select(counted, imm(1, dt), imm(0, dt)))),
    ));
    result = div(load(acc, aIdx), load(cnt, aIdx));
  }
  let red = step();
  for (let i = S - 1; i >= 0; i--) red = loop(kv[i], win.kernel[i], red);
  const st = out.store([n, c, ...oo, ol], result);
  const fin = lanes(tail ? ifThen(lt(ol, O[S - 1]), st) : st, out.vectorizable ? 'vectorize' : 'serial');
  let tile = alloc(acc, TWV, seq(init, red, fin));
  if (!isMax) tile = alloc(cnt, TWV, tile);
  const P = prodExpr([x.shape[0], x.shape[1], ...outerO]);
  const nWt = ceilDivExpr(O[S - 1], TWV), nWtC = constOf(nWt);
  // A few width tiles unrolled, so their masks fold to constants.
  const wtKind = nWtC !== undefined && nWtC <= MAX_UNROLLED_WIDTH_TILES ? 'unroll' : 'serial';
  return { kind: 'kernel', body: loop(pv, P, loop(wt, nWt, tile, wtKind), 'parallel') };
}

function lowerGlobal(ctx: LowerCtx, isMax: boolean): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0];
  if (!x.buffer) throw new Error('internal: pool input must be materialised');
  const dt = x.dtype, V = knob(ctx.knobs, 'pool.vec', ctx.target.vectorLanes);
  const size = prodExpr(x.shape.slice(2));
  const id = imm(isMax ? lowestValue(dt) : 0, dt);
  const combine = (a: Expr, b: Expr): Expr => (isMax ? max(a, b) : add(a, b));
  const pv = ctx.fresh('p'), ch = ctx.fresh('chunk'), lv = ctx.fresh('v'), l2 = ctx.fresh('l');
  const acc = ctx.scratch('acc', dt), tot = ctx.scratch('tot', dt);
  const i = add(mul(ch, V), lv);
  const sizeC = constOf(size);
  const xl = load(x.buffer, add(mul(pv, size), i));
  const xv = sizeC !== undefined && sizeC % V === 0 ? xl : select(lt(i, size), xl, id);
  const body = seq(
    loop(lv, V, store(acc, lv, id), 'vectorize'),
    loop(ch, ceilDivExpr(size, V), loop(lv, V, store(acc, lv, combine(load(acc, lv), xv)), 'vectorize')),
    store(tot, 0, id),
    loop(l2, V, store(tot, 0, combine(load(tot, 0), load(acc, l2)))),
  );
  const total = load(tot, 0);
  const value = isMax ? total : div(total, cast(size, dt));
  const [n, c] = unflatten(pv, [x.shape[0], x.shape[1]]);
  const st = out.store([n, c, ...x.shape.slice(2).map(() => imm(0))], value);
  const nc = mul(x.shape[0], x.shape[1]);
  return { kind: 'kernel', body: loop(pv, nc, alloc(acc, V, alloc(tot, 1, seq(body, st))), 'parallel') };
}

export const POOL_OPS: readonly OpDef[] = [
  declareOp({ name: 'max_pool', traits: ['anchor'], attrs: MAX_POOL_ATTRS, check: checkWindowOfInput,
    infer: (i, a, c) => inferPool(i, a, c, true),
    lower: (ctx, a) => lowerPool(ctx, { ...a, countIncludePad: 0 }, true) }),
  declareOp({ name: 'avg_pool', traits: ['anchor'], attrs: AVG_POOL_ATTRS, check: checkWindowOfInput,
    infer: (i, a, c) => inferPool(i, a, c), lower: (ctx, a) => lowerPool(ctx, a, false) }),
  declareOp({ name: 'global_max_pool', traits: ['anchor'], attrs: {}, infer: inferGlobal,
    lower: (ctx) => lowerGlobal(ctx, true) }),
  declareOp({ name: 'global_avg_pool', traits: ['anchor'], attrs: {}, infer: inferGlobal,
    lower: (ctx) => lowerGlobal(ctx, false) }),
];
