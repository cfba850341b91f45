// Op records for reductions, written as one table: `reduce_sum, reduce_mean, reduce_max,
// reduce_min, reduce_prod, reduce_l1, reduce_l2, reduce_log_sum, reduce_log_sum_exp,
// reduce_sum_square` {axes: number[], keepdims, noopWithEmptyAxes} and `arg_max, arg_min`
// {axis, keepdims, selectLastIndex} (int64 indices).
// Requires: axes normalised (non-negative, sorted, distinct) by the frontend.
// Guarantees: empty `axes` reduces everything (or copies, with noopWithEmptyAxes); an empty
// reduction gives the identity (0, -inf, +inf, 1) before the final map, as ONNX says; floats
// accumulate in float32 (float64 in float64), integers in their own dtype; the order of
// combination is fixed, so results are deterministic for every thread count.
//
// Schedule: the input is viewed as (outer, L, inner) around the reduced axes when they are
// adjacent. inner == 1 (reduced axes innermost, contiguous): rows run in parallel and each row is
// reduced by V lane partials over chunks, then a serial combine of the lanes. inner > 1: parallel
// over (outer, chunks of V inner positions), the V inner positions vectorised, L serial. Reduced
// axes that are not adjacent: parallel over output elements, a serial loop over the reduced ones.
// Knob: reduce.vec (default target.vectorLanes).

import { isFloat, type DType } from '../dtype.js';
import { type Dim } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, OutputSink, TensorAccess } from '../te.js';
import {
  add, alloc, cast, div, floordiv, ge, gt, ifThen, imm, le, letIn, load, loop, lt, max, min, mod, mul,
  select, seq, store, unary, unflatten,
} from '../tir-build.js';
import type { Expr, Stmt } from '../tir.js';
import { elementLoops } from '../te-loops.js';
import { INPUT_MISMATCH, ceilDivExpr, constOf, knob, prodExpr } from './attrs.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

/** One reduction: identity, combine, per-element map and final map (n = element count). */
export interface Reducer {
  readonly identity: 'zero' | 'one' | 'lowest' | 'highest';
  readonly combine: (a: Expr, b: Expr) => Expr;
  readonly map?: (x: Expr) => Expr;
  readonly final?: (r: Expr, n: Expr) => Expr;
}

const sq = (x: Expr): Expr => mul(x, x);

export const REDUCERS: Readonly<Record<string, Reducer>> = {
  reduce_sum: { identity: 'zero', combine: add },
  reduce_mean: { identity: 'zero', combine: add, final: (r, n) => div(r, cast(n, r.dtype)) },
  reduce_max: { identity: 'lowest', combine: max },
  reduce_min: { identity: 'highest', combine: min },
  reduce_prod: { identity: 'one', combine: mul },
  reduce_l1: { identity: 'zero', combine: add, map: (x) => unary('abs', x) },
  reduce_l2: { identity: 'zero', combine: add, map: sq, final: (r) => unary('sqrt', r) },
  reduce_log_sum: { identity: 'zero', combine: add, final: (r) => unary('log', r) },
  reduce_log_sum_exp: { identity: 'zero', combine: add, map: (x) => unary('exp', x),
    final: (r) => unary('log', r) },
  reduce_sum_square: { identity: 'zero', combine: add, map: sq },
};

const INT_RANGE: Readonly<Record<string, readonly [number, number]>> = {
  int8: [-128, 127], int16: [-32768, 32767], int32: [-(2 ** 31), 2 ** 31 - 1], int64: [-(2 ** 53), 2 ** 53],
  uint8: [0, 255], uint16: [0, 65535], uint32: [0, 2 ** 32 - 1], uint64: [0, 2 ** 53], bool: [0, 1],
};

export function identityValue(r: Reducer, dt: DType): number {
  switch (r.identity) {
    case 'zero': return 0;
    case 'one': return 1;
    case 'lowest': return isFloat(dt) ? -Infinity : INT_RANGE[dt][0];
    case 'highest': return isFloat(dt) ? Infinity : INT_RANGE[dt][1];
  }
}

