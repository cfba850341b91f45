// Element types of tensors. One table; everything else (sizes, ONNX codes, LLVM names, typed
// arrays) is derived from it so that adding a dtype touches one place.

export type DType =
  | 'float32' | 'float64' | 'float16'
  | 'int8' | 'int16' | 'int32' | 'int64'
  | 'uint8' | 'uint16' | 'uint32' | 'uint64'
  | 'bool';

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

const TABLE: readonly DTypeInfo[] = Object.freeze([
  { name: 'float32', bytes: 4, onnx: 1, code: 0, isFloat: true, isSigned: true, llvm: 'float' },
  { name: 'uint8', bytes: 1, onnx: 2, code: 1, isFloat: false, isSigned: false, llvm: 'i8' },
  { name: 'int8', bytes: 1, onnx: 3, code: 2, isFloat: false, isSigned: true, llvm: 'i8' },
  { name: 'uint16', bytes: 2, onnx: 4, code: 3, isFloat: false, isSigned: false, llvm: 'i16' },
  { name: 'int16', bytes: 2, onnx: 5, code: 4, isFloat: false, isSigned: true, llvm: 'i16' },
  { name: 'int32', bytes: 4, onnx: 6, code: 5, isFloat: false, isSigned: true, llvm: 'i32' },
  { name: 'int64', bytes: 8, onnx: 7, code: 6, isFloat: false, isSigned: true, llvm: 'i64' },
  { name: 'bool', bytes: 1, onnx: 9, code: 7, isFloat: false, isSigned: false, llvm: 'i8' },
  { name: 'float16', bytes: 2, onnx: 10, code: 8, isFloat: true, isSigned: true, llvm: 'half' },
  { name: 'float64', bytes: 8, onnx: 11, code: 9, isFloat: true, isSigned: true, llvm: 'double' },
  { name: 'uint32', bytes: 4, onnx: 12, code: 10, isFloat: false, isSigned: false, llvm: 'i32' },
  { name: 'uint64', bytes: 8, onnx: 13, code: 11, isFloat: false, isSigned: false, llvm: 'i64' },
].map((d) => Object.freeze(d as DTypeInfo)));

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

/** A typed array view over `bytes` for dtype `d` (float16 is exposed as raw Uint16 bits). */
export function typedView(d: DType, buf: ArrayBufferLike, byteOffset: number, length: number): TypedArrayOf {
  switch (d) {
    case 'float32': return new Float32Array(buf, byteOffset, length);
    case 'float64': return new Float64Array(buf, byteOffset, length);
    case 'float16': return new Uint16Array(buf, byteOffset, length);
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
