// Test data in the ONNX backend-test layout (test_data_set_K/{input,output}_J.pb): reading it as
// runtime Tensors and comparing outputs with references by kestrel's rule:
// floats pass when max|out - ref| <= 1e-4 + 1e-3 * max|ref| (NaN must meet NaN), others exactly.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { typedView, type DType } from '../ir/dtype.js';
import { decodeSmall, isSmallFloat, smallFloat } from '../ir/small-floats.js';
import { Tensor } from '../runtime-vm/tensor.js';
import type { TensorType as RuntimeType, TypedArray } from '../runtime-vm/dtypes.js';
import { decodeTensorProto } from '../compiler/frontend/onnx/tensor.js';

export function readTensorFile(path: string): { name: string; tensor: Tensor } {
  const c = decodeTensorProto(new Uint8Array(readFileSync(path)));
  if (c.strings) return { name: c.name, tensor: new Tensor('string', c.strings, c.shape) };
  const n = c.shape.reduce((a, b) => a * b, 1);
  const copy = new Uint8Array(c.bytes.byteLength);
  copy.set(c.bytes);
  const data = typedView(c.dtype, copy.buffer, 0, n) as TypedArray;
  return { name: c.name, tensor: new Tensor(c.dtype as RuntimeType, data, c.shape) };
}

function numbered(dir: string, prefix: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.startsWith(prefix) && f.endsWith('.pb'))
    .sort((a, b) => parseInt(a.slice(prefix.length), 10) - parseInt(b.slice(prefix.length), 10))
    .map((f) => join(dir, f));
}

export interface DataSet {
  readonly inputs: { name: string; tensor: Tensor }[];
  readonly outputs: { name: string; tensor: Tensor }[];
}

export function readDataSet(dir: string): DataSet {
  return { inputs: numbered(dir, 'input_').map(readTensorFile),
    outputs: numbered(dir, 'output_').map(readTensorFile) };
}

export function dataSetDirs(caseDir: string): string[] {
  return readdirSync(caseDir).filter((d) => d.startsWith('test_data_set_')).sort().map((d) =>
    join(caseDir, d));
}

export interface Comparison {
  readonly ok: boolean;
  readonly maxErr: number;
  readonly tolerance: number;
  readonly message: string;
}

const isFloatType = (t: string) => t === 'float32' || t === 'float64' || t === 'float16'
  || isSmallFloat(t as DType);

/** Element values as numbers: float16, bfloat16 and float8 bits decoded, other types as they are. */
export function floatValues(dtype: string, data: ArrayLike<unknown>): ArrayLike<number> {
  const sf = smallFloat(dtype as DType);
  if (sf) return Array.from(data as ArrayLike<number>, (b) => decodeSmall(sf, b));
  if (dtype === 'float16') return Array.from(data as ArrayLike<number>, halfToFloat);
  return data as ArrayLike<number>;
}

/** An IEEE half (raw bits) as a number. */
export function halfToFloat(h: number): number {
  const s = h & 0x8000 ? -1 : 1, e = (h >> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

export interface FloatError {
  /** Largest |got - ref| over elements that are not equal (Infinity/NaN when they cannot match). */
  readonly maxErr: number;
  /** Where maxErr is (-1 when every element is equal). */
  readonly at: number;
  readonly tolerance: number;
  /** First element where exactly one side is NaN, or -1. */
  readonly nanAt: number;
}

/**
 * Two units in the last place of a bfloat16/float8 output at magnitude m (0 for other dtypes):
 * such results are roundings of float32 computations to 3-8 significant bits, and a different
 * summation order or one more rounded intermediate (the `_expanded` forms round every step) moves
 * them by a unit or two, far beyond the float32 rule's 0.1%.
 */
export function formatSlack(dtype: string | undefined, m: number): number {
  const f = dtype === undefined ? undefined : smallFloat(dtype as DType);
  if (!f || !(m > 0) || !Number.isFinite(m)) return 0;
  return 2 * 2 ** (Math.max(Math.floor(Math.log2(m)), 1 - f.bias) - f.manBits);
}

/**
 * The float rule, measured: NaN must meet NaN, else max|got - ref| <= 1e-4 + 1e-3 * max|ref|
 * (plus formatSlack for a bfloat16/float8 `dtype`).
 */
export function floatError(got: ArrayLike<number>, ref: ArrayLike<number>, dtype?: string): FloatError {
  let maxRef = 0;
  for (let i = 0; i < ref.length; i++) if (Number.isFinite(ref[i])) maxRef = Math.max(maxRef,
    Math.abs(ref[i]));
  const tolerance = 1e-4 + 1e-3 * maxRef + formatSlack(dtype, maxRef);
  let maxErr = 0, at = -1;
  for (let i = 0; i < ref.length; i++) {
    const a = got[i], r = ref[i];
    if (Number.isNaN(r) !== Number.isNaN(a)) return { maxErr: NaN, at: i, tolerance, nanAt: i };
    if (a === r || Number.isNaN(r)) continue;
    const err = Math.abs(a - r);
    if (!(err <= maxErr)) { maxErr = err; at = i; }
  }
  return { maxErr, at, tolerance, nanAt: -1 };
}

export const floatsMatch = (e: FloatError): boolean => e.nanAt < 0 && e.maxErr <= e.tolerance;

export function compareTensors(out: Tensor, ref: Tensor): Comparison {
  const bad = (message: string): Comparison => ({ ok: false, maxErr: Infinity, tolerance: 0, message });
  if (out.type !== ref.type) return bad(`dtype ${out.type}, expected ${ref.type}`);
  if (out.dims.join(',') !== ref.dims.join(',')) return bad(`shape [${out.dims}], expected [${ref.dims}]`);
  if (!isFloatType(ref.type)) {
    for (let i = 0; i < ref.size; i++) {
      if (out.data[i] !== ref.data[i]) return bad(`element ${i} is ${out.data[i]}, expected ${ref.data[i]}`);
    }
    return { ok: true, maxErr: 0, tolerance: 0, message: 'exact' };
  }
  const e = floatError(floatValues(out.type, out.data), floatValues(ref.type, ref.data), ref.type);
  if (e.nanAt >= 0) return bad(`element ${e.nanAt} is NaN on one side only`);
  return { ok: floatsMatch(e), maxErr: e.maxErr, tolerance: e.tolerance,
    message: `max|err| ${e.maxErr.toExponential(3)} (tolerance ${e.tolerance.toExponential(3)})` };
}
