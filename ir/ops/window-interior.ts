// Interior tiles of 2-D window ops (depthwise conv, pooling): the conditions under which every
// tap of a tile of output rows x output columns reads inside the image, so the tile can run
// without bounds checks; only border tiles pay for them. Rows and columns are separate: a border
// row is uniform over the tile (a branch around that row's taps), a border column is per lane
// (a masked load), and keeping them apart lets each be handled by its cheap mechanism.
// Requires: tiles of TH output rows from row block rb and TWV output columns from column block wt;
// input coordinate = out * stride + tap * dilation - begin padding. Guarantees: a constant true
// when no side needs checking; otherwise a conjunction of uniform (per-tile) comparisons.

import type { Expr, Stmt } from '../tir.js';
import { add, and, ge, ifThen, imm, le, lt, min, mul, seq, sub } from '../tir-build.js';
import { constOf } from './attrs.js';

/** Width tiles a kernel unrolls (each copy's masks then fold to constants) when there are this few. */
export const MAX_UNROLLED_WIDTH_TILES = 4;

export interface TileGeometry {
  readonly rb: Expr; readonly wt: Expr; readonly TH: number; readonly TWV: number;
  readonly OH: Expr; readonly OW: Expr; readonly H: Expr; readonly W: Expr;
  readonly KH: number; readonly KW: number; readonly sH: number; readonly sW: number;
  readonly dH: number; readonly dW: number;
  /** Begin padding (rows, columns). */
  readonly pT: Expr; readonly pL: Expr;
  /** Which sides a window can cross: top, bottom, left, right (end padding or ceil mode). */
  readonly check: readonly [boolean, boolean, boolean, boolean];
  /** The last row block / column block may run past the output (its extra lanes are not stored). */
  readonly rowTail: boolean; readonly colTail: boolean;
}

const conj = (conds: readonly Expr[]): Expr =>
  (conds.length ? conds.reduce((a, b) => and(a, b)) : imm(1, 'bool'));

/** Every tap row of the tile's output rows lies inside the image. */
export const interiorRows = (g: TileGeometry): Expr => conj(rowConds(g));

function rowConds(g: TileGeometry): Expr[] {
  const conds: Expr[] = [];
  const lastRowRaw = add(mul(g.rb, g.TH), g.TH - 1);
  const lastRow = g.rowTail ? min(lastRowRaw, sub(g.OH, 1)) : lastRowRaw;
  if (g.check[0]) conds.push(ge(sub(mul(mul(g.rb, g.TH), g.sH), g.pT), 0));
  if (g.check[1]) conds.push(lt(sub(add(mul(lastRow, g.sH), (g.KH - 1) * g.dH), g.pT), g.H));
  return conds;
}

/** Every tap column of the tile's lanes lies inside the image, and every lane inside the output. */
export const interiorCols = (g: TileGeometry): Expr => conj(colConds(g));

function colConds(g: TileGeometry): Expr[] {
  const conds: Expr[] = [];
  if (g.check[2]) conds.push(ge(sub(mul(mul(g.wt, g.TWV), g.sW), g.pL), 0));
  const lastCol = sub(mul(add(g.wt, 1), g.TWV), 1);
  if (g.check[3]) conds.push(lt(sub(add(mul(lastCol, g.sW), (g.KW - 1) * g.dW), g.pL), g.W));
  if (g.colTail) conds.push(le(mul(add(g.wt, 1), g.TWV), g.OW));
  return conds;
}

/**
 * Whether some window crosses the end of an axis: never without end padding (or ceil mode);
 * for static extents exactly — a 3x3 stride-2 conv with pads 1 over 112 columns ends its last
 * window at column 111, so its end padding is never read and needs no check.
 */
export function crossesEnd(out: Expr, k: number, s: number, d: number, padBegin: Expr, size: Expr,
  padded: boolean): boolean {
  if (!padded) return false;
  const [o, p, n] = [constOf(out), constOf(padBegin), constOf(size)];
  if (o === undefined || p === undefined || n === undefined) return true;
  return (o - 1) * s + (k - 1) * d - p >= n;
}

/**
 * For each input row r of a tile (0 .. (TH-1)*sH + (KH-1)*dH), the (output row, tap row) pairs
 * with th*sH + kh*dH = r, in increasing tap row: so each output still sums its taps row-major.
 */
export function rowUsers(TH: number, KH: number, sH: number, dH: number): [number, number][][] {
  const users: [number, number][][] = Array.from({ length: (TH - 1) * sH + (KH - 1) * dH + 1 }, () => []);
  for (let t = 0; t < TH; t++) for (let k = 0; k < KH; k++) users[t * sH + k * dH]!.push([t, k]);
  return users;
}

/** `cond ? a : b` as code: one branch when the condition is a constant, else both behind an if. */
export function choose(cond: Expr, a: () => Stmt, b: () => Stmt): Stmt {
  if (cond.kind === 'const') return cond.value ? a() : b();
  return ifThen(cond, a(), b());
}

/**
 * The reduction of a row-shared window tile (depthwise conv, 2-D max pool): `inputRow(r, rows,
 * cols)` for each of the `inputRows` input rows the tile reads, with row checks (`rows`) only
 * where a tap row can leave the image and column masks (`cols`) only where a tap column can;
 * interior tiles get neither.
 */
export function tiledReduction(g: TileGeometry, inputRows: number,
  inputRow: (r: number, rows: boolean, cols: boolean) => Stmt): Stmt {
  const reduction = (rows: boolean, cols: boolean): Stmt =>
    seq(Array.from({ length: inputRows }, (_, r) => inputRow(r, rows, cols)));
  const colsIn = interiorCols(g);
  const byCols = (rows: boolean): Stmt =>
    choose(colsIn, () => reduction(rows, false), () => reduction(rows, true));
  return choose(interiorRows(g), () => byCols(false), () => byCols(true));
}