export const accType = (dt: DType): DType => (dt === 'float16' ? 'float32' : dt);

// ---- shape relation ---------------------------------------------------------------------------

const REDUCE_ATTRS = { axes: attr.axes(), keepdims: attr.flag(1), noopWithEmptyAxes: attr.flag(0) };
const ARG_ATTRS = { axis: attr.axis(0), keepdims: attr.flag(1), selectLastIndex: attr.flag(0) };
type ReduceAttrs = AttrValues<typeof REDUCE_ATTRS>;

/** The reduced axes (normalised by the schema): given, or all; none when noopWithEmptyAxes. */
function reducedAxes(a: ReduceAttrs, rank: number): readonly number[] {
  if (a.axes.length) return a.axes;
  return a.noopWithEmptyAxes ? [] : [...Array(rank).keys()];
}

function reducedShape(shape: readonly Dim[], axes: readonly number[], keep: boolean): Dim[] {
  return shape.flatMap((d, i) => (axes.includes(i) ? (keep ? [1] : []) : [d]));
}

function inferReduce(ins: readonly (TensorType | null)[], a: ReduceAttrs, ctx: InferCtx): TensorType[] {
  const x = ins[0];
  if (!x) return ctx.fail(INPUT_MISMATCH, 'missing input');
  const axes = reducedAxes(a, x.shape.length);
  return [{ dtype: x.dtype, shape: reducedShape(x.shape, axes, a.keepdims !== 0) }];
}

function inferArg(ins: readonly (TensorType | null)[], a: AttrValues<typeof ARG_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const x = ins[0];
  if (!x || x.shape.length === 0) return ctx.fail(INPUT_MISMATCH, 'arg_max/arg_min need rank >= 1');
  return [{ dtype: 'int64', shape: reducedShape(x.shape, [a.axis], a.keepdims !== 0) }];
}

// ---- lowering ---------------------------------------------------------------------------------

/** Input coordinates and output index of the element (outer o, reduced l, inner j). */
interface Layout {
  readonly x: TensorAccess; readonly out: OutputSink; readonly axes: readonly number[];
  readonly keep: boolean; readonly first: number; readonly last: number;
  readonly outer: Expr; readonly L: Expr; readonly inner: Expr;
}

function layoutOf(ctx: LowerCtx, axes: readonly number[], keep: boolean): Layout {
  const x = ctx.inputs[0]!, s = x.shape;
  const first = axes[0], last = axes[axes.length - 1];
  return {
    x, out: ctx.outputs[0], axes, keep, first, last,
    outer: prodExpr(s.slice(0, first)), L: prodExpr(s.slice(first, last + 1)),
      inner: prodExpr(s.slice(last + 1)),
  };
}

/** x at (outer o, reduced l, inner j): a flat load when x is materialised. */
const xAt = (y: Layout, o: Expr, l: Expr, j: Expr): Expr => {
  const s = y.x.shape;
  if (y.x.buffer) return load(y.x.buffer, add(mul(add(mul(o, y.L), l), y.inner), j));
  return y.x.at([...unflatten(o, s.slice(0, y.first)), ...unflatten(l, s.slice(y.first, y.last + 1)),
    ...unflatten(j, s.slice(y.last + 1))]);
};

const outIdx = (y: Layout, o: Expr, j: Expr): Expr[] => {
  const s = y.x.shape, ones = y.keep ? s.slice(y.first, y.last + 1).map(() => imm(0)) : [];
  return [...unflatten(o, s.slice(0, y.first)), ...ones, ...unflatten(j, s.slice(y.last + 1))];
};

