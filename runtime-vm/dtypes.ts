// Element types as the runtime sees them: names, stable codes (the `code` of ir/dtype.ts — the
// runtime may not import ir/, so the table is repeated here and a test checks they agree), and the
// typed array that holds each one, following onnxruntime-node (int64 -> BigInt64Array,
// bool -> Uint8Array, float16 -> Uint16Array of raw bits).

export type TensorType =
  | 'float32' | 'uint8' | 'int8' | 'uint16' | 'int16' | 'int32' | 'int64'
  | 'bool' | 'float16' | 'float64' | 'uint32' | 'uint64';

export type TypedArray =
  | Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array
  | Int32Array | Uint32Array | BigInt64Array | BigUint64Array;

interface TypedArrayCtor {
  new (buffer: ArrayBufferLike, byteOffset?: number, length?: number): TypedArray;
  new (length: number): TypedArray;
  readonly BYTES_PER_ELEMENT: number;
}

export interface RuntimeDType {
  readonly name: TensorType;
  readonly code: number;
  readonly array: TypedArrayCtor;
}

const TABLE: readonly RuntimeDType[] = Object.freeze([
  { name: 'float32', code: 0, array: Float32Array },
  { name: 'uint8', code: 1, array: Uint8Array },
  { name: 'int8', code: 2, array: Int8Array },
  { name: 'uint16', code: 3, array: Uint16Array },
  { name: 'int16', code: 4, array: Int16Array },
  { name: 'int32', code: 5, array: Int32Array },
  { name: 'int64', code: 6, array: BigInt64Array },
  { name: 'bool', code: 7, array: Uint8Array },
  { name: 'float16', code: 8, array: Uint16Array },
  { name: 'float64', code: 9, array: Float64Array },
  { name: 'uint32', code: 10, array: Uint32Array },
  { name: 'uint64', code: 11, array: BigUint64Array },
].map((d) => Object.freeze(d as RuntimeDType)));

const BY_NAME = new Map(TABLE.map((d) => [d.name, d]));

export const RUNTIME_DTYPES: readonly RuntimeDType[] = TABLE;

export function runtimeDType(name: string): RuntimeDType | undefined {
  return BY_NAME.get(name as TensorType);
}

export function runtimeDTypeFromCode(code: number): RuntimeDType | undefined {
  return TABLE[code];
}
