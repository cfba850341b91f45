// ConvTranspose whose kernel equals its stride (the U-Net / FPN upsampling form) as one matrix
// product per input row: the windows of such a convolution do not overlap, so every input pixel
// (n, c, x...) feeds exactly one kernel-sized block of outputs and
//   out[n, m, x_0*k_0 + a_0, ..., x_last*k_last + a_last] = b[m] + sum_c x[n, c, x...] w[c, m, a...].
// Per (n, x_0..x_{S-2}) that is A[(m, a...), c] = w[c, (m, a...)] (the weight read in place,
// transposed) times B[c, x_last] = the input row (contiguous in NCHW), on the register
// micro-kernel of ./gemm-micro.ts: a broadcast weight times a vector of input pixels. Each
// accumulator vector then lands on every k_last-th output element of its row (a stride-k store).
// Requires: a conv_transpose with one group, static kernel = strides, dilations 1, no padding, no
// output padding, materialised inputs. Symbolic spatial dims are fine.
// Guarantees: every output element is written exactly once through the sink, after an f32 sum over
// the input channels in increasing order (the general gather sums them in the same order).
// Tiles: `tm` output rows (m, a...) per register tile, `tn` pixel vectors (see gemm-micro.ts);
// conv_transpose has no schedule family yet, so they are fixed here.

import { isStatic } from '../dim.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import { add, flatIndex, mul, unflatten } from '../tir-build.js';
import { constOf, intAttr, intsAttr, prodExpr } from './attrs.js';
import { type MMSpec, type MMTiles, microKernel, packedBKernel } from './gemm-micro.js';

/** Register tile: 6 output rows by up to 4 pixel vectors (24 accumulators of 32 registers). */
const TM = 6, TN = 4;

/** Whether conv_transpose with these attributes and input types takes the GEMM path. */
export function isNonOverlapping(ctx: LowerCtx): boolean {
  const w = ctx.inTypes[1], attrs = ctx.attrs;
  if (!w || !w.shape.every(isStatic)) return false;
  const S = w.shape.length - 2;
  const K = intsAttr(attrs, 'kernel', w.shape.slice(2) as number[]);
  const same = (name: string, v: number): boolean => intsAttr(attrs, name, []).every((e) => e === v);
  const strides = intsAttr(attrs, 'strides', []);
  return K.length === S && intAttr(attrs, 'group', 1) === 1
    && strides.length === S && strides.every((s, i) => s === K[i])
    && same('dilations', 1) && same('pads', 0) && same('outputPadding', 0);
}

/**
 * The matrix product's columns: one input row (batch: n and the outer spatial dims), so a pixel
 * vector lands on a stride-k ramp of one output row; or, when a row is shorter than a register
 * tile (the deep levels of a U-Net), all the pixels of an image, whose vectors then scatter. The
 * scatter costs one store per vector against C FMAs per vector, and keeps the tile full.
 */
interface Columns {
  readonly batch: readonly Expr[]; readonly N: Expr;
  /** Input pixel (outer spatial coordinates..., last) of batch entry bc, column j. */
  pixel(bc: readonly Expr[], j: Expr): Expr[];
  /** Offset of that pixel in an image of x. */
  offset(bc: readonly Expr[], j: Expr): Expr;
}

function columnsOf(ctx: LowerCtx, x: TensorAccess): Columns {
  const X = x.shape.slice(2), S = X.length, n = x.shape[0];
  const row = constOf(X[S - 1]);
  if (row === undefined || row >= TN * ctx.target.vectorLanes || S === 1) {
    const pixel = (bc: readonly Expr[], j: Expr): Expr[] => [...bc.slice(1), j];
    const offset = (bc: readonly Expr[], j: Expr): Expr => flatIndex(pixel(bc, j), X);
    return { batch: [n, ...X.slice(0, S - 1)], N: X[S - 1], pixel, offset };
  }
  return { batch: [n], N: prodExpr(X), pixel: (_bc, j) => unflatten(j, X), offset: (_bc, j) => j };
}

export function lowerNonOverlapping(ctx: LowerCtx): Lowering {
  const x = ctx.inputs[0]!, w = ctx.inputs[1]!, bias = ctx.inputs[2], out = ctx.outputs[0];
  if (!x.buffer || !w.buffer) throw new Error('internal: conv_transpose inputs must be materialised');
  const K = w.shape.slice(2), M = out.shape[1], C = x.shape[1];
  const rows = prodExpr([M, ...K]); // A's rows (m, a_0..a_{S-1}), also w's row length
  const cols = columnsOf(ctx, x);
  const emit = (bc: readonly Expr[], i: Expr, j: Expr, acc: Expr): Stmt => {
    const [m, ...a] = unflatten(i, [M, ...K]);
    const sp = cols.pixel(bc, j).map((xd, d) => add(mul(xd, K[d]), a[d]));
    return out.store([bc[0], m, ...sp], bias ? add(acc, bias.at([m])) : acc);
  };
  const spec: MMSpec = {
    a: w.buffer, b: x.buffer, dtype: x.dtype, batch: cols.batch, M: rows, N: cols.N, K: C,
    aIndex: (_bc, i, k) => add(mul(k, rows), i),
    bIndex: (bc, k, j) => add(mul(add(mul(bc[0], C), k), prodExpr(x.shape.slice(2))), cols.offset(bc, j)),
    emit, vectorizable: out.vectorizable,
  };
  const tiles: MMTiles = { V: ctx.target.vectorLanes, tm: TM, tn: TN, mchunks: 0 };
  const body = packedBKernel(ctx, spec, tiles) ?? microKernel(ctx, spec, tiles);
  return { kind: 'kernel', body };
}
