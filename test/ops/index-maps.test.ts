// reverse_sequence and tensor_scatter (ir/ops/index-maps.ts) against plain JS references: both
// axis layouts and lengths 0..T; linear and circular writes with and without write indices,
// on the default and another axis; lengths and write positions out of range fail the kernel
// with INDEX_OUT_OF_RANGE; mismatched shapes are KC0402.
import { describe, expect, it } from 'vitest';
import { KernelStatus } from '../../ir/kernel-status.js';
import { forEachIndex, prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

const data = (n: number) => Array.from({ length: n }, (_, i) => i * 0.5 - 3);
const offset = (idx: number[], shape: number[]) => idx.reduce((a, c, i) => a + c * strides(shape)[i], 0);

function reverseRef(x: number[], shape: number[], lens: number[], b: number, t: number): number[] {
  const out: number[] = [];
  forEachIndex(shape, (idx) => {
    const len = lens[idx[b]], src = [...idx];
    if (idx[t] < len) src[t] = len - 1 - idx[t];
    out.push(x[offset(src, shape)]);
  });
  return out;
}

function tensorScatterRef(past: number[], ps: number[], upd: number[], us: number[], w: number[],
  axis: number, circular: boolean): number[] {
  const out = [...past];
  forEachIndex(us, (idx) => {
    const dst = [...idx];
    dst[axis] = w[idx[0]] + idx[axis];
    if (circular) dst[axis] %= ps[axis];
    out[offset(dst, ps)] = upd[offset(idx, us)];
  });
  return out;
}

describe('reverse_sequence', () => {
  const cases: [number[], number, number, number[]][] = [
    [[4, 3, 2], 1, 0, [4, 0, 1]], [[3, 5], 0, 1, [5, 2, 0]], [[2, 4, 3], 0, 1, [3, 4]],
  ];
  for (const [shape, batchAxis, timeAxis, lens] of cases) {
    it(`${JSON.stringify(shape)} batch ${batchAxis} time ${timeAxis} lens ${JSON.stringify(lens)}`, () => {
      const x = data(prod(shape));
      const r = runTyped('reverse_sequence', [tin('float32', shape, x), tin('int64', [lens.length], lens)],
        { batchAxis, timeAxis });
      expect(r.status).toBe(0);
      expect(r.outputs[0]).toEqual(reverseRef(x, shape, lens, batchAxis, timeAxis));
    });
  }
  it('a length above T or below 0 fails; a wrong lens length and one axis are KC0402', () => {
    for (const lens of [[5, 1, 1], [-1, 0, 0]]) {
      const r = runTyped('reverse_sequence', [tin('float32', [4, 3], data(12)), tin('int32', [3], lens)],
        { batchAxis: 1, timeAxis: 0 });
      expect(r.status).toBe(KernelStatus.INDEX_OUT_OF_RANGE);
    }
    const x = tin('float32', [4, 3], data(12));
    expect(() => inferTyped('reverse_sequence', [x, tin('int64', [4], [1, 1, 1, 1])],
      { batchAxis: 1, timeAxis: 0 })).toThrow(/KC0402/);
    expect(() => inferTyped('reverse_sequence', [x, tin('int64', [3], [1, 1, 1])],
      { batchAxis: 0, timeAxis: 0 })).toThrow(/KC0402/);
  });
});

describe('tensor_scatter', () => {
  const cases: [number[], number[], number, number[] | null, string][] = [
    [[2, 1, 5, 3], [2, 1, 2, 3], -2, [1, 3], 'linear'],
    [[2, 1, 5, 3], [2, 1, 2, 3], -2, null, 'linear'],
    [[3, 4, 2], [3, 3, 2], 1, [0, 3, 2], 'circular'],
    [[2, 3, 6], [2, 3, 4], 2, [5, 1], 'circular'],
  ];
  for (const [ps, us, axis, w, mode] of cases) {
    it(`${mode} cache ${JSON.stringify(ps)} update ${JSON.stringify(us)} axis ${axis} w ${w}`, () => {
      const past = data(prod(ps)), upd = data(prod(us)).map((v) => v + 100);
      const ins = [tin('float32', ps, past), tin('float32', us, upd), w ? tin('int64', [w.length], w) : null];
      const r = runTyped('tensor_scatter', ins, { axis, mode });
      expect(r.status).toBe(0);
      const ax = axis < 0 ? axis + ps.length : axis;
      expect(r.outputs[0]).toEqual(tensorScatterRef(past, ps, upd, us, w ?? new Array<number>(ps[0]).fill(0),
        ax, mode === 'circular'));
    });
  }
  it('a linear write past the end fails; axis 0 and mismatched dims are KC0402', () => {
    const r = runTyped('tensor_scatter', [tin('float32', [1, 4, 2], data(8)),
      tin('float32', [1, 2, 2], data(4)), tin('int64', [1], [3])], { axis: 1, mode: 'linear' });
    expect(r.status).toBe(KernelStatus.INDEX_OUT_OF_RANGE);
    expect(() => inferTyped('tensor_scatter', [tin('float32', [4, 2], data(8)),
      tin('float32', [2, 2], data(4))], { axis: 0 })).toThrow(/KC0402/);
    expect(() => inferTyped('tensor_scatter', [tin('float32', [1, 4, 2], data(8)),
      tin('float32', [1, 2, 3], data(6))], { axis: 1 })).toThrow(/KC0402/);
  });
});
