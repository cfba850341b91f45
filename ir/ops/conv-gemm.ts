// Pointwise (1x1, stride 1, unpadded) convolution as a matrix product over the flattened image:
// for each image n and group g, out[g*OCG + i, p] = sum_k w[g*OCG + i, k] * x[g*ICG + k, p] with
// p running over all H*W (or any rank's) output pixels, which are contiguous in NCHW. It runs on
// the register micro-kernel of ./matmul.ts (a broadcast weight times a vector of pixels), so
// rows never end in masked tails and stores are whole contiguous vectors.
// Requires: a `conv` whose kernel extents and strides are all 1, pads all zero, weights in the
// plain [M, C/group, 1...] layout (not packed), materialised row-major inputs.
// Guarantees: every output element is written once through the sink, after an f32 reduction over
// the input channels of its group in increasing order; the sink sees coordinates that remember
// their flat offset (ir/te-loops.ts), so fused epilogues over same-shaped tensors load vectors.
//
// Schedule (knobs; the tile of ./gemm-micro.ts): conv1x1.vec (lanes), conv1x1.tm (output
// channels per register tile, default 6), conv1x1.tn (pixel vectors per register tile, default 4:
// 24 accumulators, 4 pixel vectors and a broadcast weight fit the 32 vector registers of
// AVX-512), conv1x1.mchunks (channel-block chunks per packed panel, 0: automatic),
// conv1x1.pack: 1 packs the pixel panels where they pay (default, below), 2 always packs (when K
// allows), 3 never does; conv1x1.order: 1 column blocks outermost, so that consecutive tasks share
// one B panel, 2 row blocks outermost (default for K <= SHORT_K).
// Packing pays on unaligned rows (a pixel count not a multiple of the vector) read by many channel
// blocks: 1 thread, 512->1000 channels on 13x13, onnxruntime time / kestrel time 0.69 reading the
// image in place (rows of 169 floats split cache lines), 0.85 with packed panels. It does not pay
// on aligned rows, for fewer than PACK_MIN_ROW_BLOCKS channel blocks, or for short K: mobilenetv2
// (1 thread, per-call minimum of 40 alternating runs, packed -> in place) 144->24 on 56x56
// 248 -> 205 us, 192->32 on 28x28 136 -> 110 and 131 -> 103, 96->24 on 56x56 169 -> 151,
// 384->64 on 14x14 (11 blocks of 6) 106 -> 96; expansions with 64+ blocks (64->384, 96->576 on
// 14x14) stay packed (even). Short reductions are bound by the output's stores, which the
// row-blocks-outer order writes as TM long streams instead of M/TM*TM short ones: 16->96 on
// 112x112 598 -> 447 us (packed, columns outer -> in place, rows outer), 24->144 on 56x56
// 220 -> 207, 32->192 on 28x28 101 -> 92.

import type { LowerCtx, Lowering } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import { add, floordiv, imm, mul } from '../tir-build.js';
import { coordsOf } from '../te-loops.js';
import { LOWER_FAIL, constOf, intAttr, knob, prodExpr, readWindow } from './attrs.js';
import { type MMSpec, type MMTiles, microKernel, packedBKernel } from './gemm-micro.js';

const PACK_AUTO = 1, PACK_ALWAYS = 2, PACK_NEVER = 3;
const ORDER_PANELS = 1, ORDER_ROWS = 2;
/** Reductions this short take the row-blocks-outer order, B in place (see the file comment). */
const SHORT_K = 32;
/** Fewer row blocks than this per panel read B in place (see the file comment). */
const PACK_MIN_ROW_BLOCKS = 17;
/** Planes up to this many pixels may take half-width pixel vectors (see defaultTiles). */
const SMALL_PLANE = 64;

/** Whether this conv is pointwise: the matrix-product lowering below applies. */
export function isPointwise(ctx: LowerCtx): boolean {
  const x = ctx.inTypes[0]!, w = ctx.inTypes[1]!;
  if (intAttr(ctx.attrs, 'packedOc', 0) || w.shape.length !== x.shape.length) return false;
  const win = readWindow(ctx.attrs, x.shape.length - 2, LOWER_FAIL);
  if (win.autoPad === 'SAME_UPPER' || win.autoPad === 'SAME_LOWER') return false;
  const ones = (xs: readonly number[]): boolean => xs.every((v) => v === 1);
  return ones(win.kernel) && ones(win.strides) && win.pads.every((p) => p === 0);
}

