// Reading and making constant tensor data (ConstData) from plain numbers.

import { type DType, byteSize, typedView } from './dtype.js';
import { type ConstData, numel } from './graph.js';

/** Copies the bytes so the typed view is aligned. */
function view(c: ConstData) {
  const copy = new Uint8Array(c.bytes.byteLength);
  copy.set(c.bytes);
  return typedView(c.dtype, copy.buffer, 0, numel(c.shape));
}

/** Element values as JS numbers (int64 converted; float16 unsupported here). */
export function constValues(c: ConstData): number[] {
  const v = view(c);
  const out: number[] = new Array(v.length);
  for (let i = 0; i < v.length; i++) out[i] = Number(v[i]);
  return out;
}

/** Float32 copy of a float tensor. */
export function constFloat32(c: ConstData): Float32Array {
  if (c.dtype === 'float32') return view(c) as Float32Array;
  return Float32Array.from(constValues(c));
}

export function makeConst(dtype: DType, shape: readonly number[], values: ArrayLike<number>): ConstData {
  const n = numel(shape);
  const bytes = new Uint8Array(n * byteSize(dtype));
  const v = typedView(dtype, bytes.buffer, 0, n);
  for (let i = 0; i < n; i++) {
    (v as unknown as (number | bigint)[])[i] = v instanceof BigInt64Array || v instanceof BigUint64Array
      ? BigInt(Math.trunc(values[i])) : values[i];
  }
  return Object.freeze({ dtype, shape: Object.freeze([...shape]), bytes });
}

export function constFromFloat32(shape: readonly number[], data: Float32Array): ConstData {
  return Object.freeze({ dtype: 'float32' as const, shape: Object.freeze([...shape]),
    bytes: new Uint8Array(data.buffer, data.byteOffset, data.byteLength) });
}
