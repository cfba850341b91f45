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
// channels per register tile) and conv1x1.tn (pixel vectors per register tile; defaults in
// pointwiseTile below), conv1x1.mchunks (channel-block chunks per packed panel, 0: automatic), and
// conv1x1.pack: 1 packs the pixel panels when a panel serves enough channel blocks (default), 2
// always packs (when K allows), 3 never does.
// Measured (1 thread, 512->1000 channels on 13x13, onnxruntime time / kestrel time): 0.69 reading
// the image in place (rows of 169 floats split cache lines), 0.85 with packed panels.

import type { LowerCtx, Lowering } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import { add, floordiv, imm, mul } from '../tir-build.js';
import { coordsOf } from '../te-loops.js';
import { LOWER_FAIL, constOf, intAttr, knob, prodExpr, readWindow } from './attrs.js';
import { type MMSpec, type MMTiles, microKernel, packedBKernel } from './gemm-micro.js';

const PACK_AUTO = 1, PACK_ALWAYS = 2, PACK_NEVER = 3;

/**
 * Default register tile (conv1x1.tm x conv1x1.tn) for `m` output channels per group reduced over
 * `k` inputs: 8 channels x 3 pixel vectors (24 accumulators; 8 broadcasts and 3 panel loads per
 * 24 FMAs) where the register file has 32 vectors, m >= 24 and 64 < k < 512; 6 x 4 elsewhere.
 * Measured on AVX-512 in whole models (1 thread, kernel µs, 6x4 -> 8x3, both load orders):
 * squeezenet's 256->32 on 27x27 140 -> 130, 128->32 77 -> 71, 384->64 on 13x13 96 -> 86, 256->48
 * 50 -> 46; mobilenetv2's 144->24 on 56x56 252 -> 213, 96->24 175 -> 151, 192->32 on 28x28 134 ->
 * 108. Short reductions lose a little (16->96 on 112x112 597 -> 626, 24->144 on 56x56 219 -> 230,
 * squeezenet's 16->64 on 55x55 115 -> 123), so do 32->16 on 112x112 and, by about 5%, 576->96 on
 * 14x14 and 960->160 on 7x7; 512->1000 on 13x13 is about equal.
 */
export function pointwiseTile(vectorRegisters: number | undefined, m: number | undefined,
  k: number | undefined): { tm: number; tn: number } {
  const tall = (vectorRegisters ?? 32) >= 32 && m !== undefined && m >= 24 && k !== undefined
    && k > 64 && k < 512;
  return tall ? { tm: 8, tn: 3 } : { tm: 6, tn: 4 };
}

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
  const dflt = pointwiseTile(ctx.target.vectorRegisters, constOf(OCG), constOf(ICG));
  const tiles: MMTiles = {
    V: knob(ctx.knobs, 'conv1x1.vec', ctx.target.vectorLanes), tm: knob(ctx.knobs, 'conv1x1.tm', dflt.tm),
    tn: knob(ctx.knobs, 'conv1x1.tn', dflt.tn), mchunks: knob(ctx.knobs, 'conv1x1.mchunks', 0),
  };
  const mode = knob(ctx.knobs, 'conv1x1.pack', PACK_AUTO);
  const packed = mode === PACK_NEVER ? null : packedBKernel(ctx, spec, tiles, mode === PACK_ALWAYS);
  return { kind: 'kernel', body: packed ?? microKernel(ctx, spec, tiles) };
}
