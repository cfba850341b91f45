// Op records for normalisations: `softmax`, `log_softmax` (axis; coerce2d=1 gives the opset<13
// flatten-at-axis semantics), `lrn` (ONNX LRN), `batch_norm` (inference, a per-channel affine
// `compute` so it fuses), `layer_norm` (axis, epsilon; optional Mean/InvStdDev outputs) and
// `rms_norm` (ONNX RMSNormalization: x * rsqrt(mean(x^2) + epsilon) * scale over axes >= axis).
// Requires: float inputs; anchors get materialised row-major inputs (axes arrive normalised by the schemas).
// Guarantees: reductions accumulate in the input dtype (f32) in a fixed order: V lane-partial
// accumulators over the row in chunks, then a serial sum over the lanes; softmax subtracts the row
// max before exp.
//
// Schedule (knobs):
//   norm.vec  lanes for row reductions and LRN's spatial axis (default target.vectorLanes)
// Rows run in parallel. A row is contiguous when the reduced axes are innermost (inner == 1) and
// is then vectorised; otherwise (softmax over an outer axis) V neighbouring rows are reduced at
// once, one per lane: a vector of consecutive inner positions.

import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import type { Buffer, Expr, Stmt, Var } from '../tir.js';
import {
  add, alloc, and, binary, cast, div, floordiv, ge, ifThen, imm, le, letIn, load, loop, lt, max, mod, mul,
  select, seq,
  store, sub, unary, unflatten,
} from '../tir-build.js';
import {
  INPUT_MISMATCH, bcastCoord, ceilDivExpr, checkBroadcastTo, checkDimEq, constOf, knob, prodExpr,
  requireFloat,
} from './attrs.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const SOFTMAX_ATTRS = { axis: attr.axis(-1), coerce2d: attr.flag(0) };
const LRN_ATTRS = { size: attr.int(undefined, { min: 1 }), alpha: attr.float(1e-4), beta: attr.float(0.75),
  bias: attr.float(1) };
export const BATCH_NORM_ATTRS = { epsilon: attr.float(1e-5) };
const LAYER_NORM_ATTRS = { axis: attr.axis(-1), epsilon: attr.float(1e-5), stats: attr.flag(0) };
const RMS_NORM_ATTRS = { axis: attr.axis(-1), epsilon: attr.float(1e-5) };
type LrnAttrs = AttrValues<typeof LRN_ATTRS>;

function inferSoftmax(ins: readonly (TensorType | null)[], _a: unknown, ctx: InferCtx): TensorType[] {
  return [requireFloat(ins, 0, 'softmax input', ctx, 1)];
}

/** A tensor viewed as (outer, L, inner) rows around its reduced axes. */
interface Rows {
  readonly pre: readonly Expr[]; readonly mid: readonly Expr[]; readonly post: readonly Expr[];
  readonly outer: Expr; readonly L: Expr; readonly inner: Expr;
}

function rowsOf(shape: readonly Expr[], axis: number, toEnd: boolean): Rows {
  const pre = shape.slice(0, axis), mid = toEnd ? shape.slice(axis) : [shape[axis]];
  const post = toEnd ? [] : shape.slice(axis + 1);
  return { pre, mid, post, outer: prodExpr(pre), L: prodExpr(mid), inner: prodExpr(post) };
}

/**
 * Loops over a row's elements: `V` lanes per chunk (vectorised when V > 1), `body(i, inRow)` gets
 * the element index along the row and whether it is inside the row (tail lanes are not). The
 * full chunks run unmasked; a row whose length V may not divide ends in one masked chunk (a
 * mask on every chunk cost a compare and a blend or masked access on each).
 */
function rowLoop(
  ctx: LowerCtx, L: Expr, V: number, body: (i: Expr, inRow: Expr | null, lane: Var) => Stmt,
): Stmt {
  const kind = V > 1 ? 'vectorize' : 'serial';
  const ch = ctx.fresh('chunk'), lv = ctx.fresh('v');
  const lc = constOf(L);
  if (V === 1 || (lc !== undefined && lc % V === 0)) {
    return loop(ch, ceilDivExpr(L, V), loop(lv, V, body(add(mul(ch, V), lv), null, lv), kind));
  }
  const full = floordiv(L, V), tv = ctx.fresh('v');
  const ti = add(mul(full, V), tv);
  return seq(
    loop(ch, full, loop(lv, V, body(add(mul(ch, V), lv), null, lv), kind)),
    ifThen(lt(mul(full, V), L), loop(tv, V, body(ti, lt(ti, L), tv), kind)),
  );
}

