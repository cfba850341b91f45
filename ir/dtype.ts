// Element types of tensors. One table, generated from runtime-vm/contract.json (the runtime's
// copies come from the same file); everything else (sizes, ONNX codes, LLVM names, typed arrays)
// is derived from it so that adding a dtype touches one place.

import { DTYPE_TABLE } from './dtype-table.generated.js';

export type DType = (typeof DTYPE_TABLE)[number]['name'];

export interface DTypeInfo {
  readonly name: DType;
  /** Size of one element in bytes. */
  readonly bytes: number;
  /** TensorProto.DataType code in ONNX. */
  readonly onnx: number;
  /** Stable code used in bytecode and manifests (never reorder). */
  readonly code: number;
  readonly isFloat: boolean;
  readonly isSigned: boolean;
  /** LLVM scalar type used by codegen. */
  readonly llvm: string;
}

const TABLE: readonly DTypeInfo[] = Object.freeze(DTYPE_TABLE.map((d) => Object.freeze({ ...d })));

const BY_NAME = new Map(TABLE.map((d) => [d.name, d]));
const BY_ONNX = new Map(TABLE.map((d) => [d.onnx, d]));
const BY_CODE = new Map(TABLE.map((d) => [d.code, d]));

export const ALL_DTYPES: readonly DType[] = TABLE.map((d) => d.name);

export function dtypeInfo(d: DType): DTypeInfo {
  const info = BY_NAME.get(d);
  if (!info) throw new Error(`unknown dtype ${String(d)}`);
  return info;
}

export function dtypeFromOnnx(code: number): DType | undefined {
  return BY_ONNX.get(code)?.name;
}

export function dtypeFromCode(code: number): DType | undefined {
  return BY_CODE.get(code)?.name;
}

export const isFloat = (d: DType): boolean => dtypeInfo(d).isFloat;
export const byteSize = (d: DType): number => dtypeInfo(d).bytes;

export type TypedArrayOf =
  | Float32Array | Float64Array | Int8Array | Int16Array | Int32Array | BigInt64Array
  | Uint8Array | Uint16Array | Uint32Array | BigUint64Array;

/** A typed array view over `bytes` for dtype `d` (float16, bfloat16, float8 as raw bits). */
export function typedView(d: DType, buf: ArrayBufferLike, byteOffset: number, length: number): TypedArrayOf {
  switch (d) {
    case 'float32': return new Float32Array(buf, byteOffset, length);
    case 'float64': return new Float64Array(buf, byteOffset, length);
    case 'float16': case 'bfloat16': return new Uint16Array(buf, byteOffset, length);
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz':
    case 'float4e2m1': case 'uint4': case 'uint2':
      return new Uint8Array(buf, byteOffset, length);
    case 'int4': case 'int2': return new Int8Array(buf, byteOffset, length);
    case 'int8': return new Int8Array(buf, byteOffset, length);
    case 'int16': return new Int16Array(buf, byteOffset, length);
    case 'int32': return new Int32Array(buf, byteOffset, length);
    case 'int64': return new BigInt64Array(buf, byteOffset, length);
    case 'uint8': case 'bool': return new Uint8Array(buf, byteOffset, length);
    case 'uint16': return new Uint16Array(buf, byteOffset, length);
    case 'uint32': return new Uint32Array(buf, byteOffset, length);
    case 'uint64': return new BigUint64Array(buf, byteOffset, length);
    case 'string': throw new Error('internal: string tensors have no typed view');
  }
}

/**
 * The sub-byte dtypes: ONNX packs them (2 or 4 per byte, the first element in the low bits) in
 * raw_data and files; kestrel holds them unpacked, one element per byte (int4/int2
 * sign-extended), from the ONNX loader on, and so does the API (Int8Array / Uint8Array with one
 * element per value). Values stay in range: integer results wrap to the width.
 */
const PACKED_BITS: Partial<Record<DType, number>> = Object.freeze({
  int4: 4, uint4: 4, float4e2m1: 4, int2: 2, uint2: 2,
});

/** Bits of one element of a packed (sub-byte) dtype in ONNX's encoding; undefined for the rest. */
export const packedBits = (d: DType): number | undefined => PACKED_BITS[d];

/** The smallest value of a dtype: the identity of max (-Infinity for floats). */
export function lowestValue(d: DType): number {
  const info = dtypeInfo(d);
  if (info.isFloat) return -Infinity;
  const bits = packedBits(d) ?? 8 * info.bytes;
  return info.isSigned ? -(2 ** (bits - 1)) : 0;
}
