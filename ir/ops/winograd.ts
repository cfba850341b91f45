// Op records for the two transforms of a Winograd 3x3 convolution (made by
// compiler/passes/winograd-conv.ts): `wino_in` turns an NCHW image into the transformed tiles
// V[xi][c][t] and `wino_out` turns the products M[xi][k][t] back into the NCHW output. Between
// them the pass puts a grouped pointwise `conv` (one group per transform position xi, i.e. one
// matrix product M[xi] = U[xi] . V[xi] per position, on the pointwise GEMM of ./conv-gemm.ts),
// whose weights U = G g G^T the pass computes at compile time.
//   F(m x m, 3 x 3), tile m in {2, 4}, alpha = m + 2: Y = A^T [U (.) (B^T d B)] A per output tile,
//   with the matrices of Lavin and Gray (interpolation points 0, +-1, +-2 for m = 4).
// Layouts: V is [N, alpha^2 * C, T] and M is [N, alpha^2 * K, T], T = TH * TW tiles per image (TH =
// ceil(OH / m), TW = ceil(OW / m)), tile t = ty * TW + tx, position xi = i * alpha + j. wino_out
// also takes the conv's input, for its plane only (OH and OW may be symbolic): it never reads it.
// Both kernels vectorise along tx, so an image row is read and written with stride m (a masked
// wide load or store and a shuffle in codegen/llvm/memory.ts), and V and M rows contiguously.
// Requires: static channels; float32. Guarantees: wino_in reads zeros outside the image (the
// conv's padding), tiles past the image compute garbage that wino_out never stores; wino_out
// writes every output element exactly once through the sink (epilogue fusion), bias added.

import type { Dim } from '../dim.js';
import { dimAdd, dimCeilDiv, dimMul, isStatic } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import type { Expr, Stmt, Var } from '../tir.js';
import {
  add, and, ge, ifThen, imm, le, letIn, load, loop, lt, mul, select, seq, sub, unflatten,
} from '../tir-build.js';
import { INPUT_MISMATCH, ceilDivExpr, checkDimEq, checkOutPositive, constOf, requireFloat } from './attrs.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

/**
 * The filter transform G (alpha x 3) per output tile size m (alpha = m + 2): U = G g G^T.
 * compiler/passes/winograd-conv.ts applies it at compile time; the input and output transforms below
 * are its hand-factored duals. Its keys are the tile sizes with transforms.
 */
export const WINOGRAD_G: Readonly<Record<number, readonly (readonly number[])[]>> = {
  2: [[1, 0, 0], [0.5, 0.5, 0.5], [0.5, -0.5, 0.5], [0, 0, 1]],
  4: [[1 / 4, 0, 0], [-1 / 6, -1 / 6, -1 / 6], [-1 / 6, 1 / 6, -1 / 6], [1 / 24, 1 / 12, 1 / 6],
    [1 / 24, -1 / 12, 1 / 6], [0, 0, 1]],
};

/** Builds expressions of one 1-D transform; `bind` names a value (a let) so it is computed once. */
type Bind = (e: Expr) => Expr;
const c = (v: number): Expr => imm(v, 'float32');

/** B^T d for one column d (alpha values): the input transform along one axis. */
function inputTransform(m: number, d: readonly Expr[], bind: Bind): Expr[] {
  if (m === 2) return [sub(d[0], d[2]), add(d[1], d[2]), sub(d[2], d[1]), sub(d[1], d[3])];
  // B^T rows: [4 0 -5 0 1 0] [0 -4 -4 1 1 0] [0 4 -4 -1 1 0] [0 -2 -1 2 1 0] [0 2 -1 -2 1 0]
  // [0 4 0 -5 0 1].
  const s12 = bind(add(d[1], d[2])), s34 = bind(add(d[3], d[4]));
  const m12 = bind(sub(d[1], d[2])), m43 = bind(sub(d[4], d[3]));
  const m42 = bind(sub(d[4], d[2])), m13 = bind(sub(d[1], d[3]));
  return [
    add(mul(c(-5), d[2]), add(mul(c(4), d[0]), d[4])),
    add(mul(c(-4), s12), s34),
    add(mul(c(4), m12), m43),
    add(mul(c(-2), m13), m42),
    add(mul(c(2), m13), m42),
    add(mul(c(-5), d[3]), add(mul(c(4), d[1]), d[5])),
  ];
}

