// MeanVarianceNormalization, BatchNormalization with training_mode = 1 (compiler/frontend/onnx/
// ops/stats-expand.ts) and Dropout with run-time ratio and training flag (ir/ops/dropout.ts)
// against plain JavaScript references; an axis out of range is KC0401, and a training run with a
// non-zero ratio fails at run time (KR0202) rather than returning another random mask.

import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { attrFloat, attrInt, attrInts, BOOL, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';
import { forEachIndex, prod, strides } from '../ops/ref.js';

const SHAPE = [2, 3, 2, 2];
const X = Array.from({ length: prod(SHAPE) }, (_, i) => Math.sin(i * 1.7) * 3 + (i % 5));

/** Mean and population variance of x over every axis but `keep`, one per index of `keep`. */
function stats(x: number[], shape: number[], keep: number[]): Map<string, { m: number; v: number }> {
  const groups = new Map<string, number[]>();
  forEachIndex(shape, (idx) => {
    const key = keep.map((k) => idx[k]).join(',');
    const off = idx.reduce((a, c, i) => a + c * strides(shape)[i], 0);
    groups.set(key, [...(groups.get(key) ?? []), x[off]]);
  });
  const out = new Map<string, { m: number; v: number }>();
  for (const [k, xs] of groups) {
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    out.set(k, { m, v: xs.reduce((a, b) => a + (b - m) ** 2, 0) / xs.length });
  }
  return out;
}

const close = (got: number[], want: number[], tol = 1e-4) => {
  expect(got.length).toBe(want.length);
  got.forEach((g, i) => expect(Math.abs(g - want[i])).toBeLessThan(tol * (1 + Math.abs(want[i]))));
};

describe('statistics-normalising ops', () => {
  it('MeanVarianceNormalization over the default and given axes', async () => {
    for (const axes of [null, [1, 3]]) {
      const keep = [0, 1, 2, 3].filter((a) => !(axes ?? [0, 2, 3]).includes(a));
      const s = await buildModel('mvn', {
        nodes: [node('MeanVarianceNormalization', ['x'], ['y'], axes ? [attrInts('axes', axes)] : [])],
        inputs: [vi('x', FLOAT, SHAPE)], outputs: [vi('y', FLOAT, SHAPE)], opset: 13,
      });
      try {
        const y = floats((await s.run({ x: f32(SHAPE, X) }))['y']!);
        const st = stats(X, SHAPE, keep), want: number[] = [];
        forEachIndex(SHAPE, (idx) => {
          const { m, v } = st.get(keep.map((k) => idx[k]).join(','))!;
          want.push((X[want.length] - m) / (Math.sqrt(v) + 1e-9));
        });
        close(y, want);
      } finally { s.dispose(); }
    }
  });

  it('BatchNormalization training: batch statistics and running outputs', async () => {
    const C = SHAPE[1], sc = [0.5, 1.5, -1], bias = [0.1, 0, -0.2], rm = [1, -1, 0.5], rv = [2, 0.5, 1];
    const s = await buildModel('bn-train', {
      nodes: [node('BatchNormalization', ['x', 's', 'b', 'm', 'v'], ['y', 'om', 'ov'],
        [attrInt('training_mode', 1), attrFloat('momentum', 0.7), attrFloat('epsilon', 1e-3)])],
      inputs: [vi('x', FLOAT, SHAPE), ...['s', 'b', 'm', 'v'].map((n) => vi(n, FLOAT, [C]))],
      outputs: [vi('y', FLOAT, SHAPE), vi('om', FLOAT, [C]), vi('ov', FLOAT, [C])], opset: 15,
    });
    try {
      const out = await s.run({ x: f32(SHAPE, X), s: f32([C], sc), b: f32([C], bias), m: f32([C], rm),
        v: f32([C], rv) });
      const st = stats(X, SHAPE, [1]), want: number[] = [];
      forEachIndex(SHAPE, (idx) => {
        const { m, v } = st.get(String(idx[1]))!;
        want.push((X[want.length] - m) / Math.sqrt(v + 1e-3) * sc[idx[1]] + bias[idx[1]]);
      });
      close(floats(out['y']!), want);
      const c = [0, 1, 2];
      close(floats(out['om']!), c.map((k) => rm[k] * 0.7 + st.get(String(k))!.m * 0.3));
      close(floats(out['ov']!), c.map((k) => rv[k] * 0.7 + st.get(String(k))!.v * 0.3));
    } finally { s.dispose(); }
  });

  it('MeanVarianceNormalization with an axis out of range is KC0401', async () => {
    await expect(buildModel('mvn-bad', {
      nodes: [node('MeanVarianceNormalization', ['x'], ['y'], [attrInts('axes', [0, 4])])],
      inputs: [vi('x', FLOAT, SHAPE)], outputs: [vi('y', FLOAT, SHAPE)], opset: 13,
    })).rejects.toThrow(/KC0401/);
  });

  it('Dropout with run-time ratio and flag: exact runs pass x, a random one fails', async () => {
    const s = await buildModel('dropout-rt', {
      nodes: [node('Dropout', ['x', 'r', 't'], ['y', 'mask'])],
      inputs: [vi('x', FLOAT, [3, 4]), vi('r', FLOAT, []), vi('t', BOOL, [])],
      outputs: [vi('y', FLOAT, [3, 4]), vi('mask', BOOL, [3, 4])], opset: 13,
    });
    const x = X.slice(0, 12), flag = (b: boolean) => new Tensor('bool', Uint8Array.of(b ? 1 : 0), []);
    try {
      for (const [r, t] of [[0, true], [0.4, false], [0, false]] as [number, boolean][]) {
        const out = await s.run({ x: f32([3, 4], x), r: f32([], [r]), t: flag(t) });
        expect(floats(out['y']!)).toEqual(Array.from(Float32Array.from(x)));
        expect(Array.from(out['mask']!.data as Uint8Array)).toEqual(new Array<number>(12).fill(1));
      }
      await expect(s.run({ x: f32([3, 4], x), r: f32([], [0.4]), t: flag(true) }))
        .rejects.toMatchObject({ code: 'KR0202' });
    } finally { s.dispose(); }
  });
});
