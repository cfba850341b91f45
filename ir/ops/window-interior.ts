// Interior tiles of 2-D window ops (depthwise conv, pooling): the condition under which every tap
// of every lane of a tile of output rows x output columns reads inside the image, so the tile can
// run without per-load bounds masks; only border tiles pay for them.
// Requires: tiles of TH output rows from row block rb and TWV output columns from column block wt;
// input coordinate = out * stride + tap * dilation - begin padding. Guarantees: a constant true
// when no side needs checking; otherwise a conjunction of uniform (per-tile) comparisons.

import type { Expr } from '../tir.js';
import { add, and, ge, imm, le, lt, min, mul, sub } from '../tir-build.js';

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

export function interiorTile(g: TileGeometry): Expr {
  const conds: Expr[] = [];
  const [top, bottom, left, right] = g.check;
  const lastRowRaw = add(mul(g.rb, g.TH), g.TH - 1);
  const lastRow = g.rowTail ? min(lastRowRaw, sub(g.OH, 1)) : lastRowRaw;
  if (top) conds.push(ge(sub(mul(mul(g.rb, g.TH), g.sH), g.pT), 0));
  if (bottom) conds.push(lt(sub(add(mul(lastRow, g.sH), (g.KH - 1) * g.dH), g.pT), g.H));
  if (left) conds.push(ge(sub(mul(mul(g.wt, g.TWV), g.sW), g.pL), 0));
  const lastCol = sub(mul(add(g.wt, 1), g.TWV), 1);
  if (right) conds.push(lt(sub(add(mul(lastCol, g.sW), (g.KW - 1) * g.dW), g.pL), g.W));
  if (g.colTail) conds.push(le(mul(add(g.wt, 1), g.TWV), g.OW));
  return conds.length ? conds.reduce((a, b) => and(a, b)) : imm(1, 'bool');
}