/** Reduces f(i) over a row with `combine` into a fresh let-bound var; `then` uses it. */
function rowReduce(
  ctx: LowerCtx, L: Expr, V: number, dt: TensorType['dtype'], identity: number,
  combine: (a: Expr, b: Expr) => Expr, f: (i: Expr) => Expr, then: (r: Var) => Stmt,
): Stmt {
  const acc = ctx.scratch('acc', dt), tot = ctx.scratch('tot', dt);
  const lv = ctx.fresh('v'), l2 = ctx.fresh('l'), r = ctx.fresh('r', dt);
  const id = imm(identity, dt);
  const red = seq(
    loop(lv, V, store(acc, lv, id), V > 1 ? 'vectorize' : 'serial'),
    rowLoop(ctx, L, V, (i, inRow, lane) => {
      const v = inRow ? select(inRow, f(i), id) : f(i);
      return store(acc, lane, combine(load(acc, lane), v));
    }),
    store(tot, 0, id),
    loop(l2, V, store(tot, 0, combine(load(tot, 0), load(acc, l2)))),
  );
  return alloc(acc, V, alloc(tot, 1, seq(red, letIn(r, load(tot, 0), then(r)))));
}

function lowerSoftmax(ctx: LowerCtx, a: AttrValues<typeof SOFTMAX_ATTRS>, log: boolean): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0];
  // float16 / bfloat16 rows are computed in float32 (exp, sum, scale) and rounded once, at the store.
  const dt = x.dtype === 'float16' || x.dtype === 'bfloat16' ? 'float32' : x.dtype;
  const buf = x.buffer!;
  const rows = rowsOf(x.shape, a.axis, a.coerce2d !== 0);
  if (constOf(rows.inner) !== 1) return lowerSoftmaxAcross(ctx, rows, log);
  const V = knob(ctx.knobs, 'norm.vec', ctx.target.vectorLanes);
  const rv = ctx.fresh('row');
  const o = floordiv(rv, rows.inner), inn = mod(rv, rows.inner);
  const raw = (i: Expr): Expr => load(buf, add(mul(add(mul(o, rows.L), i), rows.inner), inn));
  const xAt = (i: Expr): Expr => (dt === x.dtype ? raw(i) : cast(raw(i), dt));
  const outIdx = (i: Expr): Expr[] =>
    [...unflatten(o, rows.pre), ...unflatten(i, rows.mid), ...unflatten(inn, rows.post)];
  const body = rowReduce(ctx, rows.L, V, dt, -Infinity, max, xAt, (mx) =>
    rowReduce(ctx, rows.L, V, dt, 0, add, (i) => unary('exp', sub(xAt(i), mx)), (sum) => {
      const k = ctx.fresh(log ? 'lse' : 'inv', dt);
      const kv = log ? add(mx, unary('log', sum)) : div(imm(1, dt), sum);
      const val = (i: Expr): Expr => (log ? sub(xAt(i), k) : mul(unary('exp', sub(xAt(i), mx)), k));
      return letIn(k, kv, rowLoop(ctx, rows.L, V, (i, inRow) => {
        const st = out.store(outIdx(i), dt === out.dtype ? val(i) : cast(val(i), out.dtype));
        return inRow ? ifThen(inRow, st) : st;
      }));
    }));
  return { kind: 'kernel', body: loop(rv, mul(rows.outer, rows.inner), body, 'parallel') };
}

/**
 * Softmax over an axis that is not innermost (inner > 1: YOLO's DFL, channel softmaxes): a
 * vector of V neighbouring rows (consecutive inner positions, contiguous in memory) is reduced
 * together, each of the L steps one contiguous vector load, with per-lane max and sum in
 * scratch; the same passes as a contiguous row (max, sum of exp(x - max), store), per lane. The
 * last block of a row of inner positions runs masked when V may not divide inner.
 */
