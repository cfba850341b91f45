// Test helpers for the CUDA device: a small model compiled for nvptx (and the host), and whether
// this machine has a CUDA device (the runtime's own answer: loading a GPU artifact on cuda:0).

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compile } from '../../compiler/driver.js';
import { load } from '../../runtime-vm/session.js';
import { FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { encodeModel } from '../fixtures/onnx-builder.js';
import { tempDir } from '../helpers/shared.js';

/** y = concat(relu(x), sigmoid(x) * x) on axis 1 for x [batch, 40]: several kernels and launches. */
export const SMALL_MODEL = {
  nodes: [
    node('Relu', ['x'], ['r']),
    node('Sigmoid', ['x'], ['s']),
    node('Mul', ['s', 'x'], ['m']),
    node('Concat', ['r', 'm'], ['y'], [{ name: 'axis', type: 2, i: 1 }]),
  ],
  inputs: [vi('x', FLOAT, ['batch', 40])],
  outputs: [vi('y', FLOAT, ['batch', 80])],
};

/** The small model compiled for `target` into a fresh directory; the artifact's path. */
export async function compileSmall(target: 'nvptx' | 'host'): Promise<string> {
  const dir = tempDir(`kestrel-gpu-${target}-`);
  const model = join(dir, 'small.onnx');
  writeFileSync(model, encodeModel(SMALL_MODEL));
  const so = join(dir, `small-${target}.so`);
  await compile(model, { output: so, target });
  return so;
}

/** null when cuda:0 can run GPU artifacts here, otherwise why not (the load error). */
export async function noCudaDevice(): Promise<string | null> {
  try {
    (await load(await compileSmall('nvptx'), { device: 'cuda:0' })).dispose();
    return null;
  } catch (e) {
    return (e as Error).message;
  }
}
