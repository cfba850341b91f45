// range / constant_of_shape / expand / trilu vs JS references; symbolic lengths and known contents.
import { describe, expect, it } from 'vitest';
import { makeConst } from '../../ir/const.js';
import { dimKey, sym } from '../../ir/dim.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

describe('range', () => {
  const cases: [number, number, number][] = [[0, 5, 1], [10, 4, -3], [1, 2, 5], [5, 1, 1], [-2, 7, 2]];
  for (const [s, l, d] of cases) {
    it(`int64 ${s}..${l} by ${d}`, () => {
      const r = runTyped('range', [s, l, d].map((v) => tin('int64', [], [v], true)), {});
      const want: number[] = [];
      for (let v = s; d > 0 ? v < l : v > l; v += d) want.push(v);
      expect(r.outputs[0]).toEqual(want);
      expect(r.types[0].elems).toEqual(want);
    });
  }
  it('float32 with constant bounds', () => {
    const r = runTyped('range', [tin('float32', [], [1], true), tin('float32', [], [2], true),
      tin('float32', [], [0.25], true)], {});
    expect(r.outputs[0]).toEqual([1, 1.25, 1.5, 1.75]);
  });
  it('delta 0 -> KC0401', () => {
    expect(() => inferTyped('range', [0, 3, 0].map((v) => tin('int64', [], [v], true)),
      {})).toThrow(/KC0401/);
  });
});

describe('constant_of_shape', () => {
  it('fills with the value and knows short integer results', () => {
    const value = makeConst('int64', [1], [7]);
    const r = runTyped('constant_of_shape', [tin('int64', [2], [2, 3], true)], { value });
    expect(r.outputs[0]).toEqual([7, 7, 7, 7, 7, 7]);
    const [y] = inferTyped('constant_of_shape', [tin('int64', [1], [3], true)], { value });
    expect(y.elems).toEqual([7, 7, 7]);
  });
  it('defaults to float32 zeros; a scalar for an empty shape', () => {
    const r = runTyped('constant_of_shape', [tin('int64', [0], [], true)], {});
    expect(r.types[0]).toEqual({ dtype: 'float32', shape: [] });
    expect(r.outputs[0]).toEqual([0]);
  });
});

describe('expand', () => {
  it('numpy broadcasting, a 1 in the target keeps the input dim', () => {
    const r = runTyped('expand', [tin('float32', [3, 1], [1, 2, 3]), tin('int64', [3], [2, 1, 4], true)], {});
    expect(r.types[0].shape).toEqual([2, 3, 4]);
    expect(r.outputs[0]).toEqual([1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3, 1, 1, 1, 1, 2, 2, 2, 2, 3, 3, 3, 3]);
  });
  it('a symbolic input dim that is 1 at run time broadcasts', () => {
    const r = runTyped('expand', [tin('float32', [1, 2], [5, 6], false, [sym('a'), 2]),
      tin('int64', [2], [3, 2], true)], {});
    expect(r.types[0].shape.map(dimKey)).toEqual(['3', '2']);
    expect(r.outputs[0]).toEqual([5, 6, 5, 6, 5, 6]);
  });
  it('incompatible dims -> KC0402', () => {
    expect(() => inferTyped('expand', [tin('float32', [3], [0, 0, 0]), tin('int64', [1], [4], true)], {}))
      .toThrow(/KC0402/);
  });
});

describe('trilu', () => {
  const x = Array.from({ length: 12 }, (_, i) => i + 1);
  const ref = (upper: boolean, k: number) => x.map((v, i) => {
    const d = (i % 4) - Math.floor(i / 4);
    return (upper ? d >= k : d <= k) ? v : 0;
  });
  for (const upper of [true, false]) {
    for (const k of [0, 1, -1, 5]) {
      it(`upper=${upper} k=${k}`, () => {
        const r = runTyped('trilu', [tin('float32', [3, 4], x), tin('int64', [], [k], true)],
          { upper: Number(upper) });
        expect(r.outputs[0]).toEqual(ref(upper, k));
      });
    }
  }
  it('k read at run time, batched', () => {
    const r = runTyped('trilu', [tin('float32', [2, 3, 4], [...x, ...x]), tin('int64', [], [1])],
      { upper: 1 });
    expect(r.outputs[0]).toEqual([...ref(true, 1), ...ref(true, 1)]);
  });
});
