// Decodes ONNX TensorProto messages (initializers, Constant values, test-data .pb files) into
// kestrel ConstData: little-endian, row-major bytes in a fresh, aligned buffer.
// Requires: a decoded TensorMsg (or the bytes of one), the model directory for external data.
// Guarantees (RELIABILITY.md §10-11): dims are non-negative, rank <= 64, the element count does not
// overflow, dtype codes are known, and the data length equals dims x element size before use.

import { constants as bufferConstants } from 'node:buffer';
import { byteSize, dtypeFromOnnx, packedBits, type DType } from '../../../ir/dtype.js';
import type { ConstData } from '../../../ir/graph.js';
import { Codes, fail } from '../../diagnostics.js';
import { parseExternalRef, readExternal } from './external-data.js';
import { int64ToBigInt, TensorType, type TensorMsg } from './schema.js';
import { decodeMessage } from './wire-guard.js';

export const MAX_RANK = 64;
const MAX_BYTES = BigInt(bufferConstants.MAX_LENGTH);
/** Highest TensorProto.DataType code in ONNX 1.23 (codes above are invalid, not unsupported). */
const MAX_ONNX_DTYPE = 26;

/** Names of the ONNX data types kestrel does not support, by code (for messages and reports). */
const ONNX_DTYPE_NAMES: Readonly<Record<number, string>> = Object.freeze({
  14: 'complex64', 15: 'complex128', 24: 'float8e8m0',
});

/** A decoded tensor; a string tensor (test data only) has `strings` and no bytes. */
export interface NamedConst extends ConstData { readonly name: string; readonly strings?: readonly string[] }

/** `strings`: accept string tensors (test data); models' constants may not be strings. */
export interface TensorOpts { readonly modelDir?: string; readonly strings?: boolean }

/** Maps an ONNX dtype code to a kestrel dtype or throws KC0201 naming the tensor. */
export function dtypeOf(code: number | undefined, tensor: string): DType {
  const c = code ?? 0;
  const d = dtypeFromOnnx(c);
  if (d) return d;
  if (c <= 0 || c > MAX_ONNX_DTYPE || !Number.isInteger(c)) {
    fail(Codes.TENSOR_DTYPE, `data type code ${c} is not a valid ONNX data type`, { tensor });
  }
  const name = ONNX_DTYPE_NAMES[c] ?? String(c);
  return fail(Codes.TENSOR_DTYPE_UNSUPPORTED, `data type ${name} (code ${c}) is not supported by kestrel`,
    { tensor, dtype: name });
}

/** Checks dims; returns them as numbers and the total byte size. */
export function checkDims(dims: readonly (number | bigint | object)[], dtype: DType, tensor: string):
  { shape: number[]; nbytes: number } {
  if (dims.length > MAX_RANK) fail(Codes.TENSOR_DIMS, `rank ${dims.length} exceeds ${MAX_RANK}`, { tensor });
  let total = BigInt(byteSize(dtype));
  const shape: number[] = [];
  for (const d of dims) {
    const b = typeof d === 'bigint' ? d : int64ToBigInt(d as never);
    if (b < 0n) fail(Codes.TENSOR_DIMS, `negative dim ${b}`, { tensor });
    total *= b;
    if (total > MAX_BYTES) {
      fail(Codes.TENSOR_DIMS, `dims [${dims.map(String).join(', ')}] describe more than ${MAX_BYTES} bytes`,
        { tensor });
    }
    shape.push(Number(b));
  }
  return { shape, nbytes: Number(total) };
}

/** Decodes a TensorMsg; `fallbackName` names tensors whose name field is empty. */
export function tensorFromMsg(t: TensorMsg, opts: TensorOpts = {}, fallbackName = ''): NamedConst {
  const name = t.name || fallbackName;
  const dtype = dtypeOf(t.dataType, name);
  const { shape, nbytes } = checkDims(t.dims ?? [], dtype, name);
  if (dtype === 'string') return stringTensor(t, opts, name, shape);
  const bytes = tensorBytes(t, dtype, shape, nbytes, opts, name);
  return Object.freeze({ name, dtype, shape: Object.freeze(shape), bytes });
}

/**
 * A string tensor's strings (string_data, UTF-8). String tensors reach kestrel only as run-time
 * values (inputs, outputs, test data): a constant of dtype string is refused (KC0208), since the
 * VM holds no strings in the constants blob (native/src/vm/strings.h).
 */
function stringTensor(t: TensorMsg, opts: TensorOpts, name: string, shape: number[]): NamedConst {
  if (!opts.strings) {
    fail(Codes.TENSOR_DTYPE_UNSUPPORTED, 'string constants are not supported by kestrel (string tensors '
      + 'may only be inputs or computed)', { tensor: name, dtype: 'string' });
  }
  const data = t.stringData ?? [];
  const count = shape.reduce((a, d) => a * d, 1);
  if (data.length !== count) {
    fail(Codes.TENSOR_DATA, `string_data has ${data.length} strings but dims say ${count}`, { tensor: name });
  }
  const dec = new TextDecoder();
  return Object.freeze({ name, dtype: 'string', shape: Object.freeze(shape), bytes: new Uint8Array(0),
    strings: Object.freeze(data.map((b) => dec.decode(b))) });
}

