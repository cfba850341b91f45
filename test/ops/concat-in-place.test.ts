// Concat in place (compiler/lower/concat-in-place.ts): when every concat input is the only result
// of a kernel read by nothing else, the producers write into their slices of the concat's output
// and no concat kernel is compiled. Checked against a JS reference: parts of unequal extents (odd
// element offsets), a part also read by another node and a part that is a graph input (both copied
// as before), a concat along a non-first axis with leading 1s, and a symbolic batch (never in place).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { inspectArtifact, load, type Session } from '../../runtime-vm/session.js';
import { attrInt, encodeModel, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { f32, floats, type ModelSpec } from '../helpers/models.js';
import { tempDir } from '../helpers/shared.js';
import { expectClose, rand } from './harness.js';

const sessions: Session[] = [];
afterAll(() => sessions.forEach((s) => s.dispose()));

/** Compiles `spec`; the session and the names of the kernels the artifact holds. */
async function build(name: string, spec: ModelSpec): Promise<{ s: Session; kernels: string[] }> {
  const dir = tempDir(`kestrel-${name}-`);
  const model = join(dir, `${name}.onnx`), so = join(dir, `${name}.so`);
  writeFileSync(model, encodeModel(spec));
  await compile(model, { output: so });
  const s = await load(so);
  sessions.push(s);
  return { s, kernels: inspectArtifact(so).manifest.kernels as string[] };
}

const hasConcat = (kernels: string[]) => kernels.some((k) => k.includes('concat'));

/** Channel concat of [C_k, n] blocks (batch 1, inner extent n). */
function channelConcat(parts: Float32Array[]): Float32Array {
  return Float32Array.from(parts.flatMap((p) => [...p]));
}

const relu = (x: Float32Array) => x.map((v) => Math.max(v, 0));
const sigmoid = (x: Float32Array) => x.map((v) => 1 / (1 + Math.exp(-v)));

describe('concat in place', () => {
  it('three producers of unequal channel counts write their slices; no concat kernel', async () => {
    const hw = [5, 7], n = 35;
    const { s, kernels } = await build('cip_three', {
      nodes: [node('Relu', ['a'], ['ra']), node('Sigmoid', ['b'], ['sb']), node('Neg', ['c'], ['nc']),
        node('Concat', ['ra', 'sb', 'nc'], ['y'], [attrInt('axis', 1)])],
      inputs: [vi('a', FLOAT, [1, 3, ...hw]), vi('b', FLOAT, [1, 1, ...hw]), vi('c', FLOAT, [1, 6, ...hw])],
      outputs: [vi('y', FLOAT, [1, 10, ...hw])],
    });
    expect(hasConcat(kernels)).toBe(false);
    const a = rand(3 * n, 1), b = rand(n, 2), c = rand(6 * n, 3);
    const { y } = await s.run({ a: f32([1, 3, ...hw], [...a]), b: f32([1, 1, ...hw], [...b]),
      c: f32([1, 6, ...hw], [...c]) });
    expect(y.dims).toEqual([1, 10, ...hw]);
    expectClose(Float32Array.from(floats(y)), channelConcat([relu(a), sigmoid(b), c.map((v) => -v)]));
  });

  it('feeds the concat output to another kernel (an Add of it to itself), axis 2 behind 1s', async () => {
    const { s, kernels } = await build('cip_axis2', {
      nodes: [node('Relu', ['a'], ['ra']), node('Sigmoid', ['b'], ['sb']),
        node('Concat', ['ra', 'sb'], ['c'], [attrInt('axis', 2)]), node('Add', ['c', 'c'], ['y'])],
      inputs: [vi('a', FLOAT, [1, 1, 3, 17]), vi('b', FLOAT, [1, 1, 4, 17])],
      outputs: [vi('y', FLOAT, [1, 1, 7, 17])],
    });
    expect(hasConcat(kernels)).toBe(false);
    const a = rand(51, 4), b = rand(68, 5);
    const { y } = await s.run({ a: f32([1, 1, 3, 17], [...a]), b: f32([1, 1, 4, 17], [...b]) });
    expectClose(Float32Array.from(floats(y)), channelConcat([relu(a), sigmoid(b)]).map((v) => 2 * v));
  });

  it('copies as before when a part is read elsewhere or is a graph input', async () => {
    const { s, kernels } = await build('cip_shared', {
      nodes: [node('Relu', ['a'], ['ra']), node('Concat', ['ra', 'b'], ['y'], [attrInt('axis', 1)]),
        node('Sigmoid', ['ra'], ['z'])],
      inputs: [vi('a', FLOAT, [1, 2, 9]), vi('b', FLOAT, [1, 3, 9])],
      outputs: [vi('y', FLOAT, [1, 5, 9]), vi('z', FLOAT, [1, 2, 9])],
    });
    expect(hasConcat(kernels)).toBe(true);
    const a = rand(18, 6), b = rand(27, 7);
    const { y, z } = await s.run({ a: f32([1, 2, 9], [...a]), b: f32([1, 3, 9], [...b]) });
    expectClose(Float32Array.from(floats(y)), channelConcat([relu(a), b]));
    expectClose(Float32Array.from(floats(z)), sigmoid(relu(a)));
  });

  it('copies as before under a symbolic batch (the slices would not be contiguous)', async () => {
    const { s, kernels } = await build('cip_batch', {
      nodes: [node('Relu', ['a'], ['ra']), node('Sigmoid', ['b'], ['sb']),
        node('Concat', ['ra', 'sb'], ['y'], [attrInt('axis', 1)])],
      inputs: [vi('a', FLOAT, ['batch', 2, 8]), vi('b', FLOAT, ['batch', 3, 8])],
      outputs: [vi('y', FLOAT, ['batch', 5, 8])],
    });
    expect(hasConcat(kernels)).toBe(true);
    const a = rand(32, 8), b = rand(48, 9);
    const { y } = await s.run({ a: f32([2, 2, 8], [...a]), b: f32([2, 3, 8], [...b]) });
    const ra = relu(a), sb = sigmoid(b);
    const ref = channelConcat([ra.slice(0, 16), sb.slice(0, 24), ra.slice(16), sb.slice(24)]);
    expectClose(Float32Array.from(floats(y)), ref);
  });
});