/** inner == 1: each row reduced by V lane partials, then a serial combine of the lanes. */
function lowerRows(ctx: LowerCtx, y: Layout, r: Reducer): Stmt {
  const dt = accType(y.x.dtype), V = knob(ctx.knobs, 'reduce.vec', ctx.target.vectorLanes);
  const id = imm(identityValue(r, dt), dt);
  const acc = ctx.scratch('acc', dt), tot = ctx.scratch('tot', dt);
  const row = ctx.fresh('row'), ch = ctx.fresh('chunk'), lv = ctx.fresh('v'), l2 = ctx.fresh('l');
  const i = add(mul(ch, V), lv), Lc = constOf(y.L);
  const val = elemValue(r, xAt(y, row, i, imm(0)), dt);
  const v = Lc !== undefined && Lc % V === 0 ? val : select(lt(i, y.L), val, id);
  const body = seq(
    loop(lv, V, store(acc, lv, id), 'vectorize'),
    loop(ch, ceilDivExpr(y.L, V), loop(lv, V, store(acc, lv, r.combine(load(acc, lv), v)), 'vectorize')),
    store(tot, 0, id),
    loop(l2, V, store(tot, 0, r.combine(load(tot, 0), load(acc, l2)))),
    y.out.store(outIdx(y, row, imm(0)), finalValue(r, load(tot, 0), y.L, y.x.dtype)),
  );
  return loop(row, y.outer, alloc(acc, V, alloc(tot, 1, body)), 'parallel');
}

export const elemValue = (r: Reducer, x: Expr, dt: DType): Expr => {
  const v = cast(x, dt);
  return r.map ? r.map(v) : v;
};

export const finalValue = (r: Reducer, acc: Expr, n: Expr, dt: DType): Expr =>
  cast(r.final ? r.final(acc, n) : acc, dt);

/** inner > 1: V inner positions per vector, the reduced extent walked serially. */
function lowerColumns(ctx: LowerCtx, y: Layout, r: Reducer): Stmt {
  const dt = accType(y.x.dtype), V = knob(ctx.knobs, 'reduce.vec', ctx.target.vectorLanes);
  const id = imm(identityValue(r, dt), dt);
  const acc = ctx.scratch('acc', dt);
  const pv = ctx.fresh('p'), l = ctx.fresh('l'), lv = ctx.fresh('v');
  const nch = ceilDivExpr(y.inner, V);
  const o = floordiv(pv, nch), j = add(mul(mod(pv, nch), V), lv);
  const Ic = constOf(y.inner), tail = Ic === undefined || Ic % V !== 0;
  const jSafe = tail ? min(j, add(y.inner, -1)) : j;
  const val = elemValue(r, xAt(y, o, l, jSafe), dt);
  const st = y.out.store(outIdx(y, o, j), finalValue(r, load(acc, lv), y.L, y.x.dtype));
  const body = seq(
    loop(lv, V, store(acc, lv, id), 'vectorize'),
    loop(l, y.L, loop(lv, V, store(acc, lv, r.combine(load(acc, lv), val)), 'vectorize')),
    loop(lv, V, tail ? ifThen(lt(j, y.inner), st) : st, y.out.vectorizable ? 'vectorize' : 'serial'),
  );
  return loop(pv, mul(y.outer, nch), alloc(acc, V, body), 'parallel');
}

/** Reduced axes not adjacent: one output element at a time, reduced elements in row-major order. */
function lowerGeneral(ctx: LowerCtx, axes: readonly number[], r: Reducer, keep: boolean): Stmt {
  const x = ctx.inputs[0]!, out = ctx.outputs[0], dt = accType(x.dtype);
  const kept = x.shape.filter((_, i) => !axes.includes(i)), red = axes.map((a) => x.shape[a]);
  const p = ctx.fresh('p'), l = ctx.fresh('l'), acc = ctx.scratch('acc', dt);
  const kc = unflatten(p, kept), rc = unflatten(l, red);
  const coords = (): Expr[] => {
    let a = 0, b = 0; return x.shape.map((_, i) => (axes.includes(i) ? rc[a++] : kc[b++]));
  };
  const oIdx = (): Expr[] => {
    let b = 0; return x.shape.flatMap((_, i) => (axes.includes(i) ? (keep ? [imm(0)] : []) : [kc[b++]]));
  };
  const n = prodExpr(red);
  const body = seq(
    store(acc, 0, imm(identityValue(r, dt), dt)),
    loop(l, n, store(acc, 0, r.combine(load(acc, 0), elemValue(r, x.at(coords()), dt)))),
    out.store(oIdx(), finalValue(r, load(acc, 0), n, x.dtype)),
  );
  return loop(p, prodExpr(kept), alloc(acc, 1, body), 'parallel');
}

