// The register micro-kernel shared by gemm, matmul and pointwise conv: out = A·B per batch, a
// TM x TN*V tile of accumulators kept in vector registers across the whole K loop, each step one
// broadcast A element times TN vectors of a B row (FMAs as add(mul(a, b), acc)).
// Two schedules:
//   microKernel    B read in place; the parallel axis fuses (batch, column block, row block), so
//                  consecutive tasks share one B panel (the operand swept M/TM times is the small
//                  one, A, instead of B), or with tiles.rowsOuter (batch, row block, column block),
//                  for short K, where B is small and the output's stores are what costs.
//   packedBKernel  each task first copies its B panel (K x TN*V, zero past N) into a 64-byte
//                  aligned scratch, then runs a chunk of row blocks on it: B rows whose stride is
//                  not a multiple of a vector (a 13x13 image) no longer split cache lines, and edge
//                  columns need no masked loads. Needs a static K (the panel lives on the stack).
// Requires: index functions of the spec give flat element offsets; extents may be symbolic.
// Guarantees: every output element is emitted once, after an f32 reduction over k in increasing
// order (float16 accumulates in float32 and rounds once, at the store, as onnxruntime does).
//
// Tiles (callers read them from their knobs: mm.* for matmul/gemm, conv1x1.* for pointwise conv):
//   V lanes, tn max B vectors per tile (balanced over N), tm rows per tile, mchunks row-block
//   chunks per packed panel (0: enough tasks for 4 per thread).

import type { LowerCtx } from '../te.js';
import type { Buffer, Expr, Stmt } from '../tir.js';
import type { TensorType } from '../graph.js';
import {
  add, alloc, and, cast, ifThen, imm, le, letIn, load, loop, lt, min, mul, select, seq, store, sub, unflatten,
} from '../tir-build.js';
import { ceilDivExpr, constOf, prodExpr } from './attrs.js';

/** One matrix product as the micro-kernel sees it; indices are flat element offsets. */
export interface MMSpec {
  readonly a: Buffer; readonly b: Buffer; readonly dtype: TensorType['dtype'];
  readonly batch: readonly Expr[];
  readonly M: Expr; readonly N: Expr; readonly K: Expr;
  aIndex(bc: readonly Expr[], i: Expr, k: Expr): Expr;
  bIndex(bc: readonly Expr[], k: Expr, j: Expr): Expr;
  /** Store of the finished accumulator `acc` for element (bc, i, j). */
  emit(bc: readonly Expr[], i: Expr, j: Expr, acc: Expr): Stmt;
  readonly vectorizable: boolean;
  /** B pre-packed into `count` column panels of `lanes` (K x lanes each, zero past N). */
  readonly bPanels?: BPanels;
}

/**
 * A B operand packed at compile time (compiler/passes/pack-matmul-weights.ts): vector `lane` of
 * panel `panel` at row k is one contiguous load, and a tile's TN panels are TN sequential streams.
 */
export interface BPanels {
  readonly lanes: number;
  readonly count: Expr;
  index(bc: readonly Expr[], k: Expr, panel: Expr, lane: Expr): Expr;
}

/** The register tile as the caller's knobs set it (see the file comment). */
export interface MMTiles {
  readonly V: number; readonly tm: number; readonly tn: number; readonly mchunks?: number;
  /**
   * microKernel only: row blocks outermost, so that consecutive tasks sweep the columns of one
   * row block (TM output rows written as long contiguous streams, B re-read once per row block)
   * instead of sharing one B panel.
   */
  readonly rowsOuter?: boolean;
}

/** Largest packed B panel (elements): 128 KiB of f32 on a task's stack. */
const MAX_PANEL = 32768;
const MIN_BLOCKS_PER_PANEL = 4;

interface Geometry {
  readonly V: number; readonly TN: number; readonly TM: number;
  /** Vectors of the last column block when fewer than TN are left (static N), else TN. */
  readonly lastTN: number;
  readonly nTail: boolean; readonly mTail: boolean;
  readonly MB: Expr; readonly NB: Expr;
  /** Accumulation dtype. */
  readonly at: TensorType['dtype'];
}

