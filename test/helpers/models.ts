// Compiles small models built with test/fixtures/onnx-builder.ts and loads them, plus tensor
// helpers for end-to-end tests.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../compiler/driver.js';
import { load, type Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { encodeModel } from '../fixtures/onnx-builder.js';
import { tempDir } from './shared.js';

export type ModelSpec = Parameters<typeof encodeModel>[0];

/** Writes the model, compiles it to a fresh temporary .so and loads it. */
export async function buildModel(name: string, spec: ModelSpec, threads?: number): Promise<Session> {
  const dir = tempDir(`kestrel-${name}-`);
  const model = join(dir, `${name}.onnx`), so = join(dir, `${name}.so`);
  writeFileSync(model, encodeModel(spec));
  await compile(model, { output: so });
  return load(so, threads === undefined ? {} : { threads });
}

export const f32 = (dims: number[], data: number[]) => new Tensor('float32', Float32Array.from(data), dims);
export const i64 = (dims: number[], data: number[]) => new Tensor('int64',
  BigInt64Array.from(data.map(BigInt)), dims);
export const ints = (t: Tensor): number[] => Array.from(t.data as BigInt64Array, Number);
export const floats = (t: Tensor): number[] => Array.from(t.data as Float32Array);
