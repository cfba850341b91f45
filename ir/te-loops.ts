// Default loop nests over a tensor's elements, and buffer-backed TensorAccess.
// `elementLoops` visits every element of a row-major shape (see its comment for the schedule).
// The coordinates it hands to `body` remember the flat index they came from, so an access to a
// buffer of the very same shape loads at the flat index (a contiguous vector) instead of
// recomputing it from coordinates (which would need div/mod and gathers).

import * as t from './tir-build.js';
import type { Buffer, Expr, Stmt, Var } from './tir.js';
import type { DType } from './dtype.js';
import type { TensorAccess } from './te.js';

const FLAT = new WeakMap<readonly Expr[], { flat: Expr; shapeKey: string }>();

export const shapeKey = (shape: readonly Expr[]): string => JSON.stringify(shape);

/**
 * Coordinates of `flat` in `shape`, remembered as such for flat-index loads. Axes of extent 1 get
 * the constant 0, which broadcasting keeps as it is (a computed coordinate there would be
 * "broadcast" to 0 in a new index, losing the flat offset: per-lane divisions and gathers).
 */
export function coordsOf(flat: Expr, shape: readonly Expr[]): Expr[] {
  const one = (e: Expr): boolean => e.kind === 'const' && e.value === 1;
  const idx = t.unflatten(flat, shape).map((c, i) => (one(shape[i]) ? t.imm(0) : c));
  FLAT.set(idx, { flat, shapeKey: shapeKey(shape) });
  return idx;
}

/** A copy of `idx` that remembers `flat` as its offset in `shape` (see offsetOf). */
export function withFlat(idx: readonly Expr[], flat: Expr, shape: readonly Expr[]): Expr[] {
  const copy = [...idx];
  FLAT.set(copy, { flat, shapeKey: shapeKey(shape) });
  return copy;
}

/** Flat offset of `idx` in `shape`, using the remembered flat index when it applies. */
export function offsetOf(idx: readonly Expr[], shape: readonly Expr[]): Expr {
  const f = FLAT.get(idx);
  if (f && f.shapeKey === shapeKey(shape)) return f.flat;
  return t.flatIndex(idx, shape);
}

export function bufferAccess(buf: Buffer, shape: readonly Expr[]): TensorAccess {
  return { dtype: buf.dtype, shape, buffer: buf, at: (idx) => t.load(buf, offsetOf(idx, shape)) };
}

export interface LoopEnv {
  fresh(hint: string, dtype?: DType): Var;
  readonly lanes: number;
  /**
   * Walk the elements as one flat index, in parallel tasks of this many vectors (the GPU
   * schedule: consecutive threads take consecutive vectors, so their accesses coalesce).
   * Absent or 0: rows, as described at elementLoops.
   */
  readonly flatVectors?: number;
}

/** Vectors per parallel task (a task is lanes*VECS_PER_TASK elements). */
const VECS_PER_TASK = 64;

/**
 * Visits every element of `shape` once; `body` gets its coordinates. Rows of the last axis are
 * the parallel iterations; within a row, whole vectors run unmasked and only the tail is
 * predicated, and the other coordinates come from one division per row (never per element,
 * which for symbolic extents would be an integer division per lane). Shapes whose last axis is
 * shorter than a vector are walked as one flat index instead, so lanes are not wasted.
 */
export function elementLoops(env: LoopEnv, shape: readonly Expr[],
  body: (idx: readonly Expr[]) => Stmt): Stmt {
  if (shape.length === 0) return body([]);
  if (env.flatVectors) return flatLoops(env, shape, body, env.flatVectors);
  const V = env.lanes;
  const inner = shape[shape.length - 1];
  if (inner.kind === 'const' && inner.value < V) return flatLoops(env, shape, body);
  const outerShape = shape.slice(0, -1);
  const rows = outerShape.reduce<Expr>((a, b) => t.mul(a, b), t.imm(1));
  const [row, jb, lane] = [env.fresh('row'), env.fresh('jb'), env.fresh('lane')];
  const outer = t.unflatten(row, outerShape);
  const key = shapeKey(shape);
  const at = (j: Expr): Stmt => {
    const idx = [...outer, j];
    FLAT.set(idx, { flat: t.add(t.mul(row, inner), j), shapeKey: key });
    return body(idx);
  };
  const full = t.floordiv(inner, V);
  const main = t.loop(jb, full, t.loop(lane, V, at(t.add(t.mul(jb, V), lane)), 'vectorize'));
  const tailStart = t.mul(full, V);
  const j = t.add(tailStart, lane);
  const tail = t.ifThen(t.lt(tailStart, inner),
    t.loop(lane, V, t.ifThen(t.lt(j, inner), at(j)), 'vectorize'));
  return t.loop(row, rows, t.seq(main, tail), 'parallel');
}

/** elementLoops over one flat index: parallel tasks of whole vectors, tail lanes predicated. */
function flatLoops(env: LoopEnv, shape: readonly Expr[], body: (idx: readonly Expr[]) => Stmt,
  vectorsPerTask = VECS_PER_TASK): Stmt {
  const total = shape.reduce<Expr>((a, b) => t.mul(a, b), t.imm(1));
  const V = env.lanes;
  const chunk = V * vectorsPerTask;
  const [task, blk, lane] = [env.fresh('task'), env.fresh('blk'), env.fresh('lane')];
  const i = t.add(t.add(t.mul(task, chunk), t.mul(blk, V)), lane);
  const inner = t.loop(lane, V, t.ifThen(t.lt(i, total), body(coordsOf(i, shape))), 'vectorize');
  const blocks = t.min(vectorsPerTask, t.floordiv(t.add(t.sub(total, t.mul(task, chunk)), V - 1), V));
  const ntasks = t.floordiv(t.add(total, chunk - 1), chunk);
  return t.loop(task, ntasks, t.loop(blk, blocks, inner), 'parallel');
}
