// Packs the constant weights of dense 2-D convolutions for the output-channel-vectorised kernel
// (ir/ops/conv.ts, lowerPacked): w[M][C][KH][KW] becomes w'[ceil(M/L)][C][KH][KW][L], L the
// target's f32 vector lanes, zero-filled past M, so the L weights of one output-channel block at
// one tap are one contiguous vector load. The conv gets attrs packedOc = L and outChannels = M.
// Requires: pad-conv-inputs has run (only unpadded convs are packed); weights float32 constants.
// Guarantees: same function; conv output types unchanged. Convs with groups, 1-D/3-D, or a
// short reduction (C*KH*KW below MIN_K, or SPATIAL_MIN_K for windows larger than 1x1: those
// stay on the width-vectorised kernel, whose contiguous stores outweigh the packed kernel's
// scattered ones while each output sums few products — a 3-channel 3x3 stem has 27) are
// left alone, and so are 1x1 stride-1 convs, which run as a matrix product over the flattened
// image (ir/ops/conv-gemm.ts), unless their output planes are small (POINTWISE_MAX_PLANE).

import { constFloat32, constFromFloat32 } from '../../ir/const.js';
import type { Func, IdGen, Node } from '../../ir/graph.js';
import { isConst, makeValue } from '../../ir/graph.js';

// Measured (kernel cycles, 1 thread): the packed kernel wins from K = 8 up for strided 1x1 convs
// and from K = 100 up for spatial windows (SPATIAL_MIN_K).
const MIN_K = 8;
// Spatial windows, measured (kernel time, 1 thread, minimum of 30 profiled runs) against the
// width-vectorised nest with its short-reduction tile (8 channels x 2 vectors,
// compiler/schedule/families/conv.ts): the nest wins below K = 100 — 1->32 3x3 on 112x112
// 136 -> 45 us, 3->64 3x3 stride 2 on 224x224 (squeezenet's stem) 557 -> 306, 3->32 stride 2
// (mobilenetv2's) 222 -> 168, 4->64 3x3 on 56x56 118 -> 74, 8->64 177 -> 143 — ties at K = 144
// and 288, and loses at 3->64 7x7 stride 2 (resnet18's stem, K = 147: 1208 packed, 1435-1497).
export const SPATIAL_MIN_K = 100;
// 1x1 stride-1 convs on output planes of at most POINTWISE_MAX_PLANE pixels, with reductions of
// at most POINTWISE_MAX_K, are packed too: the GEMM's pixel vectors would be mostly tails (7x7 =
// 49 pixels fill 4 vectors of 16 lanes: 64), while the packed kernel's tile is one row of pixels
// by 32 channels, with no lanes wasted. Measured (1 thread, per-run CPU time, 12 alternating
// blocks): mobilenetv2's conv_head (320->1280 on 7x7) 1.083, 1.089, 1.056x faster packed;
// squeezenet's conv10 (512->1000 on 13x13, 169 pixels) 0.70. In mobilenetv2 (per-call minimum
// of 30 runs) conv_head 533 -> 461 us, the 160->960 expansions on 7x7 even (186 -> 194, 173 -> 165,
// 177 -> 163), but the long projections lose (960->160: 142 -> 154, 138 -> 150; 960->320: 281 ->
// 298), re-reading their weights once per output row: they stay GEMMs.
export const POINTWISE_MAX_PLANE = 64;
export const POINTWISE_MAX_K = 512;

/** The output plane (H*W) of a 1x1 stride-1 conv, when static. */
function planeOf(n: Node): number | undefined {
  const [, , h, w] = n.outputs[0].type.shape;
  return typeof h === 'number' && typeof w === 'number' ? h * w : undefined;
}

function packable(n: Node): boolean {
  const w = n.inputs[1];
  if (n.op !== 'conv' || !isConst(w) || w.data.dtype !== 'float32' || w.data.shape.length !== 4) return false;
  if ((n.attrs.group ?? 1) !== 1 || n.attrs.packedOc !== undefined) return false;
  const pads = (n.attrs.pads as readonly number[] | undefined) ?? [];
  if (pads.some((p) => p !== 0) || (n.attrs.autoPad ?? 'NOTSET') === 'SAME_UPPER'
    || (n.attrs.autoPad ?? 'NOTSET') === 'SAME_LOWER') return false;
  const [, c, kh, kw] = w.data.shape;
  const strides = (n.attrs.strides as readonly number[] | undefined) ?? [1, 1];
  if (kh === 1 && kw === 1 && strides.every((s) => s === 1)) { // a GEMM (conv-gemm.ts) but on small planes
    const plane = planeOf(n);
    if (plane === undefined || plane > POINTWISE_MAX_PLANE || c > POINTWISE_MAX_K) return false;
  }
  return c * kh * kw >= (kh * kw > 1 ? SPATIAL_MIN_K : MIN_K);
}

/** w[M][K] (K = C*KH*KW) -> w'[ceil(M/L)][K][L]. */
export function packOc(w: Float32Array, m: number, k: number, lanes: number): Float32Array {
  const mb = Math.ceil(m / lanes);
  const out = new Float32Array(mb * k * lanes);
  for (let o = 0; o < m; o++) {
    const base = Math.floor(o / lanes) * k * lanes + (o % lanes);
    for (let i = 0; i < k; i++) out[base + i * lanes] = w[o * k + i];
  }
  return out;
}

export function packConvWeights(f: Func, ids: IdGen, lanes: number): Func {
  const nodes = f.nodes.map((n) => {
    if (lanes <= 1 || !packable(n)) return n;
    const w = n.inputs[1]!;
    const [m, c, kh, kw] = w.data!.shape;
    const shape = [Math.ceil(m / lanes), c, kh, kw, lanes];
    const data = constFromFloat32(shape, packOc(constFloat32(w.data!), m, c * kh * kw, lanes));
    const wp = makeValue(ids, `${w.name}_packed`, { dtype: 'float32', shape }, data);
    return Object.freeze({
      ...n, inputs: [n.inputs[0], wp, ...n.inputs.slice(2)],
      attrs: { ...n.attrs, packedOc: lanes, outChannels: m },
    });
  });
  return Object.freeze({ ...f, nodes });
}
