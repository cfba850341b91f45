// max_pool_argmax (ir/ops/pool-argmax.ts) against a plain JS window walk: 1-D and 2-D windows with
// pads, strides, dilations and ceil mode, ties (the first tap wins), row- and column-major
// indices; storage_order 1 on a 1-D pool is KC0402.
import { describe, expect, it } from 'vitest';
import { forEachIndex, prod } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

interface Win { kernel: number[]; strides: number[]; pads: number[]; dilations: number[]; ceil: boolean }

function outDim(x: number, i: number, w: Win): number {
  const S = w.kernel.length, span = x + w.pads[i] + w.pads[i + S] - (w.dilations[i] * (w.kernel[i] - 1) + 1);
  const f = w.ceil ? Math.min(Math.ceil(span / w.strides[i]) + 1, Math.ceil((x + w.pads[i]) / w.strides[i]))
    : Math.floor(span / w.strides[i]) + 1;
  return f;
}

function argmaxRef(x: number[], shape: number[], w: Win, colMajor: boolean): { y: number[]; ind: number[] } {
  const X = shape.slice(2), O = X.map((d, i) => outDim(d, i, w)), y: number[] = [], ind: number[] = [];
  const plane = prod(X);
  forEachIndex([shape[0], shape[1], ...O], ([n, c, ...o]) => {
    let best = -Infinity, at = 0;
    forEachIndex(w.kernel, (k) => {
      const p = o.map((v, i) => v * w.strides[i] + k[i] * w.dilations[i] - w.pads[i]);
      if (!p.every((v, i) => v >= 0 && v < X[i])) return;
      const sp = colMajor ? p[0] + p[1] * X[0] : p.reduce((a, v, i) => a * X[i] + v, 0);
      const v = x[(n * shape[1] + c) * plane + p.reduce((a, q, i) => a * X[i] + q, 0)];
      if (v > best) { best = v; at = (n * shape[1] + c) * plane + sp; }
    });
    y.push(best); ind.push(at);
  });
  return { y, ind };
}

describe('max_pool_argmax', () => {
  const cases: [string, number[], Win, boolean][] = [
    ['2-D 3x3 pad 1', [1, 2, 5, 6],
      { kernel: [3, 3], strides: [1, 1], pads: [1, 1, 1, 1], dilations: [1, 1], ceil: false }, false],
    ['2-D stride 2 ceil', [2, 1, 5, 5],
      { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceil: true }, false],
    ['2-D dilated, column-major', [1, 1, 6, 5], { kernel: [2, 2], strides: [1, 2], pads: [0, 1, 1, 0],
      dilations: [2, 1], ceil: false }, true],
    ['1-D', [1, 3, 9], { kernel: [3], strides: [2], pads: [1, 1], dilations: [1], ceil: false }, false],
  ];
  for (const [what, shape, w, col] of cases) {
    it(what, () => {
      // Values with ties (i % 7) check that the first tap of the window wins.
      const x = Array.from({ length: prod(shape) }, (_, i) => (i * 5) % 7);
      const r = runTyped('max_pool_argmax', [tin('float32', shape, x)], { kernel: w.kernel,
        strides: w.strides, pads: w.pads, dilations: w.dilations, ceilMode: w.ceil ? 1 : 0,
        storageOrder: col ? 1 : 0 });
      expect(r.status).toBe(0);
      const want = argmaxRef(x, shape, w, col);
      expect(r.outputs[0]).toEqual(want.y);
      expect(r.outputs[1]).toEqual(want.ind);
    });
  }
  it('storage_order 1 on a 1-D pool is KC0402', () => {
    expect(() => inferTyped('max_pool_argmax', [tin('float32', [1, 1, 4], [1, 2, 3, 4])],
      { kernel: [2], storageOrder: 1 })).toThrow(/KC0402/);
  });
});