function tensorBytes(t: TensorMsg, dtype: DType, shape: number[], nbytes: number, opts: TensorOpts,
  name: string): Uint8Array {
  const bits = packedBits(dtype);
  if (bits !== undefined) return unpack(packedTensorBytes(t, shape, bits, opts, name), dtype, nbytes);
  if (t.dataLocation === 1) {
    return readExternal(parseExternalRef(t.externalData ?? [], name), opts.modelDir, nbytes, name);
  }
  if (t.segment) fail(Codes.TENSOR_DATA, 'segmented tensors are not supported', { tensor: name });
  if (t.rawData && t.rawData.length > 0) {
    if (t.rawData.length !== nbytes) {
      fail(Codes.TENSOR_DATA, `raw_data has ${t.rawData.length} bytes but dims x element size is `
        + `${nbytes}`, { tensor: name });
    }
    return new Uint8Array(t.rawData); // copy: aligned and detached from the model buffer
  }
  return typedFieldBytes(t, dtype, nbytes / byteSize(dtype), name);
}

/**
 * The packed bytes of a sub-byte tensor: raw_data, external data, or int32_data holding one packed
 * byte per entry, as ONNX writes them (ceil(count * bits / 8) bytes, the first element in the
 * low bits).
 */
function packedTensorBytes(t: TensorMsg, shape: number[], bits: number, opts: TensorOpts,
  name: string): Uint8Array {
  const count = shape.reduce((a, d) => a * d, 1), packed = Math.ceil((count * bits) / 8);
  if (t.dataLocation === 1) {
    return readExternal(parseExternalRef(t.externalData ?? [], name), opts.modelDir, packed, name);
  }
  if (t.segment) fail(Codes.TENSOR_DATA, 'segmented tensors are not supported', { tensor: name });
  const src = t.rawData && t.rawData.length > 0 ? t.rawData : Uint8Array.from(t.int32Data ?? []);
  if (src.length !== packed) {
    fail(Codes.TENSOR_DATA, `data has ${src.length} bytes but ${count} elements of ${bits} bits pack `
      + `into ${packed}`, { tensor: name });
  }
  return src;
}

/** Packed sub-byte elements -> one per byte (int4/int2 sign-extended). */
function unpack(src: Uint8Array, dtype: DType, count: number): Uint8Array {
  const bits = packedBits(dtype)!, per = 8 / bits, mask = (1 << bits) - 1;
  const signed = dtype === 'int4' || dtype === 'int2', out = new Uint8Array(count);
  for (let i = 0; i < count; i++) {
    const v = (src[Math.floor(i / per)] >> ((i % per) * bits)) & mask;
    out[i] = signed && v >> (bits - 1) ? (v - (1 << bits)) & 0xff : v;
  }
  return out;
}

function typedFieldBytes(t: TensorMsg, dtype: DType, count: number, name: string): Uint8Array {
  const src = typedSource(t, dtype);
  if (src.length !== count) {
    fail(Codes.TENSOR_DATA, `typed data has ${src.length} elements but dims say ${count}`, { tensor: name });
  }
  return encode(dtype, src);
}

/** The typed field ONNX stores a dtype in. */
function typedSource(t: TensorMsg, dtype: DType): readonly unknown[] {
  switch (dtype) {
    case 'float32': return t.floatData ?? [];
    case 'float64': return t.doubleData ?? [];
    case 'int64': return t.int64Data ?? [];
    case 'uint32': case 'uint64': return t.uint64Data ?? [];
    default: return t.int32Data ?? []; // int8/16/32, uint8/16, bool, float16/bfloat16/float8 bits
  }
}

function encode(dtype: DType, src: readonly unknown[]): Uint8Array {
  const n = src.length;
  switch (dtype) {
    case 'float32': return bytesOf(Float32Array.from(src as number[]));
    case 'float64': return bytesOf(Float64Array.from(src as number[]));
    case 'int64': return bytesOf(BigInt64Array.from(src as never[], (v) => BigInt.asIntN(64, big(v))));
    case 'uint64': return bytesOf(BigUint64Array.from(src as never[], (v) => BigInt.asUintN(64, big(v))));
    case 'uint32':
      return bytesOf(Uint32Array.from(src as never[], (v) => Number(BigInt.asUintN(32, big(v)))));
    case 'int32': return bytesOf(Int32Array.from(src as number[]));
    case 'int16': return bytesOf(Int16Array.from(src as number[]));
    case 'int8': return bytesOf(Int8Array.from(src as number[]));
    case 'uint16': case 'float16': case 'bfloat16': return bytesOf(Uint16Array.from(src as number[]));
    // (the sub-byte types never get here: packedTensorBytes reads them)
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz':
    case 'float4e2m1': case 'uint4': case 'int4': case 'uint2': case 'int2':
    case 'uint8': return bytesOf(Uint8Array.from(src as number[]));
    case 'bool': return Uint8Array.from(src as number[], (v) => (v ? 1 : 0));
    case 'string': throw new Error('internal: string tensors are decoded by stringTensor');
  }
  void n;
}

const big = int64ToBigInt;

function bytesOf(a: ArrayBufferView): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

/** Decodes the bytes of a serialized TensorProto (e.g. test_data_set_K/input_J.pb). */
export function decodeTensorProto(bytes: Uint8Array, opts: TensorOpts = {}): NamedConst {
  if (bytes.length === 0) fail(Codes.MODEL_BYTES, 'tensor file is empty');
  return tensorFromMsg(decodeMessage<TensorMsg>(bytes, TensorType), { strings: true, ...opts });
}
