// affine_grid (ir/ops/affine-grid.ts) against a plain JS reference of onnx's base grid: 2-D and
// 3-D, align_corners on and off, an axis of extent 1; a wrong theta or size is KC0402.
import { describe, expect, it } from 'vitest';
import { forEachIndex, prod } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

/** Base coordinate of index i on an axis of extent s. */
const base = (i: number, s: number, align: boolean) =>
  (align ? (s > 1 ? -1 + (2 * i) / (s - 1) : -1) : -1 + (2 * i + 1) / s);

function affineRef(theta: number[], size: number[], align: boolean): number[] {
  const r = size.length - 2, out: number[] = [];
  forEachIndex([size[0], ...size.slice(2)], (idx) => {
    const n = idx[0], sp = idx.slice(1);
    const b = [...Array.from({ length: r }, (_, k) => base(sp[r - 1 - k], size[2 + r - 1 - k], align)), 1];
    for (let c = 0; c < r; c++) {
      out.push(b.reduce((a, v, k) => a + theta[(n * r + c) * (r + 1) + k] * v, 0));
    }
  });
  return out;
}

describe('affine_grid', () => {
  const cases: [number[], boolean][] = [
    [[2, 1, 3, 4], false], [[2, 3, 3, 4], true], [[1, 1, 1, 5], true], [[2, 1, 2, 3, 4], false],
    [[1, 2, 3, 1, 2], true],
  ];
  for (const [size, align] of cases) {
    it(`size ${JSON.stringify(size)} align_corners ${align}`, () => {
      const r = size.length - 2, N = size[0];
      const theta = Array.from({ length: N * r * (r + 1) }, (_, i) => Math.cos(i * 0.9) * 1.5);
      const res = runTyped('affine_grid',
        [tin('float32', [N, r, r + 1], theta), tin('int64', [r + 2], size, true)],
        { alignCorners: align ? 1 : 0 });
      expect(res.status).toBe(0);
      const want = affineRef(theta, size, align);
      expect(res.outputs[0].length).toBe(prod([N, ...size.slice(2), r]));
      res.outputs[0].forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
    });
  }
  it('theta [N, 2, 4] and a size of the wrong length are KC0402', () => {
    expect(() => inferTyped('affine_grid', [tin('float32', [1, 2, 4], new Array(8).fill(0)),
      tin('int64', [4], [1, 1, 2, 2])], {})).toThrow(/KC0402/);
    expect(() => inferTyped('affine_grid', [tin('float32', [1, 2, 3], new Array(6).fill(0)),
      tin('int64', [5], [1, 1, 2, 2, 2])], {})).toThrow(/KC0402/);
  });
});
