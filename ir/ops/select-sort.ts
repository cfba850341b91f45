// Slice layouts and the stable merge sort shared by the data-dependent ops of select.ts (TopK,
// Unique): x viewed as (outer, L, inner) around an axis, lexicographic slice comparison, and a
// bottom-up merge sort of int64 indices between two caller-provided buffers.
// Requires: index buffers of at least n entries at the offsets `pos` gives; an int64 scratch of 4
// cells for the sort's cursors.
// Guarantees: the sort is stable (ties keep their order) and writes every entry of both buffers.

import type { LowerCtx, TensorAccess } from '../te.js';
import {
  add, and, binary, eq, floordiv, ge, gt, ifThen, imm, letIn, load, loop, lt, min, mod, mul, select, seq,
  store, sub, unflatten,
} from '../tir-build.js';
import type { Buffer, Expr, Stmt } from '../tir.js';
import { prodExpr } from './attrs.js';

const or = (a: Expr, b: Expr): Expr => binary('or', a, b);
const I = (v: number): Expr => imm(v);

/** x viewed as (outer, L, inner) around `axis` (L = every element when flattened). */
export interface Layout {
  readonly x: TensorAccess;
  readonly outer: Expr; readonly L: Expr; readonly inner: Expr;
  readonly outerShape: readonly Expr[]; readonly innerShape: readonly Expr[];
  readonly flat: boolean;
}

export function layoutOf(x: TensorAccess, axis: number): Layout {
  const s = x.shape;
  if (axis < 0) return { x, outer: I(1), L: prodExpr(s), inner: I(1), outerShape: [], innerShape: [],
    flat: true };
  return {
    x, outer: prodExpr(s.slice(0, axis)), L: s[axis], inner: prodExpr(s.slice(axis + 1)),
    outerShape: s.slice(0, axis), innerShape: s.slice(axis + 1), flat: false,
  };
}

/** Element at a flat row-major offset of x. */
export const xFlat = (x: TensorAccess, f: Expr): Expr => (x.buffer ? load(x.buffer, f)
  : x.at(unflatten(f, x.shape)));

/** x at (outer o, axis position l, inner j). */
export const xAt = (y: Layout, o: Expr, l: Expr, j: Expr): Expr => xFlat(y.x,
  add(mul(add(mul(o, y.L), l), y.inner), j));

/** Output multi-index for (o, p, j) in a tensor shaped like x with its axis extent replaced. */
export const outIdx = (y: Layout, o: Expr, p: Expr, j: Expr): Expr[] =>
  (y.flat ? [p] : [...unflatten(o, y.outerShape), p, ...unflatten(j, y.innerShape)]);

export const sign = (a: Expr, b: Expr): Expr => select(lt(a, b), I(-1), select(gt(a, b), I(1), I(0)));

/** Compares the keys of slices p and q: `result` < 0 when p sorts strictly before q. */
export type Cmp = (p: Expr, q: Expr) => { pre: Stmt; result: Expr };

/** Lexicographic comparison of whole slices (one element when inner and outer are 1). */
export function sliceCmp(ctx: LowerCtx, y: Layout, cell: Buffer): Cmp {
  const S = mul(y.outer, y.inner);
  return (p, q) => {
    if (S.kind === 'const' && S.value === 1) return { pre: seq(),
      result: sign(xAt(y, I(0), p, I(0)), xAt(y, I(0), q, I(0))) };
    const e = ctx.fresh('e'), o = floordiv(e, y.inner), j = mod(e, y.inner);
    const pre = seq(store(cell, 0, I(0)),
      loop(e, S, ifThen(eq(load(cell, 0), 0), store(cell, 0, sign(xAt(y, o, p, j), xAt(y, o, q, j))))));
    return { pre, result: load(cell, 0) };
  };
}

/**
 * Stable bottom-up merge sort of the indices 0..n-1 by `cmp`, in A (B is the ping-pong buffer);
 * `pos(l)` is the offset of entry l in both. `st` is an int64 scratch of 4 cells. With `init`
 * false, A already holds the indices to sort (stability then keeps A's order for ties).
 */
export function mergeSort(ctx: LowerCtx, n: Expr, A: Buffer, B: Buffer, pos: (l: Expr) => Expr, cmp: Cmp,
  st: Buffer, init = true): Stmt {
  const last = sub(n, 1);
  const pass = (S: Buffer, D: Buffer, w: Expr): Stmt => {
    const [blk, lo, mid, hi, k, i, j, pa, pb] =
      ['blk', 'lo', 'mid', 'hi', 'k', 'i', 'j', 'pa', 'pb'].map((h) => ctx.fresh(h));
    const take = ctx.fresh('take', 'bool');
    const w2 = mul(w, 2);
    const c = cmp(pb, pa);
    const step = letIn(i, load(st, 0), letIn(j, load(st, 1),
      letIn(pa, load(S, pos(min(i, last))), letIn(pb, load(S, pos(min(j, last))), seq(
        c.pre,
        // Take from the right run only when its key is strictly smaller: stable.
        letIn(take, and(lt(j, hi), or(ge(i, mid), lt(c.result, 0))), seq(
          store(D, pos(k), select(take, pb, pa)),
          store(st, 0, add(i, select(take, I(0), I(1)))),
          store(st, 1, add(j, select(take, I(1), I(0)))),
        )))))));
    return loop(blk, floordiv(add(n, sub(w2, 1)), w2), letIn(lo, mul(blk, w2), letIn(mid, min(add(lo, w), n),
      letIn(hi, min(add(lo, w2), n),
        seq(store(st, 0, lo), store(st, 1, mid), loop(k, sub(hi, lo), step, 'serial', lo))))));
  };
  const [p, w, l, l2] = [ctx.fresh('pass'), ctx.fresh('w'), ctx.fresh('l'), ctx.fresh('l')];
  return seq(
    // B is initialised too, so no scratch element is ever left unwritten (deterministic outputs).
    init ? loop(l, n, seq(store(A, pos(l), l), store(B, pos(l), l))) : seq(),
    store(st, 2, I(1)), store(st, 3, I(0)),
    // Width doubles each pass; 62 passes cover any extent below 2^62.
    loop(p, 62, letIn(w, load(st, 2), ifThen(lt(w, n), seq(
      ifThen(eq(load(st, 3), 0), pass(A, B, w), pass(B, A, w)),
      store(st, 3, sub(I(1), load(st, 3))),
      store(st, 2, mul(w, 2)),
    )))),
    ifThen(eq(load(st, 3), 1), loop(l2, n, store(A, pos(l2), load(B, pos(l2))))),
  );
}
