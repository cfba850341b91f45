// Schedule space of `conv` (ir/ops/conv.ts): the direct loop nest (conv.vec/oc/wv), the packed
// 2-D path on weights re-laid by pack-conv-weights (conv.ocv/px/store; its vector width is the packing
// block, a layout decision), the depthwise path (conv.vec, dw.rows/wv), and pointwise convs as a
// GEMM (ir/ops/conv-gemm.ts: conv1x1.*). Every knob of every path is listed; a path ignores the
// others.

import { type Dim, isStatic } from '../../../ir/dim.js';
import { intAttr } from '../../../ir/ops/attrs.js';
import { pointwiseTile } from '../../../ir/ops/conv-gemm.js';
import { defaultStore } from '../../../ir/ops/conv-rows.js';
import { defaultLanes, defaultRows, isDepthwise2d } from '../../../ir/ops/depthwise.js';
import { SPATIAL_MIN_K } from '../../passes/pack-conv-weights.js';
import { defineFamily, type KnobContext, knob, lanes, range, tileFits, vectorWidths } from '../space.js';

/** Output channels per group are 1 (the direct nest then tiles the width only). */
function depthwise(c: KnobContext): boolean {
  if (intAttr(c.root.attrs, 'packedOc', 0)) return false; // packed weights: [ceil(M/L)][C][k...][L]
  const w = c.root.inputs[1]?.type.shape[0];
  return w !== undefined && isStatic(w) && w / intAttr(c.root.attrs, 'group', 1) === 1;
}

/**
 * A dense conv left on the direct nest for its short reduction (C*KH*KW below
 * compiler/passes/pack-conv-weights.ts's SPATIAL_MIN_K: stems): 8 channels x 2 vectors per tile, since
 * with few products per output the strided input vector a tap loads is best shared by more
 * channels (mobilenetv2's stem 222 -> 168 us against the packed kernel; 6 x 3 was slower still).
 */
function shortDense(c: KnobContext): boolean {
  const w = c.root.inputs[1]?.type.shape;
  if (!w || w.length !== 4 || intAttr(c.root.attrs, 'group', 1) !== 1) return false;
  if (intAttr(c.root.attrs, 'packedOc', 0) || !w.every(isStatic)) return false;
  const [, ch, kh, kw] = w as number[];
  return kh * kw > 1 && ch * kh * kw < SPATIAL_MIN_K;
}

/** The path ir/ops/depthwise.ts takes (2-D, group = C = M, static channels). */
function depthwise2d(c: KnobContext): boolean {
  const [x, w] = c.root.inputs;
  return !!x && !!w && !intAttr(c.root.attrs, 'packedOc', 0) && isDepthwise2d(x.type, w.type, c.root.attrs);
}

/** C*KH*KW of a conv on packed weights [ceil(M/L)][C][KH][KW][L], when static. */
function packedReduction(c: KnobContext): number | undefined {
  const w = c.root.inputs[1]?.type.shape;
  if (!w || w.length !== 5 || !intAttr(c.root.attrs, 'packedOc', 0)) return undefined;
  const [, ch, kh, kw] = w;
  return isStatic(ch) && isStatic(kh) && isStatic(kw) ? ch * kh * kw : undefined;
}

/** ir/ops/conv-gemm.ts's default tile for this conv's weights [M, C/group, 1...] when static. */
function pointwiseDefault(c: KnobContext): { tm: number; tn: number } {
  const w = c.root.inputs[1]?.type.shape, g = intAttr(c.root.attrs, 'group', 1);
  const st = (d: Dim | undefined): number | undefined =>
    d !== undefined && isStatic(d) ? d : undefined;
  const m = st(w?.[0]);
  return pointwiseTile(c.target.vectorRegisters, m === undefined ? m : m / g, st(w?.[1]));
}

/** A static extent of the output's spatial axis `i` (0: rows, 1: columns), if any. */
function outExtent(c: KnobContext, i: number): number | undefined {
  const d = c.root.outputs[0].type.shape[2 + i];
  return d !== undefined && isStatic(d) ? d : undefined;
}

export const CONV = defineFamily({
  name: 'conv',
  matches: (op) => op === 'conv',
  knobs: [
    knob('conv.vec', 'lanes per vector along the last output axis', vectorWidths,
      (c) => (depthwise2d(c) ? defaultLanes(lanes(c), outExtent(c, 1)) : lanes(c))),
    knob('conv.oc', 'output channels per register tile (direct nest)', range(1, 8),
      (c) => (shortDense(c) ? 8 : 6)),
    knob('conv.wv', 'max vectors per register tile along the width (direct nest)', range(1, 6),
      (c) => (depthwise(c) ? 4 : shortDense(c) ? 2 : 3)),
    knob('conv.ocv', 'channel vectors per tile (packed weights)', range(1, 4), () => 2),
    knob('conv.px', 'max pixels per tile (packed weights)', range(1, 12), () => 8),
    knob('conv.store', 'packed-weight stores: 1 a scatter per pixel, 2 rows of pixels via a scratch, '
      + '3 rows where output planes are a multiple of 1 KiB (tested at run time when symbolic)', range(1, 3),
      (c) => defaultStore(packedReduction(c))),
    knob('dw.rows', 'output rows per tile (depthwise)', range(1, 8),
      (c) => (depthwise2d(c) ? defaultRows(outExtent(c, 0)) : 4)),
    knob('dw.wv', 'vectors per row (depthwise)', range(1, 4), () => 2),
    knob('conv1x1.vec', 'lanes per pixel vector (pointwise GEMM)', vectorWidths, lanes),
    knob('conv1x1.tm', 'output channels per register tile (pointwise GEMM)', range(1, 8),
      (c) => pointwiseDefault(c).tm),
    knob('conv1x1.tn', 'max pixel vectors per register tile (pointwise GEMM)', range(1, 4),
      (c) => pointwiseDefault(c).tn),
    knob('conv1x1.mchunks', 'channel-block chunks per packed pixel panel, 0 automatic (pointwise GEMM)',
      [0, 1, 2, 3, 4, 6, 8], () => 0),
    knob('conv1x1.pack', 'pixel panels: 1 packed where they pay, 2 always, 3 never (pointwise GEMM)',
      range(1, 3), () => 1),
  ],
  // The packed path's vectors are the packing block: one register each.
  legal: (k, c) => tileFits('the direct tile', k['conv.oc'] * k['conv.wv'], k['conv.vec'], c)
    ?? tileFits('the packed tile', k['conv.ocv'] * k['conv.px'], c.target.vectorLanes, c)
    ?? tileFits('the depthwise tile', k['dw.rows'] * k['dw.wv'], k['conv.vec'], c)
    ?? tileFits('the pointwise tile', k['conv1x1.tm'] * k['conv1x1.tn'], k['conv1x1.vec'], c),
});
