// tile, eye_like, one_hot and hardmax (ir/ops/tile-onehot.ts) against JS references: repeats
// per axis (0 and 1 too), diagonals above and below, one_hot on every axis with negative and
// out-of-range indices, hardmax on every axis with ties (the first maximum wins) and coerce2d.
import { describe, expect, it } from 'vitest';
import { prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

const seqData = (n: number) => Array.from({ length: n }, (_, i) => ((i * 5) % 7) - 3);

describe('tile', () => {
  for (const [xs, reps] of [[[3], [2]], [[2, 3], [2, 1]], [[2, 3], [1, 3]], [[2, 1, 3], [2, 2, 0]]]) {
    it(`${JSON.stringify(xs)} x ${JSON.stringify(reps)}`, () => {
      const x = seqData(prod(xs)), os = xs.map((d, i) => d * reps[i]);
      const r = runTyped('tile', [tin('float32', xs, x), tin('int64', [reps.length], reps, true)], {});
      expect(r.types[0].shape).toEqual(os);
      const xst = strides(xs), ost = strides(os);
      const want = Array.from({ length: prod(os) }, (_, e) =>
        x[os.reduce((o, d, i) => o + (Math.floor(e / ost[i]) % d % xs[i]) * xst[i], 0)]);
      expect(r.outputs[0]).toEqual(want);
    });
  }
  it('repeats of the wrong length or negative -> KC0402', () => {
    const x = tin('float32', [2, 2], [1, 2, 3, 4]);
    expect(() => inferTyped('tile', [x, tin('int64', [1], [2], true)], {})).toThrow(/KC0402/);
    expect(() => inferTyped('tile', [x, tin('int64', [2], [1, -1], true)], {})).toThrow(/KC0402/);
  });
});

describe('eye_like', () => {
  for (const [shape, k] of [[[3, 3], 0], [[3, 4], 1], [[4, 3], -2], [[2, 5], 7]] as [number[], number][]) {
    it(`${JSON.stringify(shape)} k ${k}`, () => {
      const x = tin('int32', shape, new Array<number>(prod(shape)).fill(5));
      const r = runTyped('eye_like', [x], { k, to: 'float64' });
      expect(r.types[0].dtype).toBe('float64');
      const want = Array.from({ length: prod(shape) }, (_, e) =>
        Number(e % shape[1] - Math.floor(e / shape[1]) === k));
      expect(r.outputs[0]).toEqual(want);
    });
  }
});

describe('one_hot', () => {
  for (const axis of [-3, -2, -1, 0, 1, 2]) {
    it(`indices [2, 3], depth 4, axis ${axis}`, () => {
      const ind = [0, 3, -1, -4, 4, -5], is = [2, 3], depth = 4;
      const r = runTyped('one_hot', [tin('int64', is, ind), tin('int64', [1], [depth], true),
        tin('float32', [2], [-1, 7])], { axis });
      const a = axis < 0 ? axis + 3 : axis;
      const os = [...is]; os.splice(a, 0, depth);
      expect(r.types[0].shape).toEqual(os);
      const ost = strides(os);
      const want = Array.from({ length: prod(os) }, (_, e) => {
        const c = os.map((d, i) => Math.floor(e / ost[i]) % d);
        const pos = c.filter((_, i) => i !== a), v = ind[pos[0] * 3 + pos[1]];
        return (v < 0 ? v + depth : v) === c[a] ? 7 : -1;
      });
      expect(r.outputs[0]).toEqual(want);
    });
  }
});

describe('hardmax', () => {
  function ref(x: number[], xs: number[], axis: number, coerce: boolean): number[] {
    const L = coerce ? prod(xs.slice(axis)) : xs[axis], inner = coerce ? 1 : prod(xs.slice(axis + 1));
    const out = new Array<number>(x.length).fill(0);
    for (let p = 0; p < x.length / L; p++) {
      const base = Math.floor(p / inner) * L * inner + (p % inner);
      let bi = 0;
      for (let l = 1; l < L; l++) if (x[base + l * inner] > x[base + bi * inner]) bi = l;
      out[base + bi * inner] = 1;
    }
    return out;
  }
  const xs = [3, 4, 5];
  for (const axis of [0, 1, 2]) {
    for (const coerce2d of [0, 1]) {
      it(`[3, 4, 5] axis ${axis} coerce2d ${coerce2d}`, () => {
        const x = seqData(prod(xs)); // many ties: the first maximum must win
        const r = runTyped('hardmax', [tin('float32', xs, x)], { axis, coerce2d });
        expect(r.outputs[0]).toEqual(ref(x, xs, axis, !!coerce2d));
      });
    }
  }
  it('integer input -> KC0402', () => {
    expect(() => inferTyped('hardmax', [tin('int32', [2], [1, 2])], {})).toThrow(/KC0402/);
  });
});
