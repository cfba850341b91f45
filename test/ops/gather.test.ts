// gather / gather_elements vs JS references (static and symbolic shapes), index wrapping, the
// out-of-range assert, and known contents (elems) of gathers on shape tensors.
import { describe, expect, it } from 'vitest';
import { dimKey, sym } from '../../ir/dim.js';
import { INDEX_OUT_OF_RANGE } from '../../ir/ops/gather.js';
import { prod } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

const iota = (n: number) => Array.from({ length: n }, (_, i) => i * 1.5 - 3);

function gatherRef(x: number[], xs: number[], ind: number[], is: number[], axis: number): number[] {
  const outer = prod(xs.slice(0, axis)), D = xs[axis], inner = prod(xs.slice(axis + 1));
  const out: number[] = [];
  for (let o = 0; o < outer; o++) for (const i of ind) for (let j = 0; j < inner; j++) {
    out.push(x[(o * D + (i < 0 ? i + D : i)) * inner + j]);
  }
  void is;
  return out;
}

describe('gather', () => {
  const cases: [number[], number[], number[], number][] = [
    [[5, 3], [2], [0, 4], 0], [[5, 3], [2, 2], [1, -1, 2, 0], 1], [[2, 3, 4], [], [2], 1],
    [[7], [3], [6, -7, 3], 0], [[3, 4, 2], [5], [0, 1, 2, 3, -4], 1],
  ];
  for (const [xs, is, ind, axis] of cases) {
    for (const idt of ['int64', 'int32'] as const) {
      it(`${JSON.stringify(xs)} indices ${JSON.stringify(ind)} axis ${axis} ${idt}`, () => {
        const x = iota(prod(xs));
        const r = runTyped('gather', [tin('float32', xs, x), tin(idt, is, ind)], { axis });
        expect(r.status).toBe(0);
        expect(r.outputs[0]).toEqual(gatherRef(x, xs, ind, is, axis));
      });
    }
  }
  it('symbolic rows: one kernel for every batch', () => {
    const x = iota(12);
    const r = runTyped('gather', [tin('float32', [4, 3], x), tin('int64', [2], [3, 1], false, [sym('n')])],
      { axis: 0 });
    expect(r.types[0].shape.map(dimKey)).toEqual(['n', '3']);
    expect(r.outputs[0]).toEqual(gatherRef(x, [4, 3], [3, 1], [2], 0));
  });
  it('out-of-range index fails the run with a status, never reads out of bounds', () => {
    const r = runTyped('gather', [tin('float32', [4, 3], iota(12)), tin('int64', [2], [1, 4])], { axis: 0 });
    expect(r.status).toBe(INDEX_OUT_OF_RANGE);
    const r2 = runTyped('gather', [tin('float32', [4], iota(4)), tin('int64', [1], [-5])], { axis: 0 });
    expect(r2.status).toBe(INDEX_OUT_OF_RANGE);
  });
  it('gather on a known shape with constant indices knows its elements', () => {
    const shape = { dtype: 'int64' as const, shape: [3], data: [2, 7, 5], konst: true };
    const [y] = inferTyped('gather', [shape, tin('int64', [], [-1], true)], { axis: 0 });
    expect(y.shape).toEqual([]);
    expect(y.elems).toEqual([5]);
    const [z] = inferTyped('gather', [shape, tin('int64', [2], [0, 2], true)], { axis: 0 });
    expect(z.elems).toEqual([2, 5]);
  });
  it('rejects float indices and bad axes', () => {
    expect(() => inferTyped('gather', [tin('float32', [3], [0, 0, 0]), tin('float32', [1], [0])],
      { axis: 0 }))
      .toThrow(/KC0402/);
    expect(() => inferTyped('gather', [tin('float32', [3], [0, 0, 0]), tin('int64', [1], [0])], { axis: 1 }))
      .toThrow(/KC0401/);
  });
});

describe('gather_elements', () => {
  it('axis 1 with negative indices', () => {
    const x = [1, 2, 3, 4, 5, 6];
    const r = runTyped('gather_elements', [tin('float32', [2, 3], x), tin('int64', [2, 2], [0, -1, 2, 1])],
      { axis: 1 });
    expect(r.outputs[0]).toEqual([1, 3, 6, 5]);
  });
  it('axis 0', () => {
    const r = runTyped('gather_elements', [tin('float32', [3, 2], [1, 2, 3, 4, 5, 6]),
      tin('int32', [2, 2], [2, 0, 1, 2])], { axis: 0 });
    expect(r.outputs[0]).toEqual([5, 2, 3, 6]);
  });
  it('out of range -> status', () => {
    const r = runTyped('gather_elements',
      [tin('float32', [2, 2], [1, 2, 3, 4]), tin('int64', [2, 2], [0, 2, 0, 0])],
      { axis: 1 });
    expect(r.status).toBe(INDEX_OUT_OF_RANGE);
  });
});