function geometry(ctx: LowerCtx, s: MMSpec, tiles: MMTiles): Geometry {
  const V = tiles.V, tnMax = Math.max(1, tiles.tn);
  const nC = constOf(s.N), mC = constOf(s.M);
  // Balanced column tiles of at most tnMax vectors (11 vectors: 4+4+3, not 4+4+4 with a masked
  // one), since a tile that crosses the edge costs as much as a full one.
  const nv = nC !== undefined ? Math.ceil(nC / V) : undefined;
  const TN = nv === undefined ? tnMax : Math.ceil(nv / Math.ceil(nv / tnMax));
  const TM = Math.max(1, Math.min(tiles.tm, mC ?? 99));
  const lastTN = nv === undefined ? TN : nv - (Math.ceil(nv / TN) - 1) * TN;
  return {
    V, TN, TM, lastTN,
    nTail: nC === undefined || nC % (TN * V) !== 0, mTail: mC === undefined || mC % TM !== 0,
    MB: ceilDivExpr(s.M, TM), NB: ceilDivExpr(s.N, TN * V), at: s.dtype === 'float16' ? 'float32' : s.dtype,
  };
}

/** Where a tile's B vector (k, tn, lane) comes from; `masked` when the tile may cross N. */
type BSource = (k: Expr, tn: Expr, lv: Expr, j: Expr, masked: boolean) => Expr;

/**
 * The register tiles of row block mb, column block nb: the last column block, when fewer than TN
 * vectors of N are left, runs a narrower tile (13 vectors: 4+4+4+1, not 4+4+4+4 with 3 masked).
 */
function columnBlock(ctx: LowerCtx, s: MMSpec, g: Geometry, bc: readonly Expr[], mb: Expr, nb: Expr,
  bAt: BSource): Stmt {
  const full = tile(ctx, s, g, bc, mb, nb, bAt, g.TN);
  return g.lastTN < g.TN
    ? ifThen(lt(nb, sub(g.NB, 1)), full, tile(ctx, s, g, bc, mb, nb, bAt, g.lastTN)) : full;
}

/** One register tile of TNt vectors at row block mb, column block nb: zero, reduce over K, emit. */
function tile(ctx: LowerCtx, s: MMSpec, g: Geometry, bc: readonly Expr[], mb: Expr, nb: Expr,
  bAt: BSource, TNt: number): Stmt {
  const { V, TN, TM, at } = g;
  const kv = ctx.fresh('k'), tm = ctx.fresh('tm'), tn = ctx.fresh('tn'), lv = ctx.fresh('v');
  const av = ctx.fresh('a', at), acc = ctx.scratch('acc', at);
  const i = add(mul(mb, TM), tm), j = add(mul(add(mul(nb, TN), tn), V), lv);
  const accIdx = add(mul(add(mul(tm, TN), tn), V), lv);
  const lanes = (body: Stmt, kind: 'vectorize' | 'serial' = 'vectorize'): Stmt =>
    loop(tm, TM, loop(tn, TNt, loop(lv, V, body, kind), 'unroll'), 'unroll');
  const init = lanes(store(acc, accIdx, imm(0, at)));
  const variant = (nMask: boolean, mMask: boolean): Stmt => {
    const fma = store(acc, accIdx, add(mul(av, bAt(kv, tn, lv, j, nMask)), load(acc, accIdx)));
    const aRow = mMask ? min(i, sub(s.M, 1)) : i; // clamped rows compute garbage that is not stored
    const body = loop(tm, TM, letIn(av, cast(load(s.a, s.aIndex(bc, aRow, kv)), at),
      loop(tn, TNt, loop(lv, V, fma, 'vectorize'), 'unroll')), 'unroll');
    const conds = [mMask ? lt(i, s.M) : null, nMask ? lt(j, s.N) : null].filter((e): e is Expr => !!e);
    const st = s.emit(bc, i, j, cast(load(acc, accIdx), s.dtype));
    const fin = lanes(conds.length ? ifThen(conds.reduce((x, y) => and(x, y)), st) : st,
      s.vectorizable ? 'vectorize' : 'serial');
    return seq(init, loop(kv, s.K, body), fin);
  };
  // Interior tiles (all but the last row/column block, and symbolic extents alike) run unmasked.
  const interior = and(le(mul(add(mb, 1), TM), s.M), le(mul(add(nb, 1), TN * V), s.N));
  const body = g.nTail || g.mTail
    ? ifThen(interior, variant(false, false), variant(g.nTail, g.mTail)) : variant(false, false);
  return alloc(acc, TM * TN * V, body);
}

/**
 * B read in place (masked loads at the right edge), or from its compile-time panels when the
 * spec has them in this tile's vector width (an edge tile clamps to the last panel; the columns
 * it computes past N are not stored).
 */
