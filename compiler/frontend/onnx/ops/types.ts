// The shape of the ONNX converter table: ONNX op type -> entries by opset range. Each entry names
// the kestrel ops it may emit (so the importer can list every unsupported op before converting) and
// a small function that converts one node. Requires: context.ts. Guarantees: nothing; data only.

import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';

/** Converts one ONNX node; returns one entry per ONNX output (null for outputs it leaves unset). */
export type Converter = (ctx: ConvertCtx) => readonly (Value | null)[];

export interface ConverterEntry {
  /** First default-domain opset this entry handles. */
  readonly since: number;
  /** Last opset handled (inclusive); open-ended when absent. */
  readonly until?: number;
  /** kestrel ops the converter may emit; all must be registered for the op to be supported. */
  readonly emits: readonly string[];
  readonly convert: Converter;
}

export type ConverterRow = readonly [onnxOp: string, entry: ConverterEntry];

/** One row: converter for `onnxOp` from opset `since` (to `until`). */
export function row(onnxOp: string, emits: readonly string[], convert: Converter, since = 1,
  until?: number): ConverterRow {
  return [onnxOp, Object.freeze({ since, until, emits: Object.freeze([...emits]), convert })];
}
