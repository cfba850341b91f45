// The op table: every kestrel op, built once from the family lists into a frozen table. Import
// this module (not the families) wherever ops are looked up. Adding a family: export its list of
// declarations (declareOp) and add it to FAMILIES.
import { ATTENTION_OPS } from './attention.js';
import { AFFINE_GRID_OPS } from './affine-grid.js';
import { BITCAST_OPS } from './bitcast.js';
import { COL2IM_OPS } from './col2im.js';
import { CONTROL_OPS } from './control.js';
import { CONV_OPS } from './conv.js';
import { CONV_TRANSPOSE_OPS } from './conv-transpose.js';
import { CROP_PAD_OPS } from './crop-pad.js';
import { DEFORM_CONV_OPS } from './deform-conv.js';
import { DET_OPS } from './det.js';
import { DROPOUT_OPS } from './dropout.js';
import { EINSUM_OPS } from './einsum.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { GATHER_OPS } from './gather.js';
import { GRID_SAMPLE_OPS } from './grid-sample.js';
import { GENERATE_OPS } from './generate.js';
import { INDEX_MAP_OPS } from './index-maps.js';
import { MAX_UNPOOL_OPS } from './max-unpool.js';
import { MEL_OPS } from './mel.js';
import { NMS_OPS } from './nms.js';
import { NORM_OPS } from './norm.js';
import { POOL_OPS } from './pool.js';
import { POOL_ARGMAX_OPS } from './pool-argmax.js';
import { QCONV_OPS } from './qconv.js';
import { QUANT_OPS } from './quant.js';
import { REDUCE_OPS } from './reduce.js';
import { REDUCE_AXES_OPS } from './reduce-axes.js';
import { RESIZE_OPS } from './resize.js';
import { LOSS_OPS } from './loss.js';
import { MATMUL_OPS } from './matmul.js';
import { CUMULATIVE_OPS } from './cumulative.js';
import { SCATTER_OPS } from './scatter.js';
import { RNN_OPS } from './rnn.js';
import { ROI_ALIGN_OPS } from './roi-align.js';
import { ROTARY_OPS } from './rotary.js';
import { LINEAR_ATTENTION_OPS } from './linear-attention.js';
import { SELECT_OPS } from './select.js';
import { SEQUENCE_OPS } from './sequence.js';
import { SHAPE_OPS } from './shape.js';
import { SIGNAL_OPS } from './signal.js';
import { SLICE_OPS } from './slice.js';
import { STRING_OPS } from './strings.js';
import { TILE_ONEHOT_OPS } from './tile-onehot.js';
import { WINOGRAD_OPS } from './winograd.js';
import { opTable, type OpDef, type Trait } from './registry.js';

// One family per line (a new family is one added line).
const FAMILIES: readonly (readonly OpDef[])[] = [
  ELEMENTWISE_OPS,
  CONV_OPS,
  WINOGRAD_OPS,
  MATMUL_OPS,
  RESIZE_OPS,
  CONV_TRANSPOSE_OPS,
  POOL_OPS,
  NORM_OPS,
  REDUCE_OPS,
  GENERATE_OPS,
  REDUCE_AXES_OPS,
  LOSS_OPS,
  CUMULATIVE_OPS,
  SCATTER_OPS,
  GATHER_OPS,
  SLICE_OPS,
  SELECT_OPS,
  SHAPE_OPS,
  CONTROL_OPS,
  SEQUENCE_OPS,
  RNN_OPS,
  QCONV_OPS,
  QUANT_OPS,
  TILE_ONEHOT_OPS,
  ATTENTION_OPS,
  BITCAST_OPS,
  GRID_SAMPLE_OPS,
  NMS_OPS,
  SIGNAL_OPS,
  EINSUM_OPS,
  ROTARY_OPS,
  LINEAR_ATTENTION_OPS,
  CROP_PAD_OPS,
  INDEX_MAP_OPS,
  DROPOUT_OPS,
  AFFINE_GRID_OPS,
  DET_OPS,
  MAX_UNPOOL_OPS,
  COL2IM_OPS,
  ROI_ALIGN_OPS,
  POOL_ARGMAX_OPS,
  MEL_OPS,
  DEFORM_CONV_OPS,
  STRING_OPS,
];

export const OPS: ReadonlyMap<string, OpDef> = opTable(FAMILIES.flat());

export function getOp(name: string): OpDef | undefined {
  return OPS.get(name);
}

export function hasTrait(op: string, t: Trait): boolean {
  return OPS.get(op)?.traits.includes(t) ?? false;
}

export function allOps(): string[] {
  return [...OPS.keys()].sort();
}

export type { OpDef, Trait, InferCtx } from './registry.js';
