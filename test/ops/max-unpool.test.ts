// max_unpool (ir/ops/max-unpool.ts) against a plain JS reference: 1-D and 2-D windows with
// strides and pads, the inferred shape and a larger given output shape (indices keep their
// coordinates); an index out of range fails with INDEX_OUT_OF_RANGE; bad indices are KC0402.
import { describe, expect, it } from 'vitest';
import { KernelStatus } from '../../ir/kernel-status.js';
import { prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

function unpoolRef(x: number[], ind: number[], inner: number[], outShape: number[]): number[] {
  const out = new Array<number>(prod(outShape)).fill(0), si = strides(inner), so = strides(outShape);
  ind.forEach((flat, e) => {
    const off = inner.reduce((a, _, d) => a + (Math.floor(flat / si[d]) % inner[d]) * so[d], 0);
    out[off] = x[e];
  });
  return out;
}

describe('max_unpool', () => {
  const cases: [string, number[], number[], number[], number[], number[], number[] | null][] = [
    // name, x shape, kernel, strides, pads, unpooled shape, given output shape
    ['2-D 2x2 stride 2', [1, 2, 2, 2], [2, 2], [2, 2], [0, 0, 0, 0], [1, 2, 4, 4], null],
    ['2-D padded, stride 1', [2, 1, 3, 3], [3, 3], [1, 1], [1, 1, 1, 1], [2, 1, 3, 3], null],
    ['1-D stride 3', [1, 3, 4], [2], [3], [0, 1], [1, 3, 10], null],
    ['2-D into a larger output', [1, 1, 2, 2], [2, 2], [2, 2], [0, 0, 0, 0], [1, 1, 4, 4], [1, 1, 5, 6]],
  ];
  for (const [what, xs, kernel, st, pads, inner, given] of cases) {
    it(what, () => {
      const n = prod(xs), total = prod(inner);
      const x = Array.from({ length: n }, (_, i) => i + 1);
      const ind = Array.from({ length: n }, (_, i) => (i * 7 + 3) % total);
      const ins = [tin('float32', xs, x), tin('int64', xs, ind),
        given ? tin('int64', [4], given, true) : null];
      const r = runTyped('max_unpool', ins, { kernel, strides: st, pads });
      expect(r.status).toBe(0);
      expect(r.outputs[0]).toEqual(unpoolRef(x, ind, inner, given ?? inner));
    });
  }
  it('an index past the unpooled tensor fails; mismatched indices are KC0402', () => {
    const a = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0] };
    const x = tin('float32', [1, 1, 1, 2], [1, 2]);
    for (const bad of [8, -1]) {  // the unpooled tensor is [1, 1, 2, 4]
      const r = runTyped('max_unpool', [x, tin('int64', [1, 1, 1, 2], [0, bad])], a);
      expect(r.status).toBe(KernelStatus.INDEX_OUT_OF_RANGE);
    }
    const small = runTyped('max_unpool', [x, tin('int64', [1, 1, 1, 2], [0, 7]),
      tin('int64', [4], [1, 1, 2, 3], true)], a);
    expect(small.status).toBe(KernelStatus.INDEX_OUT_OF_RANGE);
    expect(() => inferTyped('max_unpool', [x, tin('int32', [1, 1, 1, 2], [0, 1])], a)).toThrow(/KC0402/);
  });
});