function lowerSoftmaxAcross(ctx: LowerCtx, rows: Rows, log: boolean): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0], dt = x.dtype, buf = x.buffer!;
  const V = knob(ctx.knobs, 'norm.vec', ctx.target.vectorLanes);
  const pv = ctx.fresh('p'), lv = ctx.fresh('v'), l = ctx.fresh('l');
  const blocks = ceilDivExpr(rows.inner, V);
  const o = floordiv(pv, blocks), inn = add(mul(mod(pv, blocks), V), lv);
  const mx = ctx.scratch('mx', dt), sm = ctx.scratch('sum', dt);
  const xAt = (i: Expr): Expr => load(buf, add(mul(add(mul(o, rows.L), i), rows.inner), inn));
  const block = (masked: boolean): Stmt => {
    const lanes = (st: Stmt, vec = true): Stmt =>
      loop(lv, V, masked ? ifThen(lt(inn, rows.inner), st) : st, vec ? 'vectorize' : 'serial');
    const overL = (st: Stmt, vec = true): Stmt => loop(l, rows.L, lanes(st, vec));
    const e = unary('exp', sub(xAt(l), load(mx, lv)));
    const k = log ? add(load(mx, lv), unary('log', load(sm, lv))) : div(imm(1, dt), load(sm, lv));
    const idx = [...unflatten(o, rows.pre), ...unflatten(l, rows.mid), ...unflatten(inn, rows.post)];
    return seq(
      lanes(seq(store(mx, lv, imm(-Infinity, dt)), store(sm, lv, imm(0, dt)))),
      overL(store(mx, lv, max(load(mx, lv), xAt(l)))),
      overL(store(sm, lv, add(load(sm, lv), e))),
      lanes(store(sm, lv, k)),
      overL(out.store(idx, log ? sub(xAt(l), load(sm, lv)) : mul(e, load(sm, lv))), out.vectorizable),
    );
  };
  const ic = constOf(rows.inner);
  const body = ic !== undefined && ic % V === 0 ? block(false)
    : ifThen(le(mul(add(mod(pv, blocks), 1), V), rows.inner), block(false), block(true));
  const tile = alloc(mx, V, alloc(sm, V, body));
  return { kind: 'kernel', body: loop(pv, mul(rows.outer, blocks), tile, 'parallel') };
}

function inferLrn(ins: readonly (TensorType | null)[], _a: LrnAttrs, ctx: InferCtx): TensorType[] {
  return [requireFloat(ins, 0, 'lrn input', ctx, 3)];
}

/** y = x / (bias + alpha/size * sum_{c' in window} x[c']^2)^beta, window [c - (size-1)/2, ...]. */
function lowerLrn(ctx: LowerCtx, a: LrnAttrs): Lowering {
  const x = ctx.inputs[0]!, dt = x.dtype;
  const size = a.size;
  const V = knob(ctx.knobs, 'norm.vec', ctx.target.vectorLanes);
  const [N, C] = x.shape, S = prodExpr(x.shape.slice(2));
  const pv = ctx.fresh('p'), kc = ctx.fresh('kc');
  const [n, c] = unflatten(pv, [N, C]);
  const cc = add(sub(c, Math.floor((size - 1) / 2)), kc);
  const tile = lrnTile(ctx, a, S, V, ctx.scratch('sq', dt), kc, pv, n, c, cc);
  return { kind: 'kernel', body: loop(pv, mul(N, C), tile, 'parallel') };
}

function binaryPow(a: Expr, beta: number, dt: TensorType['dtype']): Expr {
  return binary('pow', a, imm(beta, dt));
}

/** One (n, c) plane of LRN: per chunk, sum squares over the channel window, then scale. */
function lrnTile(
  ctx: LowerCtx, a: LrnAttrs, S: Expr, V: number, acc: Buffer, kc: Var, pv: Expr, n: Expr, c: Expr, cc: Expr,
): Stmt {
  const x = ctx.inputs[0]!, out = ctx.outputs[0], dt = x.dtype, buf = x.buffer!;
  const [, C] = x.shape;
  const { size, alpha, beta, bias } = a;
  const ch = ctx.fresh('chunk'), lv = ctx.fresh('v');
  const i = add(mul(ch, V), lv);
  const sc = constOf(S), inRow = sc !== undefined && sc % V === 0 ? null : lt(i, S);
  const inC = and(ge(cc, 0), lt(cc, C));
  const xv = load(buf, add(mul(add(mul(n, C), cc), S), i));
  const sq = select(inRow ? and(inC, inRow) : inC, mul(xv, xv), imm(0, dt));
  const own = load(buf, add(mul(pv, S), i));
  const den = binaryPow(add(imm(bias, dt), mul(imm(alpha / size, dt), load(acc, lv))), beta, dt);
  const st = out.store([n, c, ...unflatten(i, x.shape.slice(2))], div(own, den));
  const kind = V > 1 ? 'vectorize' : 'serial';
  const chunk = seq(
    loop(lv, V, store(acc, lv, imm(0, dt)), kind),
    loop(kc, size, loop(lv, V, store(acc, lv, add(load(acc, lv), sq)), kind)),
    loop(lv, V, inRow ? ifThen(inRow, st) : st, kind),
  );
  return alloc(acc, V, loop(ch, ceilDivExpr(S, V), chunk));
}

