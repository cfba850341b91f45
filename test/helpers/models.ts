// Compiles small models built with test/fixtures/onnx-builder.ts and loads them, checks an
// artifact against a model's reference data sets, plus tensor helpers for end-to-end tests.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { compareTensors, dataSetDirs, readDataSet } from '../../tools/testdata.js';
import { load, type LoadOptions, type Session } from '../../runtime-vm/session.js';
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

/**
 * Loads the artifact `so` (with `options`, e.g. a device) and runs every `test_data_set_K` of
 * `modelDir` through it, expecting every output to match its reference (the float rule of
 * tools/testdata.ts); returns the number of data sets checked.
 */
export async function expectMatchesDataSets(so: string, modelDir: string, options: LoadOptions = {}):
  Promise<number> {
  const session = await load(so, options);
  try {
    const sets = dataSetDirs(modelDir);
    for (const set of sets) {
      const data = readDataSet(set);
      const feeds = Object.fromEntries(session.inputs.map((io, i) => [io.name, data.inputs[i].tensor]));
      const out = await session.run(feeds);
      session.outputs.forEach((io, i) => {
        const c = compareTensors(out[io.name], data.outputs[i].tensor);
        expect(c.ok, `${set} ${io.name}: ${c.message}`).toBe(true);
      });
    }
    return sets.length;
  } finally {
    session.dispose();
  }
}

export const f32 = (dims: number[], data: number[]) => new Tensor('float32', Float32Array.from(data), dims);
export const i64 = (dims: number[], data: number[]) => new Tensor('int64',
  BigInt64Array.from(data.map(BigInt)), dims);
export const ints = (t: Tensor): number[] => Array.from(t.data as BigInt64Array, Number);
export const floats = (t: Tensor): number[] => Array.from(t.data as Float32Array);