/** A^T v for one column v (alpha values): the output transform along one axis (m values). */
function outputTransform(m: number, v: readonly Expr[], bind: Bind): Expr[] {
  if (m === 2) {
    const s = bind(add(v[1], v[2]));
    return [add(v[0], s), sub(sub(v[1], v[2]), v[3])];
  }
  // A^T rows: [1 1 1 1 1 0] [0 1 -1 2 -2 0] [0 1 1 4 4 0] [0 1 -1 8 -8 1].
  const a = bind(add(v[1], v[2])), b = bind(sub(v[1], v[2]));
  const s = bind(add(v[3], v[4])), d = bind(sub(v[3], v[4]));
  return [
    add(add(v[0], a), s),
    add(mul(c(2), d), b),
    add(mul(c(4), s), a),
    add(add(mul(c(8), d), b), v[5]),
  ];
}

/**
 * The 2-D transform T^T X T of an alpha x alpha (input) or alpha x alpha -> m x m (output) array:
 * the 1-D transform down every column, then along every row of the result.
 */
function transform2d(x: readonly (readonly Expr[])[], f: (col: readonly Expr[]) => Expr[]): Expr[][] {
  const cols = x[0].length;
  const down = Array.from({ length: cols }, (_, s) => f(x.map((row) => row[s]))); // [s][i]
  const rows = down[0].length;
  return Array.from({ length: rows }, (_, i) => f(down.map((col) => col[i])));
}

/** Collects let-bindings so the transforms' shared terms are computed once; `wrap` nests them. */
class Lets {
  private readonly binds: [Var, Expr][] = [];
  constructor(private readonly ctx: LowerCtx) {}
  bind = (e: Expr): Expr => {
    if (e.kind === 'var' || e.kind === 'const') return e;
    const v = this.ctx.fresh('w', 'float32');
    this.binds.push([v, e]);
    return v;
  };
  wrap(body: Stmt): Stmt {
    return this.binds.reduceRight((s, [v, e]) => letIn(v, e, s), body);
  }
}

const TILE_ATTRS = {
  /** Output tile size m. */
  tile: attr.int(4, { min: 2, max: 4 }),
  /** The conv's zero padding [top, left, bottom, right]. */
  pads: attr.ints([0, 0, 0, 0], { min: 0, max: 2 }),
};
type TileAttrs = AttrValues<typeof TILE_ATTRS>;

function checkTile(a: TileAttrs, ctx: InferCtx): void {
  if (!WINOGRAD_G[a.tile]) { // the tile sizes with transforms are G's keys
    ctx.fail(INPUT_MISMATCH, `winograd tile ${a.tile} is not 2 or 4`);
  }
  if (a.pads.length !== 4) ctx.fail(INPUT_MISMATCH, `winograd pads has ${a.pads.length} entries, expected 4`);
}

/** The conv's output plane [OH, OW] from its input's [H, W] and the pads. */
function outPlane(h: Dim, w: Dim, pads: readonly number[]): [Dim, Dim] {
  return [dimAdd(h, pads[0] + pads[2] - 2), dimAdd(w, pads[1] + pads[3] - 2)];
}

/** Tiles per image, [TH, TW]. */
const tileGrid = (oh: Dim, ow: Dim, m: number): [Dim, Dim] => [dimCeilDiv(oh, m), dimCeilDiv(ow, m)];

/** The transformed tiles' type, [N, alpha^2 * rows, TH * TW], of a conv input `x`. */
export function tilesType(x: TensorType, rows: number, m: number, pads: readonly number[]): TensorType {
  const [oh, ow] = outPlane(x.shape[2], x.shape[3], pads);
  const [th, tw] = tileGrid(oh, ow, m);
  return { dtype: x.dtype, shape: [x.shape[0], (m + 2) * (m + 2) * rows, dimMul(th, tw)] };
}

function inferIn(ins: readonly (TensorType | null)[], a: TileAttrs, ctx: InferCtx): TensorType[] {
  const x = requireFloat(ins, 0, 'wino_in input', ctx, 4, 4);
  checkTile(a, ctx);
  const ch = x.shape[1];
  if (!isStatic(ch)) ctx.fail(INPUT_MISMATCH, 'wino_in needs static input channels');
  checkOutPositive(outPlane(x.shape[2], x.shape[3], a.pads), ctx);
  return [tilesType(x, ch, a.tile, a.pads)];
}