function inferBatchNorm(ins: readonly (TensorType | null)[], _a: unknown, ctx: InferCtx): TensorType[] {
  const x = requireFloat(ins, 0, 'batch_norm input', ctx, 2);
  ['scale', 'bias', 'mean', 'var'].forEach((what, k) => {
    const t = requireFloat(ins, k + 1, `batch_norm ${what}`, ctx, 1, 1);
    checkDimEq(t.shape[0], x.shape[1], `batch_norm ${what} length vs channels`, ctx, [k + 1, 0]);
  });
  return [x];
}

/** y = (x - mean[c]) * scale[c] / sqrt(var[c] + eps) + bias[c], c = axis 1. */
function lowerBatchNorm(ctx: LowerCtx, a: AttrValues<typeof BATCH_NORM_ATTRS>): Lowering {
  const [x, scale, bias, mean, variance] = ctx.inputs as readonly TensorAccess[];
  const eps = a.epsilon, dt = x.dtype;
  return {
    kind: 'compute',
    at: (idx) => {
      const c = [idx[1]];
      const k = mul(scale.at(c), unary('rsqrt', add(variance.at(c), imm(eps, dt))));
      return add(mul(sub(x.at(idx), mean.at(c)), k), bias.at(c));
    },
  };
}

type LayerNormAttrs = AttrValues<typeof LAYER_NORM_ATTRS>;

/** Input 0 of a row normalisation, with its scale (input 1) and optional bias (input 2) checked
 *  to broadcast to the normalised axes (those from `axis` on). */
function inferNormRows(ins: readonly (TensorType | null)[], op: string, axis: number,
  ctx: InferCtx): TensorType {
  const x = requireFloat(ins, 0, `${op} input`, ctx, 1);
  const norm = x.shape.slice(axis);
  for (const [k, what] of [[1, 'scale'], [2, 'bias']] as const) {
    const t = ins[k];
    if (!t) { if (k === 1) ctx.fail(INPUT_MISMATCH, `${op} needs a scale`); continue; }
    if (t.shape.length > norm.length) {
      ctx.fail(INPUT_MISMATCH, `${op} ${what} rank exceeds normalised rank`);
    }
    const want = norm.slice(norm.length - t.shape.length);
    t.shape.forEach((d, i) => checkBroadcastTo(d, want[i], `${op} ${what}`, ctx, [k]));
  }
  return x;
}

function inferLayerNorm(ins: readonly (TensorType | null)[], a: LayerNormAttrs, ctx: InferCtx): TensorType[] {
  const axis = a.axis;
  const x = inferNormRows(ins, 'layer_norm', axis, ctx);
  if (a.stats === 0) return [x];
  // ONNX's optional Mean and InvStdDev: per row, normalised axes kept as 1, in float32.
  const stat: TensorType = { dtype: 'float32', shape: x.shape.map((d, i) => (i < axis ? d : 1)) };
  return [x, stat, stat];
}

/** Stores each row's statistics (mean, inverse std-dev) into outputs 1 and 2 when requested. */
function statStores(ctx: LowerCtx, rows: { pre: readonly Expr[]; mid: readonly Expr[] }, rv: Expr,
  stats: readonly Expr[]): Stmt[] {
  const at = [...unflatten(rv, rows.pre), ...rows.mid.map(() => imm(0))];
  return ctx.outputs.slice(1).map((o, k) => o.store(at, cast(stats[k], o.dtype)));
}

/** Element `i` of a row of a scale or bias that broadcasts to the row's axes `mid`. */
function paramAt(t: TensorAccess, mid: readonly Expr[], i: Expr): Expr {
  const coords = unflatten(i, mid);
  return t.at(t.shape.map((d, k) => bcastCoord(coords[coords.length - t.shape.length + k], d)));
}