export function lowerPointwise(ctx: LowerCtx): Lowering {
  const x = ctx.inputs[0]!, w = ctx.inputs[1]!, bias = ctx.inputs[2], out = ctx.outputs[0];
  if (!x.buffer || !w.buffer) throw new Error('internal: conv inputs must be materialised');
  const G = intAttr(ctx.attrs, 'group', 1);
  const [N, C] = x.shape, M = out.shape[1];
  const ICG = w.shape[1], OCG = G === 1 ? M : floordiv(M, G); // infer checked divisibility
  const P = prodExpr(out.shape.slice(2));
  const chan = (bc: readonly Expr[], i: Expr): Expr => add(mul(bc[1], OCG), i);
  const emit = (bc: readonly Expr[], i: Expr, j: Expr, acc: Expr): Stmt => {
    const m = chan(bc, i);
    const idx = coordsOf(add(mul(add(mul(bc[0], M), m), P), j), out.shape);
    return out.store(idx, bias ? add(acc, bias.at([m])) : acc);
  };
  const spec: MMSpec = {
    a: w.buffer, b: x.buffer, dtype: x.dtype, batch: [N, imm(G)], M: OCG, N: P, K: ICG,
    aIndex: (bc, i, k) => add(mul(chan(bc, i), ICG), k),
    bIndex: (bc, k, j) => add(mul(add(mul(bc[0], C), add(mul(bc[1], ICG), k)), P), j),
    emit, vectorizable: out.vectorizable,
  };
  const d = defaultTiles(constOf(OCG), constOf(P), ctx.target.vectorLanes);
  const V = knob(ctx.knobs, 'conv1x1.vec', d.vec);
  const order = defaultOrder(constOf(ICG)), shortK = order === ORDER_ROWS;
  const tiles: MMTiles = {
    V, tm: knob(ctx.knobs, 'conv1x1.tm', d.tm), tn: knob(ctx.knobs, 'conv1x1.tn', d.tn),
    mchunks: knob(ctx.knobs, 'conv1x1.mchunks', 0),
    rowsOuter: knob(ctx.knobs, 'conv1x1.order', order) === ORDER_ROWS,
  };
  const mode = knob(ctx.knobs, 'conv1x1.pack', PACK_AUTO);
  const skip = mode === PACK_NEVER
    || (mode === PACK_AUTO && (shortK || alignedRows(P, V) || fewRowBlocks(OCG, tiles.tm)));
  const packed = skip ? null : packedBKernel(ctx, spec, tiles, mode === PACK_ALWAYS);
  return { kind: 'kernel', body: packed ?? microKernel(ctx, spec, tiles) };
}

/**
 * The defaults of knobs conv1x1.tm and conv1x1.tn for m output channels per group (undefined:
 * symbolic): 6 x 4, or 8 x 3 (the same 24 accumulators) where 6-row blocks would pad more than
 * 1/16 of the rows and 8-row ones none (M = 16, 32).
 */
export function defaultTile(m: number | undefined): [number, number] {
  const padded6 = m === undefined ? 0 : Math.ceil(m / 6) * 6 - m;
  return m !== undefined && m % 8 === 0 && padded6 * 16 > m ? [8, 3] : [6, 4];
}

/**
 * The defaults of knobs conv1x1.vec, tm and tn for m output channels per group and p pixels
 * (undefined: symbolic) on a target of `lanes` f32 lanes: defaultTile's, except on planes of at
 * most SMALL_PLANE pixels that half-width vectors cover with fewer padded lanes (7x7: 7 vectors
 * of 8 lanes, 56, instead of 4 of 16, 64): then one column block of all the plane's vectors and
 * 24 / vectors rows. Measured (mobilenetv2 on 7x7, 1 thread, per-call minimum of 40 alternating
 * runs): 960->160 183 -> 174 us (x2), 960->320 365 -> 338, 576->160 even.
 */
export function defaultTiles(m: number | undefined, p: number | undefined, lanes: number):
  { vec: number; tm: number; tn: number } {
  const [tm, tn] = defaultTile(m), half = lanes / 2;
  if (p === undefined || p > SMALL_PLANE || half < 4) return { vec: lanes, tm, tn };
  const vectors = Math.ceil(p / half);
  if (vectors * half >= Math.ceil(p / lanes) * lanes || vectors > 8) return { vec: lanes, tm, tn };
  return { vec: half, tm: Math.max(1, Math.floor(24 / vectors)), tn: vectors };
}

/**
 * The default of knob conv1x1.order for k input channels per group (undefined: symbolic): row
 * blocks outermost for short reductions, else column blocks sharing a B panel.
 */
export function defaultOrder(k: number | undefined): number {
  return k !== undefined && k <= SHORT_K ? ORDER_ROWS : ORDER_PANELS;
}

/** Fewer than PACK_MIN_ROW_BLOCKS row blocks of tm output channels (static) share a panel. */
function fewRowBlocks(m: Expr, tm: number): boolean {
  const c = constOf(m);
  return c !== undefined && Math.ceil(c / tm) < PACK_MIN_ROW_BLOCKS;
}

/** A static image whose pixel count is a multiple of the vector: every B row starts aligned. */
function alignedRows(p: Expr, V: number): boolean {
  const c = constOf(p);
  return c !== undefined && c % V === 0;
}