/** Inputs: the products [N, alpha^2 K, T], the conv's input (for its plane only), the bias. */
function inferOut(ins: readonly (TensorType | null)[], a: TileAttrs, ctx: InferCtx): TensorType[] {
  const p = requireFloat(ins, 0, 'wino_out products', ctx, 3, 3);
  const x = requireFloat(ins, 1, 'wino_out conv input', ctx, 4, 4);
  checkTile(a, ctx);
  const al = a.tile + 2, rows = p.shape[1];
  if (!isStatic(rows) || rows % (al * al) !== 0) ctx.fail(INPUT_MISMATCH, 'wino_out products channels');
  const k = rows / (al * al);
  const [oh, ow] = outPlane(x.shape[2], x.shape[3], a.pads);
  const [th, tw] = tileGrid(oh, ow, a.tile);
  checkDimEq(p.shape[0], x.shape[0], 'wino_out batch', ctx, [0, 1]);
  checkDimEq(p.shape[2], dimMul(th, tw), 'wino_out products tiles', ctx, [0, 1]);
  const b = ins[2];
  if (b) {
    if (b.shape.length !== 1 || b.dtype !== p.dtype) ctx.fail(INPUT_MISMATCH, 'wino_out bias must be 1-D');
    checkDimEq(b.shape[0], k, 'wino_out bias length', ctx, [2]);
  }
  return [{ dtype: p.dtype, shape: [p.shape[0], k, oh, ow] }];
}

/** Lanes per vector of tiles: the target's, or fewer (>= 4) when a row has fewer tiles. */
function lanesFor(ctx: LowerCtx, tw: number): number {
  let v = 4;
  while (v < tw && v < ctx.target.vectorLanes) v *= 2;
  return Math.min(v, Math.max(1, ctx.target.vectorLanes));
}

/** The lowering's view of the tile grid, as int64 expressions. */
function grid(ctx: LowerCtx, H: Expr, W: Expr, a: TileAttrs) {
  const m = a.tile, [pt, pl, pb, pr] = a.pads;
  const OH = add(H, pt + pb - 2), OW = add(W, pl + pr - 2);
  const TH = ceilDivExpr(OH, m), TW = ceilDivExpr(OW, m);
  const twC = constOf(TW);
  return { m, al: m + 2, OH, OW, TH, TW, V: lanesFor(ctx, twC ?? ctx.target.vectorLanes) };
}

/**
 * Input transform: a task per (image, channel, tile row); per vector of V tiles along the row it
 * loads the alpha x alpha patches (alpha rows of stride-m loads), transforms them and stores the
 * alpha^2 results, each a contiguous vector of V[xi][c]. Patches that cross the image's border (or
 * the last partial vector) take a variant whose loads are masked to the image (zeros outside).
 */
function lowerIn(ctx: LowerCtx, a: TileAttrs): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0];
  if (!x.buffer) throw new Error('internal: wino_in input must be materialised');
  const [N, C, H, W] = x.shape;
  const { m, al, TH, TW, V } = grid(ctx, H, W, a), [pt, pl] = a.pads;
  const pv = ctx.fresh('p'), tv = ctx.fresh('tv'), lv = ctx.fresh('v');
  const [n, ch, ty] = unflatten(pv, [N, C, TH]);
  const tx = add(mul(tv, V), lv);
  const row0 = sub(mul(ty, m), pt), col0 = sub(mul(tx, m), pl);
  const plane = mul(add(mul(n, C), ch), mul(H, W));
  const t = add(mul(ty, TW), tx);
  const variant = (masked: boolean): Stmt => {
    const lets = new Lets(ctx);
    const d = Array.from({ length: al }, (_, r) => Array.from({ length: al }, (_, s) => {
      const ih = add(row0, r), iw = add(col0, s);
      const v = load(x.buffer!, add(plane, add(mul(ih, W), iw)));
      if (!masked) return lets.bind(v);
      const ok = and(and(and(ge(ih, 0), lt(ih, H)), and(ge(iw, 0), lt(iw, W))), lt(tx, TW));
      return lets.bind(select(ok, v, c(0)));
    }));
    const vv = transform2d(d, (col) => inputTransform(m, col, lets.bind));
    const stores = vv.flatMap((rowVals, i) => rowVals.map((e, j) =>
      out.store([n, add(mul(i * al + j, C), ch), t], e)));
    const body = seq(stores);
    return lets.wrap(masked ? ifThen(lt(tx, TW), body) : body);
  };
  // Interior: every row and column of this vector's patches inside the image, all V tiles real.
  const tv0 = mul(tv, V);
  const interior = and(and(ge(row0, 0), le(add(row0, al), H)),
    and(and(ge(sub(mul(tv0, m), pl), 0), le(add(sub(mul(add(tv0, V - 1), m), pl), al), W)),
      le(add(tv0, V), TW)));
  const kind = out.vectorizable ? 'vectorize' : 'serial';
  const lanes = (st: Stmt): Stmt => loop(lv, V, st, kind);
  const body = ifThen(interior, lanes(variant(false)), lanes(variant(true)));
  const tiles = loop(tv, ceilDivExpr(TW, V), body);
  return { kind: 'kernel', body: loop(pv, mul(mul(N, C), TH), tiles, 'parallel') };
}

