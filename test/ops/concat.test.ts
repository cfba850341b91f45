// concat: every axis (first, middle, last), several inputs of different extents, rows longer and
// shorter than a vector, a scalar sink and a symbolic batch, against a JS reference; and compiled
// (the real kernel builder's flat offsets) with a dynamic batch and fused Relu / Add epilogues.
import { afterAll, describe, expect, it } from 'vitest';
import '../../ir/ops/shape.js';
import { sym } from '../../ir/dim.js';
import type { Session } from '../../runtime-vm/session.js';
import { attrInt, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';
import { expectClose, rand, runOp, tensor, type InSpec } from './harness.js';

/** Row-major concat of `xs` (shapes `shapes`) along `axis`. */
function concatRef(xs: Float32Array[], shapes: number[][], axis: number): Float32Array {
  const before = shapes[0].slice(0, axis).reduce((p, d) => p * d, 1);
  const after = shapes[0].slice(axis + 1).reduce((p, d) => p * d, 1);
  const out: number[] = [];
  for (let a = 0; a < before; a++) {
    xs.forEach((x, k) => {
      const n = shapes[k][axis] * after;
      for (let i = 0; i < n; i++) out.push(x[a * n + i]);
    });
  }
  return Float32Array.from(out);
}

const cases: [string, number[][], number, boolean?][] = [
  ['channels of 55x55 planes (long rows)', [[1, 3, 9, 55], [1, 5, 9, 55]], 1],
  ['three inputs, batch 2, short rows', [[2, 2, 3, 5], [2, 1, 3, 5], [2, 4, 3, 5]], 1],
  ['first axis', [[2, 3, 17], [5, 3, 17]], 0],
  ['last axis', [[3, 4, 7], [3, 4, 20]], 2],
  ['middle axis of rank 5', [[2, 2, 3, 4, 6], [2, 2, 1, 4, 6]], 2],
  ['scalar sink', [[1, 2, 3, 18], [1, 3, 3, 18]], 1, false],
];

describe('concat', () => {
  for (const [name, shapes, axis, vectorizable] of cases) {
    it(name, () => {
      const xs = shapes.map((s, i) => tensor(s, i + 2));
      const r = runOp('concat', xs, { axis }, { vectorizable });
      expectClose(r.outputs[0], concatRef(xs.map((x) => x.data), shapes, axis));
    });
  }
  it('symbolic batch', () => {
    const shapes = [[3, 2, 40], [3, 5, 40]];
    const xs: InSpec[] = shapes.map((s, i) => ({ ...tensor(s, i + 4), dims: [sym('batch'), s[1], 40] }));
    const r = runOp('concat', xs, { axis: 1 });
    expectClose(r.outputs[0], concatRef(xs.map((x) => x.data), shapes, 1));
  });
});

describe('concat, compiled', () => {
  const sessions: Session[] = [];
  afterAll(() => sessions.forEach((s) => s.dispose()));
  it('dynamic batch, channel axis, fused Relu then Add of a same-shaped input', async () => {
    const s = await buildModel('concat', {
      nodes: [node('Concat', ['a', 'b'], ['c'], [attrInt('axis', 1)]), node('Relu', ['c'], ['r']),
        node('Add', ['r', 'z'], ['y'])],
      inputs: [vi('a', FLOAT, ['batch', 3, 5, 37]), vi('b', FLOAT, ['batch', 2, 5, 37]),
        vi('z', FLOAT, ['batch', 5, 5, 37])],
      outputs: [vi('y', FLOAT, ['batch', 5, 5, 37])],
    });
    sessions.push(s);
    for (const n of [2, 1]) {
      const a = rand(n * 3 * 185, 3), b = rand(n * 2 * 185, 4), z = rand(n * 5 * 185, 5);
      const { y } = await s.run({ a: f32([n, 3, 5, 37], [...a]), b: f32([n, 2, 5, 37], [...b]),
        z: f32([n, 5, 5, 37], [...z]) });
      const c = concatRef([a, b], [[n, 3, 5, 37], [n, 2, 5, 37]], 1);
      expect(y.dims).toEqual([n, 5, 5, 37]);
      expectClose(Float32Array.from(floats(y)), c.map((v, i) => Math.max(v, 0) + z[i]));
    }
  });
  it('last axis', async () => {
    const s = await buildModel('concat_last', {
      nodes: [node('Concat', ['a', 'b'], ['y'], [attrInt('axis', -1)])],
      inputs: [vi('a', FLOAT, [3, 4, 7]), vi('b', FLOAT, [3, 4, 20])],
      outputs: [vi('y', FLOAT, [3, 4, 27])],
    });
    sessions.push(s);
    const a = rand(84, 6), b = rand(240, 7);
    const { y } = await s.run({ a: f32([3, 4, 7], [...a]), b: f32([3, 4, 20], [...b]) });
    expectClose(Float32Array.from(floats(y)), concatRef([a, b], [[3, 4, 7], [3, 4, 20]], 2));
  });
});