function lowerReduce(ctx: LowerCtx, a: ReduceAttrs, r: Reducer): Lowering {
  const x = ctx.inputs[0]!;
  const axes = reducedAxes(a, x.shape.length);
  if (axes.length === 0) {
    const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
    return { kind: 'kernel',
      body: elementLoops(env, x.shape, (idx) => ctx.outputs[0].store(idx, x.at(idx))) };
  }
  const adjacent = axes[axes.length - 1] - axes[0] === axes.length - 1;
  if (!adjacent) return { kind: 'kernel', body: lowerGeneral(ctx, axes, r, a.keepdims !== 0) };
  const y = layoutOf(ctx, axes, a.keepdims !== 0);
  const inner1 = constOf(y.inner) === 1;
  return { kind: 'kernel', body: inner1 ? lowerRows(ctx, y, r) : lowerColumns(ctx, y, r) };
}

/** arg_max/arg_min: V inner positions per vector; the first element seeds best value and index. */
function lowerArg(ctx: LowerCtx, a: AttrValues<typeof ARG_ATTRS>, isMax: boolean): Lowering {
  const x = ctx.inputs[0]!;
  const last = a.selectLastIndex !== 0;
  const y = layoutOf(ctx, [a.axis], a.keepdims !== 0), dt = x.dtype;
  const V = constOf(y.inner) === 1 ? 1 : knob(ctx.knobs, 'reduce.vec', ctx.target.vectorLanes);
  const best = ctx.scratch('best', dt), bi = ctx.scratch('bi', 'int64');
  const pv = ctx.fresh('p'), l = ctx.fresh('l'), lv = ctx.fresh('v'), cur = ctx.fresh('x', dt);
  const nch = ceilDivExpr(y.inner, V);
  const o = floordiv(pv, nch), j = add(mul(mod(pv, nch), V), lv);
  const jSafe = V > 1 ? min(j, add(y.inner, -1)) : j;
  const kind = V > 1 ? 'vectorize' : 'serial';
  const better = (a: Expr, b: Expr): Expr => (isMax ? (last ? ge : gt) : (last ? le : lt))(a, b);
  const step = letIn(cur, xAt(y, o, l, jSafe), seq(
    store(bi, lv, select(better(cur, load(best, lv)), l, load(bi, lv))),
    store(best, lv, select(better(cur, load(best, lv)), cur, load(best, lv))),
  ));
  const st = y.out.store(outIdx(y, o, j), load(bi, lv));
  const body = seq(
    loop(lv, V, seq(store(best, lv, xAt(y, o, imm(0), jSafe)), store(bi, lv, imm(0))), kind),
    loop(l, add(y.L, -1), loop(lv, V, step, kind), 'serial', 1),
    loop(lv, V, V > 1 ? ifThen(lt(j, y.inner), st) : st, V > 1 && y.out.vectorizable ? 'vectorize'
      : 'serial'),
  );
  return { kind: 'kernel',
    body: loop(pv, mul(y.outer, nch), alloc(best, V, alloc(bi, V, body)), 'parallel') };
}

export const REDUCE_OPS: readonly OpDef[] = [
  ...Object.entries(REDUCERS).map(([name, r]) => declareOp({
    name, traits: ['reduction', 'anchor'], attrs: REDUCE_ATTRS, infer: inferReduce,
    lower: (ctx, a) => lowerReduce(ctx, a, r),
  })),
  declareOp({ name: 'arg_max', traits: ['reduction', 'anchor'], attrs: ARG_ATTRS, infer: inferArg,
    lower: (ctx, a) => lowerArg(ctx, a, true) }),
  declareOp({ name: 'arg_min', traits: ['reduction', 'anchor'], attrs: ARG_ATTRS, infer: inferArg,
    lower: (ctx, a) => lowerArg(ctx, a, false) }),
];
