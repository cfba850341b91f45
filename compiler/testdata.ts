// Test data in the ONNX backend-test layout (test_data_set_K/{input,output}_J.pb): reading it as
// runtime Tensors and comparing outputs with references by kestrel's rule:
// floats pass when max|out - ref| <= 1e-4 + 1e-3 * max|ref| (NaN must meet NaN), others exactly.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { typedView } from '../ir/dtype.js';
import { Tensor } from '../runtime-vm/tensor.js';
import type { TensorType as RuntimeType, TypedArray } from '../runtime-vm/dtypes.js';
import { decodeTensorProto } from './frontend/onnx/tensor.js';

export function readTensorFile(path: string): { name: string; tensor: Tensor } {
  const c = decodeTensorProto(new Uint8Array(readFileSync(path)));
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
  return { inputs: numbered(dir, 'input_').map(readTensorFile), outputs: numbered(dir, 'output_').map(readTensorFile) };
}

export function dataSetDirs(caseDir: string): string[] {
  return readdirSync(caseDir).filter((d) => d.startsWith('test_data_set_')).sort().map((d) => join(caseDir, d));
}

export interface Comparison {
  readonly ok: boolean;
  readonly maxErr: number;
  readonly tolerance: number;
  readonly message: string;
}

const isFloatType = (t: string) => t === 'float32' || t === 'float64' || t === 'float16';

export function compareTensors(out: Tensor, ref: Tensor): Comparison {
  const bad = (message: string): Comparison => ({ ok: false, maxErr: Infinity, tolerance: 0, message });
  if (out.type !== ref.type) return bad(`dtype ${out.type}, expected ${ref.type}`);
  if (out.dims.join(',') !== ref.dims.join(',')) return bad(`shape [${out.dims}], expected [${ref.dims}]`);
  if (!isFloatType(ref.type) || ref.type === 'float16') {
    for (let i = 0; i < ref.size; i++) {
      if (out.data[i] !== ref.data[i]) return bad(`element ${i} is ${out.data[i]}, expected ${ref.data[i]}`);
    }
    return { ok: true, maxErr: 0, tolerance: 0, message: 'exact' };
  }
  const o = out.data as Float32Array, r = ref.data as Float32Array;
  let maxRef = 0, maxErr = 0;
  for (let i = 0; i < r.length; i++) if (Number.isFinite(r[i])) maxRef = Math.max(maxRef, Math.abs(r[i]));
  for (let i = 0; i < r.length; i++) {
    if (Number.isNaN(r[i]) || Number.isNaN(o[i])) {
      if (Number.isNaN(r[i]) !== Number.isNaN(o[i])) return bad(`element ${i} is ${o[i]}, expected ${r[i]}`);
      continue;
    }
    if (!Number.isFinite(r[i]) || !Number.isFinite(o[i])) {
      if (o[i] !== r[i]) return bad(`element ${i} is ${o[i]}, expected ${r[i]}`);
      continue;
    }
    maxErr = Math.max(maxErr, Math.abs(o[i] - r[i]));
  }
  const tolerance = 1e-4 + 1e-3 * maxRef;
  const ok = maxErr <= tolerance;
  return { ok, maxErr, tolerance, message: `max|err| ${maxErr.toExponential(3)} (tolerance ${tolerance.toExponential(3)})` };
}