/**
 * Output transform: a task per (image, output channel, tile row); per vector of V tiles it loads
 * the alpha^2 products (contiguous rows of M), transforms them to m x m outputs and stores each
 * output row of the tiles with stride m, through the sink, skipping pixels past the image.
 */
function lowerOut(ctx: LowerCtx, a: TileAttrs): Lowering {
  const p = ctx.inputs[0]!, x = ctx.inputs[1]!, bias = ctx.inputs[2], out = ctx.outputs[0];
  if (!p.buffer) throw new Error('internal: wino_out products must be materialised');
  const { m, al, OH, OW, TH, TW, V } = grid(ctx, x.shape[2], x.shape[3], a);
  const N = p.shape[0], K = out.shape[1], T = mul(TH, TW);
  const pv = ctx.fresh('p'), tv = ctx.fresh('tv'), lv = ctx.fresh('v');
  const [n, k, ty] = unflatten(pv, [N, K, TH]);
  const tx = add(mul(tv, V), lv);
  const t = add(mul(ty, TW), tx);
  const lets = new Lets(ctx);
  const twC = constOf(TW), ohC = constOf(OH), owC = constOf(OW);
  const tail = twC === undefined || twC % V !== 0;
  const mm = Array.from({ length: al }, (_, i) => Array.from({ length: al }, (_, j) => {
    const v = load(p.buffer!, add(mul(add(mul(add(mul(n, al * al), i * al + j), K), k), T), t));
    return lets.bind(tail ? select(lt(tx, TW), v, c(0)) : v);
  }));
  const y = transform2d(mm, (col) => outputTransform(m, col, lets.bind));
  const bv = bias ? lets.bind(bias.at([k])) : null;
  const stores: Stmt[] = [];
  for (let r = 0; r < m; r++) {
    const oh = add(mul(ty, m), r);
    const row: Stmt[] = [];
    for (let s = 0; s < m; s++) {
      const ow = add(mul(tx, m), s);
      const v = bv ? add(y[r][s], bv) : y[r][s];
      const st = out.store([n, k, oh, ow], v);
      row.push(owC !== undefined && owC % (m * V) === 0 ? st : ifThen(lt(ow, OW), st));
    }
    stores.push(ohC !== undefined && ohC % m === 0 ? seq(row) : ifThen(lt(oh, OH), seq(row)));
  }
  const kind = out.vectorizable ? 'vectorize' : 'serial';
  const body = loop(lv, V, lets.wrap(seq(stores)), kind);
  const tiles = loop(tv, ceilDivExpr(TW, V), body);
  return { kind: 'kernel', body: loop(pv, mul(mul(N, K), TH), tiles, 'parallel') };
}

export const WINOGRAD_OPS: readonly OpDef[] = [
  declareOp({ name: 'wino_in', traits: ['anchor'], attrs: TILE_ATTRS, infer: inferIn, lower: lowerIn }),
  declareOp({ name: 'wino_out', traits: ['anchor'], attrs: TILE_ATTRS, infer: inferOut, lower: lowerOut }),
];
