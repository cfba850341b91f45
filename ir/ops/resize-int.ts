// The integer-upsampling path of `resize` (ir/ops/resize.ts): nearest mode, constant integer
// scales, and a coordinate transform under which output coordinate o reads input o // s. That is
// the YOLO / UNet / FPN upsample, which needs neither float coordinates nor gathers: each input
// row is read for s output rows, and along the last axis each input element fills s adjacent
// lanes (a load of W/s elements and a repeating shuffle, codegen/llvm/memory.ts).
// Requires: `resize` attributes as the op record reads them, scales from a compile-time constant.
// Guarantees: the same values as the general lowering, element for element: for x = q*s + r with
// 0 <= r < s, every (coord, nearest) pair in EXACT rounds its source coordinate to q (below), and
// q <= in - 1, so the general path's clamp never applies.

import type { Expr, Stmt } from '../tir.js';
import { add, floordiv, ifThen, imm, loop, lt, mul, seq } from '../tir-build.js';
import * as t from '../tir-build.js';
import { withFlat } from '../te-loops.js';
import type { LowerCtx, Lowering } from '../te.js';

/**
 * Coordinate transforms and nearest roundings that send x = q*s + r to q for an integer scale s:
 * - asymmetric x / s = q + r/s, floored;
 * - half_pixel (x + 0.5) / s - 0.5 = q + (2r + 1) / 2s - 1/2, where (2r + 1) / 2s lies in (0, 1)
 *   and is never 1/2, so rounding to nearest (either preference) gives q; pytorch_half_pixel is
 *   the same whenever the output has more than one element, and half_pixel_symmetric too, since
 *   its adjustment out / (s * in) is exactly 1;
 * - tf_half_pixel_for_nn (x + 0.5) / s = q + (2r + 1) / 2s, floored.
 */
const EXACT: Readonly<Record<string, readonly string[]>> = {
  asymmetric: ['floor'],
  half_pixel: ['round_prefer_floor', 'round_prefer_ceil'],
  pytorch_half_pixel: ['round_prefer_floor', 'round_prefer_ceil'],
  half_pixel_symmetric: ['round_prefer_floor', 'round_prefer_ceil'],
  tf_half_pixel_for_nn: ['floor'],
};

/** The constant integer scales of a nearest resize the integer path serves, else null. */
export function integerScales(mode: string, coord: string, nearest: string,
  scales: readonly number[] | undefined): readonly number[] | null {
  if (mode !== 'nearest' || !scales || !EXACT[coord]?.includes(nearest)) return null;
  return scales.every((s) => Number.isInteger(s) && s >= 1 && s <= 1024) ? scales : null;
}

/**
 * Output rows are the parallel iterations (input row from one division per row); along the last
 * axis whole vectors read input column jb * V/s + lane // s, a repeated-lane ramp when s divides
 * the vector width V, and the masked tail likewise from its vector-aligned start.
 */
export function lowerIntegerNearest(ctx: LowerCtx, axes: readonly number[],
  scales: readonly number[]): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0];
  const rank = out.shape.length;
  const s = new Array<number>(rank).fill(1);
  axes.forEach((ax, k) => { s[ax] = scales[k]; });
  const src = (o: Expr, ax: number): Expr => (s[ax] === 1 ? o : floordiv(o, s[ax]));
  const V = ctx.target.vectorLanes, kind = out.vectorizable ? 'vectorize' : 'serial';
  const W = out.shape[rank - 1], sw = s[rank - 1];
  const [row, jb, lane] = [ctx.fresh('row'), ctx.fresh('jb'), ctx.fresh('lane')];
  const outer = t.unflatten(row, out.shape.slice(0, -1));
  const inOuter = outer.map((o, ax) => src(o, ax));
  const at = (j: Expr, col: Expr): Stmt => {
    const idx = withFlat([...outer, j], add(mul(row, W), j), out.shape);
    return out.store(idx, x.at([...inOuter, col]));
  };
  // Input column of output column start + lane, for a start that is a multiple of V.
  const colOf = (start: Expr, vecs: Expr): Expr => (sw === 1 ? add(start, lane)
    : V % sw === 0 ? add(mul(vecs, V / sw), floordiv(lane, sw)) : floordiv(add(start, lane), sw));
  const full = floordiv(W, V), tailStart = mul(full, V);
  const main = loop(jb, full, loop(lane, V, at(add(mul(jb, V), lane), colOf(mul(jb, V), jb)), kind));
  const tj = add(tailStart, lane);
  const tailVec = loop(lane, V, ifThen(lt(tj, W), at(tj, colOf(tailStart, full))), kind);
  const tail = ifThen(lt(tailStart, W), tailVec);
  const rows = out.shape.slice(0, -1).reduce<Expr>((a, b) => mul(a, b), imm(1));
  return { kind: 'kernel', body: loop(row, rows, seq(main, tail), 'parallel') };
}
