// col2im (ir/ops/col2im.ts) against a plain JS reference that walks every block position and
// block element: 1-D, 2-D and 3-D images, strides, dilations and pads (elements in the padding
// dropped, overlaps summed); a wrong block-position count or channel multiple is KC0402.
import { describe, expect, it } from 'vitest';
import { forEachIndex, prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

interface Win { dil: number[]; pads: number[]; st: number[] }

const grid = (img: number[], block: number[], w: Win) => img.map((s, d) =>
  Math.floor((s + w.pads[d] + w.pads[d + img.length] - (w.dil[d] * (block[d] - 1) + 1)) / w.st[d]) + 1);

function col2imRef(x: number[], N: number, C: number, img: number[], block: number[], w: Win): number[] {
  const out = new Array<number>(N * C * prod(img)).fill(0), g = grid(img, block, w);
  const B = prod(block), L = prod(g), so = strides([N, C, ...img]);
  let e = 0;
  for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) {
    forEachIndex(block, (k) => forEachIndex(g, (p) => {
      const pix = p.map((v, d) => v * w.st[d] - w.pads[d] + k[d] * w.dil[d]);
      const v = x[e++];
      if (pix.every((q, d) => q >= 0 && q < img[d])) {
        out[n * so[0] + c * so[1] + pix.reduce((a, q, d) => a + q * so[d + 2], 0)] += v;
      }
    }));
  }
  expect(e).toBe(N * C * B * L);
  return out;
}

describe('col2im', () => {
  const cases: [string, number, number, number[], number[], Win][] = [
    ['2-D 2x2 blocks of 5x5', 1, 1, [5, 5], [2, 2], { dil: [1, 1], pads: [0, 0, 0, 0], st: [1, 1] }],
    ['2-D strides and pads', 2, 2, [5, 4], [3, 2], { dil: [1, 1], pads: [1, 0, 1, 1], st: [2, 1] }],
    ['2-D dilations', 1, 3, [6, 6], [2, 2], { dil: [2, 3], pads: [0, 0, 0, 0], st: [1, 1] }],
    ['1-D', 2, 1, [7], [3], { dil: [1], pads: [2, 1], st: [2] }],
    ['3-D', 1, 2, [3, 4, 3], [2, 2, 1], { dil: [1, 1, 1], pads: [0, 1, 0, 0, 0, 1], st: [1, 2, 1] }],
  ];
  for (const [what, N, C, img, block, w] of cases) {
    it(what, () => {
      const L = prod(grid(img, block, w)), CB = C * prod(block);
      const x = Array.from({ length: N * CB * L }, (_, i) => ((i * 7) % 11) - 5);
      const r = runTyped('col2im', [tin('float32', [N, CB, L], x), tin('int64', [img.length], img, true),
        tin('int64', [block.length], block, true)], { dilations: w.dil, pads: w.pads, strides: w.st });
      expect(r.status).toBe(0);
      expect(r.outputs[0]).toEqual(col2imRef(x, N, C, img, block, w));
    });
  }
  it('a wrong block-position count or channel multiple is KC0402', () => {
    const shapes = (cb: number, l: number) => [tin('float32', [1, cb, l], new Array<number>(cb * l).fill(0)),
      tin('int64', [2], [5, 5], true), tin('int64', [2], [2, 2], true)];
    expect(inferTyped('col2im', shapes(4, 16), {})[0].shape).toEqual([1, 1, 5, 5]);
    expect(() => inferTyped('col2im', shapes(4, 15), {})).toThrow(/KC0402/);
    expect(() => inferTyped('col2im', shapes(6, 16), {})).toThrow(/KC0402/);
  });
});
