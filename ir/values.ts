// The known contents of small integer tensors, as dims (see InferCtx.values in ops/registry.ts).

import { constValues } from './const.js';
import { type Dim, dataSymbol, dimVars, isStatic, parseDataSymbol } from './dim.js';
import type { Value } from './graph.js';

/** Longest integer tensor whose elements are tracked as dims. */
export const MAX_TRACKED_ELEMS = 64;

const INT_TYPES = new Set(['int64', 'int32', 'int16', 'int8', 'uint8', 'uint16', 'uint32', 'uint64', 'bool']);

export function valuesOf(v: Value | null | undefined): readonly Dim[] | undefined {
  if (!v || !INT_TYPES.has(v.type.dtype)) return undefined;
  const shape = v.type.shape;
  if (shape.length > 1) return undefined;
  const n = shape.length === 0 ? 1 : shape[0];
  if (!isStatic(n) || n > MAX_TRACKED_ELEMS) return undefined;
  if (v.data) return constValues(v.data);
  if (v.type.elems) return v.type.elems;
  return Array.from({ length: n }, (_, k) => dataSymbol(v.id, k));
}

/** True when none of the dims is read from tensor data at run time (no data symbols). */
export function knownDims(ds: readonly Dim[]): boolean {
  return ds.every((d) => dimVars(d).every((v) => !parseDataSymbol(v)));
}
