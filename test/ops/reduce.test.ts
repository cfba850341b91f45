// The reduction table and arg_max/arg_min vs JS references (float64 accumulation), over the three
// schedules (innermost contiguous, inner kept axis vectorised, non-adjacent axes), keepdims,
// empty axes, symbolic shapes and empty reductions (identities).
import { describe, expect, it } from 'vitest';
import { dimKey, sym } from '../../ir/dim.js';
import { expectClose, rand } from './harness.js';
import { forEachIndex, prod } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

type Ref = { init: number; step: (a: number, x: number) => number; fin?: (a: number, n: number) => number };
const REFS: Record<string, Ref> = {
  reduce_sum: { init: 0, step: (a, x) => a + x },
  reduce_mean: { init: 0, step: (a, x) => a + x, fin: (a, n) => a / n },
  reduce_max: { init: -Infinity, step: Math.max },
  reduce_min: { init: Infinity, step: Math.min },
  reduce_prod: { init: 1, step: (a, x) => a * x },
  reduce_l1: { init: 0, step: (a, x) => a + Math.abs(x) },
  reduce_l2: { init: 0, step: (a, x) => a + x * x, fin: Math.sqrt },
  reduce_log_sum: { init: 0, step: (a, x) => a + x, fin: Math.log },
  reduce_log_sum_exp: { init: 0, step: (a, x) => a + Math.exp(x), fin: Math.log },
  reduce_sum_square: { init: 0, step: (a, x) => a + x * x },
};

function reduceRef(op: string, x: ArrayLike<number>, shape: number[], axes: number[],
  keep: boolean): number[] {
  const r = REFS[op], red = axes.length ? axes : shape.map((_, i) => i);
  const oshape = shape.map((d, i) => (red.includes(i) ? 1 : d));
  const acc = new Array<number>(prod(oshape)).fill(r.init);
  let k = 0;
  forEachIndex(shape, (idx) => {
    const o = idx.reduce((p, v, i) => p * oshape[i] + (red.includes(i) ? 0 : v), 0);
    acc[o] = r.step(acc[o], x[k++]);
  });
  const n = prod(red.map((a) => shape[a]));
  void keep;
  return acc.map((a) => (r.fin ? r.fin(a, n) : a));
}

describe('reductions', () => {
  const shapes: [number[], number[]][] = [
    [[3, 37], [1]], [[4, 5, 6], [1]], [[2, 3, 4, 5], [1, 2]], [[2, 3, 4], [0, 2]], [[5, 8], []],
      [[6, 7], [0]],
  ];
  for (const op of Object.keys(REFS)) {
    for (const [shape, axes] of shapes) {
      for (const keepdims of [1, 0]) {
        it(`${op} ${JSON.stringify(shape)} axes ${JSON.stringify(axes)} keepdims ${keepdims}`, () => {
          const x = Array.from(rand(prod(shape), 3), (v) => (op === 'reduce_log_sum' ? v + 1.5 : v));
          const r = runTyped(op, [tin('float32', shape, x)], { axes, keepdims, noopWithEmptyAxes: 0 });
          expectClose(Float32Array.from(r.outputs[0]), reduceRef(op, x, shape, axes, !!keepdims));
          const red = axes.length ? axes : shape.map((_, i) => i);
          const want = shape.flatMap((d, i) => (red.includes(i) ? (keepdims ? [1] : []) : [d]));
          expect(r.types[0].shape).toEqual(want);
        });
      }
    }
  }
  it('symbolic batch and row length', () => {
    const x = Array.from(rand(3 * 21, 4));
    const r = runTyped('reduce_mean', [tin('float32', [3, 21], x, false, [sym('b'), sym('n')])],
      { axes: [1], keepdims: 1 });
    expect(r.types[0].shape.map(dimKey)).toEqual(['b', '1']);
    expectClose(Float32Array.from(r.outputs[0]), reduceRef('reduce_mean', x, [3, 21], [1], true));
  });
  it('empty reductions give the identity', () => {
    for (const [op, want] of [['reduce_sum', 0], ['reduce_max', -Infinity], ['reduce_min', Infinity],
      ['reduce_prod', 1]] as const) {
      const r = runTyped(op, [tin('float32', [2, 0], [])], { axes: [1], keepdims: 0 });
      expect(r.outputs[0]).toEqual([want, want]);
    }
  });
  it('noopWithEmptyAxes copies; integer sums stay integers', () => {
    const r = runTyped('reduce_sum', [tin('float32', [2, 2], [1, 2, 3, 4])],
      { axes: [], noopWithEmptyAxes: 1 });
    expect(r.outputs[0]).toEqual([1, 2, 3, 4]);
    const s = runTyped('reduce_sum', [tin('int64', [2, 3], [1, 2, 3, 4, 5, 6])], { axes: [1], keepdims: 0 });
    expect(s.outputs[0]).toEqual([6, 15]);
  });
  it('bad axes -> KC0401', () => {
    expect(() => inferTyped('reduce_sum', [tin('float32', [2], [0, 0])], { axes: [1] })).toThrow(/KC0401/);
  });
});

describe('arg_max / arg_min', () => {
  const x = [1, 5, 5, 2, 9, 0, 3, 3, 9, 4, 1, 1];
  const cases: [string, number, number, number[]][] = [
    ['arg_max', 1, 0, [1, 0, 0]], ['arg_max', 1, 1, [2, 0, 0]], ['arg_min', 1, 0, [0, 1, 2]],
    ['arg_min', 1, 1, [0, 1, 3]], ['arg_max', 0, 0, [1, 0, 0, 1]], ['arg_max', 0, 1, [2, 0, 0, 1]],
  ];
  for (const [op, axis, last, want] of cases) {
    it(`${op} axis ${axis} selectLastIndex ${last}`, () => {
      const r = runTyped(op, [tin('float32', [3, 4], x)], { axis, keepdims: 0, selectLastIndex: last });
      expect(r.types[0].dtype).toBe('int64');
      expect(r.outputs[0]).toEqual(want);
    });
  }
});