function lowerLayerNorm(ctx: LowerCtx, a: LayerNormAttrs): Lowering {
  const x = ctx.inputs[0]!, scale = ctx.inputs[1]!, bias = ctx.inputs[2], out = ctx.outputs[0];
  const dt = x.dtype, buf = x.buffer!;
  const eps = a.epsilon;
  const rows = rowsOf(x.shape, a.axis, true);
  const V = knob(ctx.knobs, 'norm.vec', ctx.target.vectorLanes);
  const rv = ctx.fresh('row');
  const xAt = (i: Expr): Expr => load(buf, add(mul(rv, rows.L), i));
  const param = (t: TensorAccess, i: Expr): Expr => paramAt(t, rows.mid, i);
  const n = cast(rows.L, dt);
  const body = rowReduce(ctx, rows.L, V, dt, 0, add, xAt, (sum) => {
    const mean = ctx.fresh('mean', dt), rstd = ctx.fresh('rstd', dt);
    return letIn(mean, div(sum, n), rowReduce(ctx, rows.L, V, dt, 0, add, (i) => {
      const d = sub(xAt(i), mean);
      return mul(d, d);
    }, (ss) => letIn(rstd, unary('rsqrt', add(div(ss, n), imm(eps, dt))), seq(
      ...statStores(ctx, rows, rv, [mean, rstd]),
      rowLoop(ctx, rows.L, V, (i, inRow) => {
        let v = mul(mul(sub(xAt(i), mean), rstd), param(scale, i));
        if (bias) v = add(v, param(bias, i));
        const st = out.store([...unflatten(rv, rows.pre), ...unflatten(i, rows.mid)], v);
        return inRow ? ifThen(inRow, st) : st;
      })))));
  });
  return { kind: 'kernel', body: loop(rv, rows.outer, body, 'parallel') };
}

/** y = x * rsqrt(mean(x^2) + epsilon) * scale, per row of the axes from `axis` on. */
function lowerRmsNorm(ctx: LowerCtx, a: AttrValues<typeof RMS_NORM_ATTRS>): Lowering {
  const x = ctx.inputs[0]!, scale = ctx.inputs[1]!, out = ctx.outputs[0], dt = x.dtype, buf = x.buffer!;
  const rows = rowsOf(x.shape, a.axis, true);
  const V = knob(ctx.knobs, 'norm.vec', ctx.target.vectorLanes);
  const rv = ctx.fresh('row'), rstd = ctx.fresh('rstd', dt);
  const xAt = (i: Expr): Expr => load(buf, add(mul(rv, rows.L), i));
  const body = rowReduce(ctx, rows.L, V, dt, 0, add, (i) => mul(xAt(i), xAt(i)), (ss) =>
    letIn(rstd, unary('rsqrt', add(div(ss, cast(rows.L, dt)), imm(a.epsilon, dt))),
      rowLoop(ctx, rows.L, V, (i, inRow) => {
        const v = mul(mul(xAt(i), rstd), paramAt(scale, rows.mid, i));
        const st = out.store([...unflatten(rv, rows.pre), ...unflatten(i, rows.mid)], v);
        return inRow ? ifThen(inRow, st) : st;
      })));
  return { kind: 'kernel', body: loop(rv, rows.outer, body, 'parallel') };
}

export const NORM_OPS: readonly OpDef[] = [
  declareOp({ name: 'softmax', traits: ['anchor'], schedule: 'norm', attrs: SOFTMAX_ATTRS,
    infer: inferSoftmax, lower: (ctx, a) => lowerSoftmax(ctx, a, false) }),
  declareOp({ name: 'log_softmax', traits: ['anchor'], schedule: 'norm', attrs: SOFTMAX_ATTRS,
    infer: inferSoftmax, lower: (ctx, a) => lowerSoftmax(ctx, a, true) }),
  declareOp({ name: 'lrn', traits: ['anchor'], schedule: 'norm', attrs: LRN_ATTRS, infer: inferLrn,
    lower: lowerLrn }),
  declareOp({ name: 'batch_norm', traits: ['elementwise'], attrs: BATCH_NORM_ATTRS, infer: inferBatchNorm,
    lower: lowerBatchNorm }),
  declareOp({ name: 'layer_norm', traits: ['anchor'], schedule: 'norm', attrs: LAYER_NORM_ATTRS,
    infer: inferLayerNorm, lower: lowerLayerNorm }),
  declareOp({ name: 'rms_norm', traits: ['anchor'], schedule: 'norm', attrs: RMS_NORM_ATTRS,
    infer: (ins, a, ctx) => [inferNormRows(ins.slice(0, 2), 'rms_norm', a.axis, ctx)], lower: lowerRmsNorm }),
];
