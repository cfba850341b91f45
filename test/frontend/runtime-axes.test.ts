// Squeeze, Unsqueeze and Pad with axes given as run-time inputs (compiler/frontend/onnx/ops/
// runtime-axes.ts): one artifact run with several axes values; shapes and data against plain
// JavaScript references.

import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { INT64, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats, i64 } from '../helpers/models.js';

const X = Array.from({ length: 24 }, (_, i) => i * 0.5 - 3);

/** ONNX Unsqueeze's output shape: axes normalised against the output rank. */
function unsqueezed(shape: number[], axes: number[]): number[] {
  const rank = shape.length + axes.length;
  const at = new Set(axes.map((a) => (a < 0 ? a + rank : a)));
  const rest = [...shape];
  return Array.from({ length: rank }, (_, j) => (at.has(j) ? 1 : rest.shift()!));
}

describe('run-time axes', () => {
  it('Unsqueeze: sorted, unsorted and negative axes in one artifact', async () => {
    const s = await buildModel('unsqueeze-rt', {
      nodes: [node('Unsqueeze', ['x', 'axes'], ['y'])],
      inputs: [vi('x', FLOAT, [2, 3, 4]), vi('axes', INT64, [2])], outputs: [vi('y', FLOAT, [])],
      opset: 13,
    });
    try {
      for (const axes of [[0, 1], [4, 0], [-1, 2], [1, -2]]) {
        const y = (await s.run({ x: f32([2, 3, 4], X), axes: i64([2], axes) }))['y']!;
        expect(y.dims).toEqual(unsqueezed([2, 3, 4], axes));
        expect(floats(y)).toEqual(Array.from(Float32Array.from(X)));
      }
    } finally { s.dispose(); }
  });

  it('Squeeze: the dims named by run-time axes are dropped', async () => {
    const s = await buildModel('squeeze-rt', {
      nodes: [node('Squeeze', ['x', 'axes'], ['y'])],
      inputs: [vi('x', FLOAT, [1, 4, 1, 6, 1]), vi('axes', INT64, [2])], outputs: [vi('y', FLOAT, [])],
      opset: 13,
    });
    try {
      const cases: [number[], number[]][] = [[[0, 2], [4, 6, 1]], [[-1, 0], [4, 1, 6]], [[4, 2], [1, 4, 6]]];
      for (const [axes, want] of cases) {
        const y = (await s.run({ x: f32([1, 4, 1, 6, 1], X), axes: i64([2], axes) }))['y']!;
        expect(y.dims).toEqual(want);
      }
    } finally { s.dispose(); }
  });

  it('Pad: pads for run-time axes reach the right dims', async () => {
    const s = await buildModel('pad-rt', {
      nodes: [node('Pad', ['x', 'pads', 'v', 'axes'], ['y'])],
      inputs: [vi('x', FLOAT, [2, 3]), vi('pads', INT64, [2]), vi('v', FLOAT, []), vi('axes', INT64, [1])],
      outputs: [vi('y', FLOAT, [])], opset: 18,
    });
    try {
      const x = [1, 2, 3, 4, 5, 6];
      const run = async (axis: number) => (await s.run({ x: f32([2, 3], x), pads: i64([2], [1, 2]),
        v: f32([], [9]), axes: i64([1], [axis]) }))['y']!;
      const cols = await run(-1);
      expect(cols.dims).toEqual([2, 6]);
      expect(floats(cols)).toEqual([9, 1, 2, 3, 9, 9, 9, 4, 5, 6, 9, 9]);
      const rows = await run(0);
      expect(rows.dims).toEqual([5, 3]);
      expect(floats(rows)).toEqual([9, 9, 9, 1, 2, 3, 4, 5, 6, 9, 9, 9, 9, 9, 9]);
    } finally { s.dispose(); }
  });
});
