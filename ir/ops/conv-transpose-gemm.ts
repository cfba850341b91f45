// ConvTranspose whose kernel equals its stride (the U-Net / FPN upsampling form) as one matrix
// product: the windows of such a convolution do not overlap, so every input pixel (n, c, x...)
// feeds exactly one kernel-sized block of outputs and
//   out[n, m, x_0*k_0 + a_0, ..., x_last*k_last + a_last] = b[m] + sum_c x[n, c, x...] w[c, m, a...].
// Three forms on the register micro-kernel of ./gemm-micro.ts, none of which moves data first:
//   pixel vectors along a row: A[(m, a...), c] = w[c, (m, a...)] (read in place, transposed)
//     times B[c, x_last] = an input row (contiguous in NCHW); each accumulator vector lands on a
//     stride-k ramp of one output row (a shuffle and a masked store). Rows of 64+ pixels.
//   pixel vectors over a static image: the same with all of an image's pixels as the columns, so
//     short rows still fill the tile; stores scatter (one per C FMAs per vector).
//   tap vectors: A = input pixels, B = w[c] rows over (m, taps), scattered to their channels; for
//     rows that are short only at run time (symbolic width), chosen there.
// Requires: a conv_transpose with one group, static kernel = strides, dilations 1, no padding, no
// output padding, materialised inputs. Symbolic spatial dims are fine.
// Guarantees: every output element is written exactly once through the sink, after an f32 sum over
// the input channels in increasing order (the general gather sums them in the same order).
// Tiles: `tm` output rows (m, a...) per register tile, `tn` pixel vectors (see gemm-micro.ts);
// conv_transpose has no schedule family yet, so they are fixed here.

import { isStatic } from '../dim.js';
import type { LowerCtx, Lowering, OutputSink, TensorAccess } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import { add, flatIndex, ge, ifThen, mul, unflatten } from '../tir-build.js';
import { constOf, prodExpr } from './attrs.js';
import { type MMSpec, type MMTiles, microKernel, packedBKernel } from './gemm-micro.js';

/** Register tile: 6 output rows by up to 4 pixel vectors (24 accumulators of 32 registers). */
const TM = 6, TN = 4;

/** The window attributes of conv_transpose (declared in ./conv-transpose.ts). */
export interface TransposedWindow {
  readonly kernel: readonly number[]; readonly strides: readonly number[];
  readonly dilations: readonly number[]; readonly pads: readonly number[];
  readonly outputPadding: readonly number[]; readonly group: number;
}

/** Whether conv_transpose with this window and these input types takes the GEMM path. */
export function isNonOverlapping(ctx: LowerCtx, win: TransposedWindow): boolean {
  const w = ctx.inTypes[1];
  if (!w || !w.shape.every(isStatic)) return false;
  const S = w.shape.length - 2;
  const K = win.kernel.length ? win.kernel : w.shape.slice(2) as number[];
  const same = (v: readonly number[], e: number): boolean => v.every((x) => x === e);
  return K.length === S && win.group === 1
    && win.strides.length === S && win.strides.every((s, i) => s === K[i])
    && same(win.dilations, 1) && same(win.pads, 0) && same(win.outputPadding, 0);
}

/**
 * The pixel forms' columns: one input row (batch: n and the outer spatial dims), or, when a
 * static row is shorter than a register tile (the deep levels of a U-Net), a whole image.
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

interface Parts {
  readonly x: TensorAccess; readonly w: TensorAccess; readonly bias: TensorAccess | null | undefined;
  readonly out: OutputSink;
  readonly K: readonly Expr[]; readonly M: Expr; readonly C: Expr;
  /** M * prod(K): A's rows (m, a_0..a_{S-1}) in the pixel forms, B's columns in the channel form. */
  readonly taps: Expr;
}

/** Output element of tap (m, a...) from input pixel `px` of image n, with the bias. */
function emitTap(p: Parts, n: Expr, px: readonly Expr[], tap: Expr, acc: Expr): Stmt {
  const [m, ...a] = unflatten(tap, [p.M, ...p.K]);
  const sp = px.map((xd, d) => add(mul(xd, p.K[d]), a[d]));
  return p.out.store([n, m, ...sp], p.bias ? add(acc, p.bias.at([m])) : acc);
}

/** Pixel vectors (a row, or a static image): broadcast weights times vectors of input pixels. */
function pixelForm(ctx: LowerCtx, p: Parts, cols: Columns): Stmt {
  const P = prodExpr(p.x.shape.slice(2));
  const spec: MMSpec = {
    a: p.w.buffer!, b: p.x.buffer!, dtype: p.x.dtype, batch: cols.batch, M: p.taps, N: cols.N, K: p.C,
    aIndex: (_bc, i, k) => add(mul(k, p.taps), i),
    bIndex: (bc, k, j) => add(mul(add(mul(bc[0], p.C), k), P), cols.offset(bc, j)),
    emit: (bc, i, j, acc) => emitTap(p, bc[0], cols.pixel(bc, j), i, acc), vectorizable: p.out.vectorizable,
  };
  return gemm(ctx, spec);
}

/**
 * Tap vectors: a broadcast input pixel times vectors of weight rows (w[c] is contiguous over
 * (m, taps)), each accumulator vector scattered to its output channels. For images whose rows are
 * short only at run time: the index arithmetic is by the static kernel dims, not the symbolic
 * image dims that flattening pixels would divide by.
 */
function channelForm(ctx: LowerCtx, p: Parts): Stmt {
  const X = p.x.shape.slice(2), P = prodExpr(X);
  const spec: MMSpec = {
    a: p.x.buffer!, b: p.w.buffer!, dtype: p.x.dtype, batch: [p.x.shape[0]], M: P, N: p.taps, K: p.C,
    aIndex: (bc, i, k) => add(mul(add(mul(bc[0], p.C), k), P), i),
    bIndex: (_bc, k, j) => add(mul(k, p.taps), j),
    emit: (bc, i, j, acc) => emitTap(p, bc[0], unflatten(i, X), j, acc), vectorizable: p.out.vectorizable,
  };
  return gemm(ctx, spec);
}

function gemm(ctx: LowerCtx, spec: MMSpec): Stmt {
  const tiles: MMTiles = { V: ctx.target.vectorLanes, tm: TM, tn: TN, mchunks: 0 };
  return packedBKernel(ctx, spec, tiles) ?? microKernel(ctx, spec, tiles);
}

export function lowerNonOverlapping(ctx: LowerCtx): Lowering {
  const x = ctx.inputs[0]!, w = ctx.inputs[1]!, bias = ctx.inputs[2], out = ctx.outputs[0];
  if (!x.buffer || !w.buffer) throw new Error('internal: conv_transpose inputs must be materialised');
  const K = w.shape.slice(2), M = out.shape[1];
  const p: Parts = { x, w, bias, out, K, M, C: x.shape[1], taps: prodExpr([M, ...K]) };
  const X = x.shape.slice(2), last = X[X.length - 1];
  const cols = columnsOf(ctx, x);
  if (constOf(last) !== undefined || X.length === 1) return { kind: 'kernel', body: pixelForm(ctx, p, cols) };
  // A symbolic row: pixel vectors along it when it fills a register tile, else tap vectors.
  const long = ge(last, TN * ctx.target.vectorLanes);
  return { kind: 'kernel', body: ifThen(long, pixelForm(ctx, p, cols), channelForm(ctx, p)) };
}
