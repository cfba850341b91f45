// slice / split vs JS references: ONNX clamping (negative, out-of-range, INT64_MAX sentinels,
// negative steps), symbolic dims and starts/ends, known contents; split by sizes and by count.
import { describe, expect, it } from 'vitest';
import { dimKey, evalDim, sym } from '../../ir/dim.js';
import { clampIndex, sliceLength } from '../../ir/ops/slice.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

const BIG = 2 ** 63; // INT64_MAX as the nearest double

/** numpy-style 1-D slice with ONNX clamping. */
function ref1(x: number[], s: number, e: number, k: number): number[] {
  const D = x.length;
  const norm = (v: number) => (v < 0 ? v + D : v);
  const lo = k > 0 ? 0 : -1, hiS = k > 0 ? D : D - 1;
  const b = Math.min(Math.max(norm(s), 0), hiS), st = Math.min(Math.max(norm(e), lo), k > 0 ? D : D - 1);
  const out: number[] = [];
  for (let i = b; k > 0 ? i < st : i > st; i += k) out.push(x[i]);
  return out;
}

describe('slice', () => {
  const x = Array.from({ length: 10 }, (_, i) => i);
  const cases: [number, number, number][] = [
    [2, 7, 1], [0, -1, 1], [-3, BIG, 1], [1, 1000, 3], [9, -BIG, -1], [-1, -11, -2], [5, 2, 1],
    [1000, 5, -1], [-100, 3, 1], [3, 3, 1],
  ];
  for (const [s, e, k] of cases) {
    it(`[${s}:${e}:${k}] of 10`, () => {
      const r = runTyped('slice',
        [tin('float32', [10], x), tin('int64', [1], [s], true), tin('int64', [1], [e], true)],
        { axes: [0], steps: [k] });
      expect(r.outputs[0]).toEqual(ref1(x, s, e, k));
    });
    it(`[${s}:${e}:${k}] of a symbolic n = 10`, () => {
      const { begin, len } = sliceLength(s, e, k, sym('n'));
      const env = new Map([['n', 10]]);
      const want = ref1(x, s, e, k);
      expect(evalDim(len, env)).toBe(want.length);
      if (want.length) expect(evalDim(begin, env)).toBe(x.indexOf(want[0]));
    });
  }
  it('symbolic starts/ends clamp with dim arithmetic', () => {
    const s = sym('@5.0');
    for (const sv of [-20, -3, 0, 4, 20]) {
      const got = evalDim(clampIndex(s, sym('n'), 0), new Map([['@5.0', sv], ['n', 10]]));
      expect(got).toBe(Math.min(Math.max(sv < 0 ? sv + 10 : sv, 0), 10));
    }
  });
  it('keeps a shape symbolic: x[:, 1:] of [b, s]', () => {
    const [y] = inferTyped('slice', [tin('float32', [2, 5], [], false, [sym('b'), sym('s')]),
      tin('int64', [1], [1], true), tin('int64', [1], [BIG], true)], { axes: [1], steps: [1] });
    expect(y.shape.map(dimKey)).toEqual(['b', 'max(-1*min(1,s)+s,0)']);
  });
  it('slicing a known shape keeps its elements', () => {
    const [y] = inferTyped('slice', [tin('int64', [4], [2, 3, 5, 7], true), tin('int64', [1], [1], true),
      tin('int64', [1], [-1], true)], { axes: [0], steps: [1] });
    expect(y.elems).toEqual([3, 5]);
  });
  it('rejects step 0', () => {
    expect(() => inferTyped('slice', [tin('float32', [4], [0, 0, 0, 0]), tin('int64', [1], [0], true),
      tin('int64', [1], [2], true)], { axes: [0], steps: [0] })).toThrow(/KC0401/);
  });
});

describe('split', () => {
  const x = Array.from({ length: 12 }, (_, i) => i);
  it('sizes along axis 1', () => {
    const r = runTyped('split', [tin('float32', [2, 6], x)], { axis: 1, split: [1, 2, 3], numOutputs: 3 });
    expect(r.outputs).toEqual([[0, 6], [1, 2, 7, 8], [3, 4, 5, 9, 10, 11]]);
  });
  it('equal chunks with a smaller last one (opset 18)', () => {
    const r = runTyped('split', [tin('float32', [7], x.slice(0, 7))], { axis: 0, split: [], numOutputs: 3 });
    expect(r.outputs).toEqual([[0, 1, 2], [3, 4, 5], [6]]);
  });
  it('sizes from a constant input; symbolic axis splits evenly', () => {
    const r = runTyped('split', [tin('float32', [4, 3], x), tin('int64', [2], [1, 3], true)], { axis: 0 });
    expect(r.outputs[1]).toEqual(x.slice(3));
    const ts = inferTyped('split', [tin('float32', [4], [], false, [sym('n')])], { axis: 0, numOutputs: 2 });
    expect(ts.map((ty) => dimKey(ty.shape[0]))).toEqual(['-1*(-1*n//2)', '(-1*n//2)+n']);
  });
  it('sizes that do not add up -> KC0402', () => {
    expect(() => inferTyped('split', [tin('float32', [5], [])],
      { axis: 0, split: [2, 2] })).toThrow(/KC0402/);
  });
});
