// The ONNX converter table: ONNX op type -> converter entries by opset range, assembled from the
// per-family files beside this one. Adding an ONNX op: add a row to its family file (or a new
// family file listed here). Guarantees: the table is frozen; lookups never consult prototypes.

import { MICROSOFT_ROWS } from './contrib.js';
import { TRAINING_ROWS } from './training.js';
import { ALGEBRA_ROWS } from './algebra.js';
import { ATTENTION_ROWS } from './attention-onnx.js';
import { FLEX_ATTENTION_ROWS } from './flex-attention.js';
import { BITCAST_ROWS } from './bitcast.js';
import { NORM_EXPAND_ROWS } from './norm-expand.js';
import { CONTROL_ROWS } from './control.js';
import { CONV_TRANSPOSE_ROWS } from './conv-transpose.js';
import { CUMULATIVE_ROWS } from './cumulative.js';
import { ELEMENTWISE_ROWS } from './elementwise.js';
import { GENERATE_ROWS } from './generate.js';
import { IMAGE_ROWS } from './image.js';
import { INDEXING_ROWS } from './indexing.js';
import { LINALG_ROWS } from './linalg.js';
import { LOSS_ROWS } from './loss.js';
import { NN_ROWS } from './nn.js';
import { POOLING_ROWS } from './pooling.js';
import { QLINEAR_ROWS } from './qlinear.js';
import { QUANT_ROWS } from './quant.js';
import { REDUCE_ROWS } from './reduce.js';
import { RESIZE_ROWS } from './resize.js';
import { RNN_ROWS } from './rnn.js';
import { SCATTER_ROWS } from './scatter.js';
import { SELECT_ROWS } from './select.js';
import { SEQUENCE_ROWS } from './sequence.js';
import { SEQUENCE_MODEL_ROWS } from './sequence-model.js';
import { SHAPE_ROWS } from './shape.js';
import { SIGNAL_ROWS } from './signal.js';
import { STRING_ROWS } from './strings.js';
import { TILE_ONEHOT_ROWS } from './tile-onehot.js';
import type { ConverterEntry, ConverterRow } from './types.js';

export type { Converter, ConverterEntry, ConverterRow } from './types.js';

function build(rows: readonly ConverterRow[]): ReadonlyMap<string, readonly ConverterEntry[]> {
  const m = new Map<string, ConverterEntry[]>();
  for (const [op, e] of rows) m.set(op, [...(m.get(op) ?? []), e]);
  for (const list of m.values()) Object.freeze(list.sort((a, b) => a.since - b.since));
  return m;
}

export const CONVERTERS: ReadonlyMap<string, readonly ConverterEntry[]> = build([
  ...ELEMENTWISE_ROWS, ...NN_ROWS, ...LINALG_ROWS, ...SHAPE_ROWS,
  ...REDUCE_ROWS, ...INDEXING_ROWS, ...GENERATE_ROWS, ...CONTROL_ROWS, ...RNN_ROWS,
  ...SELECT_ROWS, ...SEQUENCE_ROWS, ...RESIZE_ROWS, ...CONV_TRANSPOSE_ROWS, ...QUANT_ROWS, ...QLINEAR_ROWS,
  ...LOSS_ROWS, ...CUMULATIVE_ROWS, ...SCATTER_ROWS, ...TILE_ONEHOT_ROWS,
  ...ATTENTION_ROWS,
  ...BITCAST_ROWS,
  ...NORM_EXPAND_ROWS,
  ...IMAGE_ROWS,
  ...SIGNAL_ROWS,
  ...ALGEBRA_ROWS,
  ...SEQUENCE_MODEL_ROWS,
  ...POOLING_ROWS,
  ...STRING_ROWS,
]);

/** Converter tables of the other domains kestrel reads, each its own table (opsets of that domain). */
export const DOMAIN_CONVERTERS: ReadonlyMap<string, ReadonlyMap<string,
  readonly ConverterEntry[]>> = new Map([
  ['com.microsoft', build(MICROSOFT_ROWS)],
  ['ai.onnx.preview.training', build(TRAINING_ROWS)],
  ['ai.onnx.preview', build(FLEX_ATTENTION_ROWS)],
]);

function pick(list: readonly ConverterEntry[] | undefined, opset: number): ConverterEntry | undefined {
  return list?.find((e) => e.since <= opset && (e.until === undefined || opset <= e.until));
}

/** The converter entry for an ONNX op at a default-domain opset, if any. */
export function findConverter(opType: string, opset: number): ConverterEntry | undefined {
  return pick(CONVERTERS.get(opType), opset);
}

/** The converter entry for an op of another domain at that domain's opset, if any. */
export function findDomainConverter(domain: string, opType: string,
  opset: number): ConverterEntry | undefined {
  return pick(DOMAIN_CONVERTERS.get(domain)?.get(opType), opset);
}
