// scatter_elements, scatter_nd and gather_nd (ir/ops/scatter.ts) against JS references: each
// reduction, every axis, negative indices, duplicates (applied in order), ScatterND with element
// and slice indices, GatherND with batch_dims; an index out of range fails the kernel with
// INDEX_OUT_OF_RANGE; shape errors are KC0402.
import { describe, expect, it } from 'vitest';
import { KernelStatus } from '../../ir/kernel-status.js';
import { prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

const COMBINE: Record<string, (a: number, b: number) => number> = {
  none: (_a, b) => b, add: (a, b) => a + b, mul: (a, b) => a * b, max: Math.max, min: Math.min,
};

const seqData = (n: number, k = 1) => Array.from({ length: n }, (_, i) => ((i * 3 + k) % 7) - 2);
const wrap = (i: number, d: number) => (i < 0 ? i + d : i);

function scatterElementsRef(data: number[], ds: number[], ind: number[], is: number[], upd: number[],
  axis: number, red: string): number[] {
  const out = [...data], st = strides(ds), ist = strides(is);
  ind.forEach((v, u) => {
    let off = 0;
    is.forEach((_, d) => {
      const c = Math.floor(u / ist[d]) % is[d];
      off += (d === axis ? wrap(v, ds[axis]) : c) * st[d];
    });
    out[off] = COMBINE[red](out[off], upd[u]);
  });
  return out;
}

function scatterNdRef(data: number[], ds: number[], ind: number[], is: number[], upd: number[], red: string) {
  const out = [...data], k = is[is.length - 1], st = strides(ds), S = prod(ds.slice(k));
  for (let m = 0; m < prod(is.slice(0, -1)); m++) {
    const base = Array.from({ length: k }, (_, j) => wrap(ind[m * k + j], ds[j]) * st[j])
      .reduce((a, b) => a + b, 0);
    for (let s = 0; s < S; s++) out[base + s] = COMBINE[red](out[base + s], upd[m * S + s]);
  }
  return out;
}

describe('scatter_elements', () => {
  for (const red of Object.keys(COMBINE)) {
    for (const [ds, is, axis] of [[[4, 5], [2, 5], 0], [[4, 5], [4, 3], 1], [[3, 4, 2], [3, 2, 2], 1],
      [[6], [4], 0]] as [number[], number[], number][]) {
      it(`${red} data ${JSON.stringify(ds)} indices ${JSON.stringify(is)} axis ${axis}`, () => {
        const data = seqData(prod(ds)), upd = seqData(prod(is), 3);
        const ind = Array.from({ length: prod(is) }, (_, i) => ((i * 5) % (2 * ds[axis])) - ds[axis]);
        const r = runTyped('scatter_elements', [tin('float32', ds, data), tin('int64', is, ind),
          tin('float32', is, upd)], { axis, reduction: red });
        expect(r.status).toBe(0);
        expect(r.outputs[0]).toEqual(scatterElementsRef(data, ds, ind, is, upd, axis, red));
      });
    }
  }
  it('an index out of range fails the kernel', () => {
    const r = runTyped('scatter_elements', [tin('float32', [3], [1, 2, 3]), tin('int32', [1], [3]),
      tin('float32', [1], [9])], { axis: 0 });
    expect(r.status).toBe(KernelStatus.INDEX_OUT_OF_RANGE);
    const r2 = runTyped('scatter_elements', [tin('float32', [3], [1, 2, 3]), tin('int32', [1], [-4]),
      tin('float32', [1], [9])], { axis: 0 });
    expect(r2.status).toBe(KernelStatus.INDEX_OUT_OF_RANGE);
  });
  it('mismatched ranks and dtypes -> KC0402', () => {
    expect(() => inferTyped('scatter_elements', [tin('float32', [3, 2], [0, 0, 0, 0, 0, 0]),
      tin('int64', [2], [0, 1]), tin('float32', [2], [1, 1])], {})).toThrow(/KC0402/);
    expect(() => inferTyped('scatter_elements', [tin('float32', [3], [0, 0, 0]),
      tin('int64', [2], [0, 1]), tin('int64', [2], [1, 1])], {})).toThrow(/KC0402/);
  });
});

describe('scatter_nd', () => {
  for (const red of Object.keys(COMBINE)) {
    for (const [ds, is] of [[[4, 4, 4], [2, 1]], [[4, 3], [3, 2]], [[2, 3, 4], [2, 2, 2]], [[5], [3, 1]]]) {
      it(`${red} data ${JSON.stringify(ds)} indices ${JSON.stringify(is)}`, () => {
        const k = is[is.length - 1], us = [...is.slice(0, -1), ...ds.slice(k)];
        const data = seqData(prod(ds)), upd = seqData(prod(us), 2);
        const ind = Array.from({ length: prod(is) }, (_, i) => {
          const d = ds[i % k];
          return ((i * 7 + 1) % (2 * d)) - d;
        });
        const r = runTyped('scatter_nd',
          [tin('float32', ds, data), tin('int64', is, ind), tin('float32', us, upd)], { reduction: red });
        expect(r.status).toBe(0);
        expect(r.outputs[0]).toEqual(scatterNdRef(data, ds, ind, is, upd, red));
      });
    }
  }
  it('an index out of range fails; k > rank is KC0402', () => {
    const r = runTyped('scatter_nd', [tin('float32', [2, 2], [1, 2, 3, 4]), tin('int64', [1, 2], [0, 2]),
      tin('float32', [1], [9])], {});
    expect(r.status).toBe(KernelStatus.INDEX_OUT_OF_RANGE);
    expect(() => inferTyped('scatter_nd', [tin('float32', [2], [1, 2]), tin('int64', [1, 2], [0, 0]),
      tin('float32', [1], [9])], {})).toThrow(/KC0402/);
  });
});

describe('gather_nd', () => {
  function gatherNdRef(data: number[], ds: number[], ind: number[], is: number[], b: number): number[] {
    const k = is[is.length - 1], st = strides(ds), B = prod(ds.slice(0, b));
    const M = prod(is.slice(b, -1)), S = prod(ds.slice(b + k)), out: number[] = [];
    for (let bi = 0; bi < B; bi++) {
      for (let m = 0; m < M; m++) {
        let off = bi * (b ? st[b - 1] : 0);
        for (let j = 0; j < k; j++) off += wrap(ind[(bi * M + m) * k + j], ds[b + j]) * st[b + j];
        for (let s = 0; s < S; s++) out.push(data[off + s]);
      }
    }
    return out;
  }
  const cases: [number[], number[], number][] = [[[2, 2], [2, 2], 0], [[2, 2], [2, 1], 0],
    [[2, 2, 2], [2, 1, 2], 0], [[2, 2, 2], [2, 1], 1], [[3, 4, 5], [3, 2, 2], 1],
    [[2, 3, 4, 2], [2, 3, 1], 2]];
  for (const [ds, is, b] of cases) {
    it(`data ${JSON.stringify(ds)} indices ${JSON.stringify(is)} batch_dims ${b}`, () => {
      const k = is[is.length - 1], data = seqData(prod(ds), 4);
      const ind = Array.from({ length: prod(is) }, (_, i) => {
        const d = ds[b + (i % k)];
        return ((i * 5 + 2) % (2 * d)) - d;
      });
      const r = runTyped('gather_nd', [tin('int32', ds, data), tin('int64', is, ind)], { batchDims: b });
      expect(r.status).toBe(0);
      expect(r.types[0].shape).toEqual([...is.slice(0, -1), ...ds.slice(b + k)]);
      expect(r.outputs[0]).toEqual(gatherNdRef(data, ds, ind, is, b));
    });
  }
  it('an index out of range fails the kernel', () => {
    const r = runTyped('gather_nd', [tin('float32', [2, 2], [1, 2, 3, 4]), tin('int64', [1, 2], [1, 2])], {});
    expect(r.status).toBe(KernelStatus.INDEX_OUT_OF_RANGE);
  });
});
