// Element types as the runtime sees them: names and stable codes (generated from
// runtime-vm/contract.json, the source ir/dtype.ts and native/src/util/dtype.h are generated from too),
// and the typed array that holds each one, following onnxruntime-node (int64 -> BigInt64Array,
// bool -> Uint8Array, float16 -> Uint16Array of raw bits; bfloat16 and float8, which
// onnxruntime-node cannot hold, as their raw bits too).

import { DTYPE_NAMES } from './contract.generated.js';

export type TensorType = (typeof DTYPE_NAMES)[number];

export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

interface TypedArrayCtor {
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
}

/** A tensor's elements: a typed array, or for dtype string a JS array of strings. */
export type TensorData = TypedArray | readonly string[];

export interface RuntimeDType {
  readonly name: TensorType;
  readonly code: number;
  /** The typed array of the elements; null for string (a `string[]`, as in onnxruntime-node). */
  readonly array: TypedArrayCtor | null;
}

/** The typed array of each element type (float16 as raw bits, as onnxruntime-node does). */
const ARRAYS: Readonly<Record<TensorType, TypedArrayCtor | null>> = {
  float32: Float32Array, uint8: Uint8Array, int8: Int8Array, uint16: Uint16Array, int16: Int16Array,
  int32: Int32Array, int64: BigInt64Array, bool: Uint8Array, float16: Uint16Array, float64: Float64Array,
  uint32: Uint32Array, uint64: BigUint64Array,
  // Raw bits, like float16: bfloat16 in a Uint16Array, the float8 formats one byte each.
  bfloat16: Uint16Array, float8e4m3fn: Uint8Array, float8e4m3fnuz: Uint8Array, float8e5m2: Uint8Array,
  float8e5m2fnuz: Uint8Array,
  // The sub-byte types one element per byte (int4/int2 sign-extended): onnxruntime-node packs
  // int4/uint4 two to a byte; kestrel's API does not (see ir/dtype.ts packedBits).
  uint4: Uint8Array, int4: Int8Array, float4e2m1: Uint8Array, uint2: Uint8Array, int2: Int8Array,
  // UTF-8 strings of any length: a JS array of strings (the VM's layout: native/src/vm/strings.h).
  string: null,
};

const TABLE: readonly RuntimeDType[] = Object.freeze(DTYPE_NAMES.map((name, code) =>
  Object.freeze({ name, code, array: ARRAYS[name] })));

const BY_NAME = new Map(TABLE.map((d) => [d.name, d]));

export const RUNTIME_DTYPES: readonly RuntimeDType[] = TABLE;

export function runtimeDType(name: string): RuntimeDType | undefined {
  return BY_NAME.get(name as TensorType);
}

export function runtimeDTypeFromCode(code: number): RuntimeDType | undefined {
  return TABLE[code];
}
