// det (ir/ops/det.ts) against a cofactor expansion written here (another algorithm than the
// kernel's LU): batches of random matrices, ones that need row swaps, singular ones (exactly 0),
// 1x1; a non-square or rank-1 input is KC0402.
import { describe, expect, it } from 'vitest';
import { prod } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

/** Determinant by expansion along the first row. */
function cofactorDet(m: number[][]): number {
  if (m.length === 1) return m[0][0];
  return m[0].reduce((acc, v, j) => {
    const minor = m.slice(1).map((row) => row.filter((_, c) => c !== j));
    return acc + (j % 2 ? -1 : 1) * v * cofactorDet(minor);
  }, 0);
}

function dets(x: number[], shape: number[]): number[] {
  const n = shape[shape.length - 1], count = prod(shape.slice(0, -2));
  return Array.from({ length: count }, (_, b) => cofactorDet(Array.from({ length: n },
    (_, i) => x.slice((b * n + i) * n, (b * n + i + 1) * n))));
}

describe('det', () => {
  const rand = (len: number, seed: number) =>
    Array.from({ length: len }, (_, i) => Math.sin(i * 2.3 + seed) * 2);
  const cases: [string, number[], number[]][] = [
    ['random 4x4', [4, 4], rand(16, 1)],
    ['batch [2, 3] of 3x3', [2, 3, 3, 3], rand(54, 2)],
    ['zero leading pivot', [3, 3], [0, 2, 1, 1, 0, 3, 4, 1, 0]],
    ['singular (equal rows)', [3, 3], [1, 2, 3, 1, 2, 3, 0, 1, 5]],
    ['zero column', [2, 2], [0, 1, 0, 3]],
    ['1x1 batch', [3, 1, 1], [2, -5, 0.5]],
    ['5x5 with swaps', [5, 5], [0, 0, 1, 2, 3, 0, 4, 1, 0, 2, 5, 1, 0, 0, 1, 2, 2, 2, 0, 1, 1, 0, 3, 1, 4]],
  ];
  for (const [what, shape, x] of cases) {
    it(what, () => {
      const r = runTyped('det', [tin('float32', shape, x)], {});
      expect(r.status).toBe(0);
      const want = dets(Array.from(Float32Array.from(x)), shape);
      expect(r.outputs[0].length).toBe(want.length);
      r.outputs[0].forEach((v, i) =>
        expect(Math.abs(v - want[i])).toBeLessThan(1e-4 * (1 + Math.abs(want[i]))));
    });
  }
  it('non-square and rank-1 inputs are KC0402', () => {
    expect(() => inferTyped('det', [tin('float32', [2, 3], new Array(6).fill(1))], {})).toThrow(/KC0402/);
    expect(() => inferTyped('det', [tin('float32', [4], new Array(4).fill(1))], {})).toThrow(/KC0402/);
  });
});
