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
      return new Uint8Array(buf, byteOffset, length);
    case 'int8': return new Int8Array(buf, byteOffset, length);
    case 'int16': return new Int16Array(buf, byteOffset, length);
    case 'int32': return new Int32Array(buf, byteOffset, length);
    case 'int64': return new BigInt64Array(buf, byteOffset, length);
    case 'uint8': case 'bool': return new Uint8Array(buf, byteOffset, length);
    case 'uint16': return new Uint16Array(buf, byteOffset, length);
    case 'uint32': return new Uint32Array(buf, byteOffset, length);
    case 'uint64': return new BigUint64Array(buf, byteOffset, length);
  }
}

/** The smallest value of a dtype: the identity of max (-Infinity for floats). */
export function lowestValue(d: DType): number {
  const info = dtypeInfo(d);
  if (info.isFloat) return -Infinity;
  return info.isSigned ? -(2 ** (8 * info.bytes - 1)) : 0;
}
