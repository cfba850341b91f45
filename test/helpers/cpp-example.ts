// Builds and runs examples/cpp (the runtime embedded in C++ without Node) and checks what it prints
// against the Node API on the same input: the example's pattern is exact in float32, so both sides
// run the same tiny_cnn artifact (or the same model for another target) on the same bytes.

import { join } from 'node:path';
import { expect } from 'vitest';
import { load, Tensor } from '../../runtime-vm/index.js';
import { mustRun, type Ran } from '../../tools/aarch64.js';
import { floatError, floatsMatch } from '../../tools/testdata.js';
import { REPO_ROOT } from './shared.js';

export const TINY_CNN = join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx');

/** Configures and builds examples/cpp into `buildDir` (with a toolchain file to cross-compile). */
export async function buildExample(buildDir: string, toolchain?: string): Promise<string> {
  const cmake = (args: string[]) => mustRun('cmake', args);
  await cmake(['-S', join(REPO_ROOT, 'examples', 'cpp'), '-B', buildDir, '-DCMAKE_BUILD_TYPE=Release',
    ...(toolchain ? [`-DCMAKE_TOOLCHAIN_FILE=${toolchain}`] : [])]);
  await cmake(['--build', buildDir, '--target', 'embed', '-j', '2']);
  return join(buildDir, 'embed');
}

/** Runs the host artifact `hostSo` through the Node API on the example's input at `batch`. */
export async function nodeProbs(hostSo: string, batch: number): Promise<Float32Array> {
  const s = await load(hostSo);
  try {
    const n = batch * 3 * 20 * 20;
    const x = Float32Array.from({ length: n }, (_, k) => Math.fround(((k * 37) % 101) / 101) - 0.5);
    const out = await s.run({ image: new Tensor('float32', x, [batch, 3, 20, 20]) });
    return out.probs.data as Float32Array;
  } finally {
    s.dispose();
  }
}

/** Checks the example's printed run (twice), inputs and errors against `expected` (first 16 values). */
export function expectExampleOutput(r: Ran, expected: Float32Array): void {
  expect(r.status, r.stderr).toBe(0);
  expect(r.stdout).toContain('input 0: image float32 [batch, 3, 20, 20]');
  expect(r.stdout).toContain('output 0: probs float32 [batch, 10]');
  expect(r.stdout).toMatch(/error \(missing artifact\): KR0001: .*nonexistent/);
  expect(r.stdout).toMatch(/error \(wrong rank\): KR0103: input 'image' has rank 3/);
  const runs = r.stdout.split('\n').filter((l) => l.startsWith('result 0: probs [2, 10] '));
  expect(runs.length).toBe(2);
  for (const line of runs) {
    const got = line.split('] ')[1].split(' ').map(Number);
    const e = floatError(got, expected.subarray(0, 16));
    expect(floatsMatch(e), `${line} vs ${Array.from(expected.subarray(0, 16))}`).toBe(true);
  }
}