export function microKernel(ctx: LowerCtx, s: MMSpec, tiles: MMTiles): Stmt {
  const g = geometry(ctx, s, tiles);
  const pv = ctx.fresh('p');
  const order = tiles.rowsOuter ? [g.MB, g.NB] : [g.NB, g.MB];
  const [flatB, o1, o2] = unflatten(pv, [prodExpr(s.batch), ...order]);
  const [nb, mb] = tiles.rowsOuter ? [o2, o1] : [o1, o2];
  const bc = s.batch.length ? unflatten(flatB, s.batch) : [];
  const panels = s.bPanels;
  const bAt: BSource = panels && panels.lanes === g.V
    ? (k, tn, lv, _j, masked) => {
      const p = add(mul(nb, g.TN), tn);
      return cast(load(s.b, panels.index(bc, k, masked ? min(p, sub(panels.count, 1)) : p, lv)), g.at);
    }
    : (k, _tn, _lv, j, masked) => {
      const v = cast(load(s.b, s.bIndex(bc, k, j)), g.at);
      return masked ? select(lt(j, s.N), v, imm(0, g.at)) : v;
    };
  const tasks = prodExpr([prodExpr(s.batch), g.NB, g.MB]);
  return loop(pv, tasks, columnBlock(ctx, s, g, bc, mb, nb, bAt), 'parallel');
}

/**
 * B panels packed per task (see the file comment); null when K is symbolic, the panel too big, or
 * (unless `force`) a panel would serve fewer than MIN_BLOCKS_PER_PANEL row blocks.
 */
export function packedBKernel(ctx: LowerCtx, s: MMSpec, tiles: MMTiles, force = false): Stmt | null {
  const g = geometry(ctx, s, tiles);
  const K = constOf(s.K), W = g.TN * g.V;
  if (K === undefined || K * W > MAX_PANEL) return null;
  const MC = chunks(ctx, s, g, tiles);
  const mbC = constOf(g.MB);
  // Packing a panel costs about 1/TM of one row block's vector operations, plus strided reads.
  if (!force && (mbC === undefined || Math.ceil(mbC / MC) < MIN_BLOCKS_PER_PANEL)) return null;
  const per = ceilDivExpr(g.MB, MC);
  const pv = ctx.fresh('p'), q = ctx.fresh('q');
  const [flatB, nb, mc] = unflatten(pv, [prodExpr(s.batch), g.NB, imm(MC)]);
  const bc = s.batch.length ? unflatten(flatB, s.batch) : [];
  const bp = ctx.scratch('bpanel', g.at);
  const pk = ctx.fresh('pk'), ptn = ctx.fresh('ptn'), plv = ctx.fresh('pv');
  const pj = add(mul(add(mul(nb, g.TN), ptn), g.V), plv);
  const pack = (masked: boolean): Stmt => {
    const v = cast(load(s.b, s.bIndex(bc, pk, pj)), g.at);
    const at = add(mul(add(mul(pk, g.TN), ptn), g.V), plv);
    const st = store(bp, at, masked ? select(lt(pj, s.N), v, imm(0, g.at)) : v);
    return loop(pk, K, loop(ptn, g.TN, loop(plv, g.V, st, 'vectorize'), 'unroll'));
  };
  const packed = g.nTail ? ifThen(le(mul(add(nb, 1), W), s.N), pack(false), pack(true)) : pack(false);
  const bAt: BSource = (k, tn, lv) => load(bp, add(mul(add(mul(k, g.TN), tn), g.V), lv));
  const mb = add(mul(mc, per), q);
  const rows = loop(q, per, ifThen(lt(mb, g.MB), columnBlock(ctx, s, g, bc, mb, nb, bAt)));
  const tasks = prodExpr([prodExpr(s.batch), g.NB, imm(MC)]);
  return loop(pv, tasks, alloc(bp, K * W, seq(packed, rows)), 'parallel');
}

/** Row-block chunks per panel: enough tasks to keep every thread busy, each chunk >= 2 blocks. */
function chunks(ctx: LowerCtx, s: MMSpec, g: Geometry, tiles: MMTiles): number {
  if (tiles.mchunks) return tiles.mchunks;
  const panels = constOf(prodExpr([prodExpr(s.batch), g.NB])), mb = constOf(g.MB);
  if (panels === undefined || mb === undefined) return 1;
  const want = Math.ceil((4 * Math.max(1, ctx.target.threads)) / panels);
  return Math.max(1, Math.min(want, Math.floor(mb / 2)));
}
