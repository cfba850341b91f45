// Row stores for the packed-weight conv kernel (./conv.ts, lowerPacked): its register tile holds
// TP pixels x CH channels as vectors of channels, and NCHW wants rows of pixels, so a plain store
// is one 16-lane scatter per pixel. For short reductions (a 3-channel stem: 27 taps) that scatter
// costs as much as the FMAs. Instead the tile is copied as it is into a second scratch, read back
// as vectors of TP pixels (gathers from L1) and stored as contiguous rows, one per channel.
// The scatter's lanes lie one channel plane (OH*OW elements) apart: when a plane is a multiple of
// 1 KiB, its 16 lanes fall into at most four L1 sets (addresses 4 KiB apart share a set), the
// scatters evict lines the next ones need and cost several times their usual ~16 cycles. Such
// planes store rows too; with symbolic spatial dims (unet_tiny, yolo_tiny) the kernel tests the
// plane at run time.
// Requires: TP a power of two (a whole vector of pixels; otherwise the scatter path is kept).
// Guarantees: the same elements through the same sink as the scatter path, with the same channel
// and pixel guards. Measured (1 thread, kernel cycles per run): zoo_squeezenet's stem (3->64, 3x3
// stride 2, 111x111) 0.96 -> 0.75 Mcycles, mobilenetv2's (3->32, 112x112) 0.42 -> 0.33; unet_tiny
// (symbolic 128x128 input, minimum of 30 runs, 1 thread) 32->32 3x3 on 64x64 859 -> 348 us,
// 16->16 on 128x128 641 -> 441, all its 3x3 convs together 11.0 -> 7.2 ms; resnet18's stem (7x7
// stride 2, 112x112 planes of 49 KiB) 1322 -> 1156 us; yolo_tiny's 44x44 planes keep the scatter
// (rows measured 1034 -> 1151 us on its largest conv). The packed kernel's channel-vector default
// (defaultPackedVectors) lives here too, beside the other store-and-tile defaults.

import { byteSize } from '../dtype.js';
import type { LowerCtx, OutputSink, TensorAccess } from '../te.js';
import type { Buffer, Expr, Stmt } from '../tir.js';
import { add, alloc, and, eq, ifThen, imm, load, loop, lt, mod, mul, seq, store } from '../tir-build.js';
import { knob } from './attrs.js';

const ROWS = 2, BY_PLANE = 3; // and 1: a scatter per pixel
/**
 * Reductions (C*KH*KW) up to this length store rows by default. Measured (1 thread, per-run CPU
 * time, one process alternating, median of 12 blocks, 3 repeats): zoo_squeezenet's fire2/3
 * expand3x3 (16->64, 3x3 on 55x55 planes of 11.8 KiB, K = 144) 1.14, 1.18, 1.08 times faster
 * with rows; fire4/5's (32->128 on 27x27, K = 288) 1.03, within the noise, so it keeps the scatter.
 */
const MAX_K_ROWS = 160;
/** Output planes whose size in bytes is a multiple of this make scatter lanes share L1 sets. */
const ALIASED_PLANE = 1024;

/**
 * The default of knob conv.store for a reduction of length k (undefined: symbolic channels): rows
 * for short reductions, else rows or scatter by the size of the output planes.
 */
export function defaultStore(k: number | undefined): number {
  return k !== undefined && k <= MAX_K_ROWS ? ROWS : BY_PLANE;
}

/**
 * The default of knob conv.ocv (channel vectors per tile of the packed kernel, ./conv.ts) for a
 * window of `taps` KH*KW taps (undefined: symbolic) and row stride `stride`: 3 for 1x1 stride-1
 * convs (pack-conv-weights packs those only on small planes, 7x7 = one 7-pixel row per tile:
 * 21 accumulators instead of 14, each input broadcast feeding 3 FMAs), else 2. Measured
 * (mobilenetv2, 1 thread, per-call minimum of 40 alternating runs, two sessions each, 2 -> 3):
 * conv_head 320->1280 on 7x7 514/498 -> 481/477 us, 160->960 on 7x7 239/243 -> 212/204,
 * 187/191 -> 185/176, 183/186 -> 185/177.
 */
export function defaultPackedVectors(taps: number | undefined, stride: number): number {
  return taps === 1 && stride === 1 ? 3 : 2;
}

/**
 * When the packed kernel stores rows of pixels (conv.store: 1 scatter, 2 rows, 3 rows for planes
 * of a multiple of ALIASED_PLANE bytes): null for never (the scatter), else a condition over the
 * output extents, a constant where they are static.
 */
export function rowStoreCondition(ctx: LowerCtx, TP: number, C: Expr, taps: number, vec: boolean):
  Expr | null {
  const k = C.kind === 'const' ? C.value * taps : undefined;
  if (!vec || TP < 4 || (TP & (TP - 1)) !== 0) return null;
  const mode = knob(ctx.knobs, 'conv.store', defaultStore(k));
  if (mode !== BY_PLANE) return mode === ROWS ? imm(1, 'bool') : null;
  const [oh, ow] = ctx.outputs[0].shape.slice(2);
  const plane = mul(mul(oh, ow), byteSize(ctx.outputs[0].dtype));
  return eq(mod(plane, ALIASED_PLANE), 0);
}

export interface RowTile {
  readonly acc: Buffer;
  /** TP pixels x TOV vectors of V channels; scratch element (p, c) at p * TOV * V + c. */
  readonly TP: number; readonly TOV: number; readonly V: number; readonly M: number;
  readonly n: Expr; readonly oh: Expr; readonly pt: Expr; readonly OW: Expr;
  /** The tile's first output channel. */
  readonly oc0: Expr;
  readonly ocTail: boolean; readonly pxTail: boolean;
  readonly out: OutputSink;
  readonly bias: TensorAccess | null | undefined;
}

export function storeRows(ctx: LowerCtx, t: RowTile): Stmt {
  // The scratch holds accumulator values (float32 for a conv whose fused sink quantises to uint8).
  const CH = t.TOV * t.V, tr = ctx.scratch('rows', t.acc.dtype);
  const p = ctx.fresh('cp'), j = ctx.fresh('cj'), lv = ctx.fresh('cv');
  const at = add(add(mul(p, CH), mul(j, t.V)), lv);
  const copy = loop(p, t.TP, loop(j, t.TOV, loop(lv, t.V, store(tr, at, load(t.acc, at)), 'vectorize'),
    'unroll'), 'unroll');
  const c = ctx.fresh('c'), px = ctx.fresh('px');
  const oc = add(t.oc0, c), ow = add(mul(t.pt, t.TP), px);
  const v = load(tr, add(mul(px, CH), c));
  const st = t.out.store([t.n, oc, t.oh, ow], t.bias ? add(v, t.bias.at([oc])) : v);
  const ok = [t.ocTail ? lt(oc, t.M) : null, t.pxTail ? lt(ow, t.OW) : null].filter((e): e is Expr => !!e);
  const row = loop(px, t.TP, ok.length ? ifThen(ok.reduce((a, b) => and(a, b)), st) : st, 'vectorize');
  return alloc(tr, t.TP * CH, seq(copy, loop(c, CH, row, 'unroll')));
}
