// Slice with starts, ends, axes and steps all given as run-time inputs (compiler/frontend/onnx/ops/
// slice-runtime.ts): one artifact run with many bounds (negative, out of range, INT64 sentinels,
// negative steps, unsorted and negative axes) against a plain JavaScript N-d slice; invalid axes
// and a zero step fail at run time with KR0204.

import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { INT64, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats, i64 } from '../helpers/models.js';

const SHAPE = [4, 5, 6];
const X = Array.from({ length: 120 }, (_, i) => i * 0.25 - 7);
const BIG = 2 ** 62;

/** ONNX Slice by the reference's rules: per-axis index lists, then the cartesian product. */
function refSlice(shape: number[], x: number[], s: number[], e: number[], axes: number[], steps: number[]) {
  const picks = shape.map((d) => Array.from({ length: d }, (_, i) => i));
  axes.forEach((a0, k) => {
    const a = a0 < 0 ? a0 + shape.length : a0, d = shape[a], st = steps[k];
    const wrap = (v: number) => (v < 0 ? v + d : v);
    const b = Math.min(Math.max(wrap(s[k]), 0), st > 0 ? d : d - 1);
    const end = Math.min(Math.max(wrap(e[k]), st > 0 ? 0 : -1), st > 0 ? d : d - 1);
    const idx: number[] = [];
    for (let i = b; st > 0 ? i < end : i > end; i += st) idx.push(i);
    picks[a] = idx;
  });
  const out: number[] = [];
  const strides = [shape[1] * shape[2], shape[2], 1];
  for (const i of picks[0]) for (const j of picks[1]) for (const k of picks[2]) {
    out.push(x[i * strides[0] + j * strides[1] + k * strides[2]]);
  }
  return { dims: picks.map((p) => p.length), data: out };
}

const CASES: [number[], number[], number[], number[]][] = [
  [[0, 1], [3, 4], [0, 1], [1, 1]],
  [[1, -1], [BIG, -6], [2, 0], [2, -1]],
  [[-100, 3], [100, -BIG], [-1, 1], [1, -2]],
  [[3, 0], [0, 5], [-3, -2], [-1, 3]],
  [[5, 2], [1, 2], [1, 2], [1, 1]],
  [[10, -10], [-10, 10], [0, 2], [-1, 1]],
];

describe('Slice with run-time axes and steps', () => {
  const spec = {
    nodes: [node('Slice', ['x', 's', 'e', 'a', 'k'], ['y'])],
    inputs: [vi('x', FLOAT, SHAPE), vi('s', INT64, [2]), vi('e', INT64, [2]), vi('a', INT64, [2]),
      vi('k', INT64, [2])],
    outputs: [vi('y', FLOAT, [])], opset: 13,
  };
  const feeds = (s: number[], e: number[], a: number[], k: number[]) => ({ x: f32(SHAPE, X),
    s: i64([2], s), e: i64([2], e), a: i64([2], a), k: i64([2], k) });

  it('matches the reference for every bound in one artifact', async () => {
    const m = await buildModel('slice-rt', spec);
    try {
      for (const [s, e, a, k] of CASES) {
        const y = (await m.run(feeds(s, e, a, k)))['y']!;
        const want = refSlice(SHAPE, Array.from(Float32Array.from(X)), s, e, a, k);
        expect(y.dims).toEqual(want.dims);
        expect(floats(y)).toEqual(want.data);
      }
    } finally { m.dispose(); }
  });

  it('fails at run time on a repeated axis, an axis out of range and a zero step', async () => {
    const m = await buildModel('slice-rt-bad', spec);
    try {
      for (const [a, k] of [[[1, 1], [1, 1]], [[0, 3], [1, 1]], [[0, -4], [1, 1]], [[0, 1], [1, 0]]]) {
        await expect(m.run(feeds([0, 0], [2, 2], a, k))).rejects.toMatchObject({ code: 'KR0204' });
      }
      const ok = (await m.run(feeds([0, 0], [2, 2], [0, 1], [1, 1])))['y']!;
      expect(ok.dims).toEqual([2, 2, 6]);
    } finally { m.dispose(); }
  });
});
