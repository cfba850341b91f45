// grid_sample vs a JS transcription of the ONNX reference (onnx/reference/ops/op_grid_sample.py:
// denormalise, round half to even for nearest, move outside coordinates by the padding mode,
// then interpolate axis by axis with per-tap padding), for every mode, padding and alignment on
// 1-D, 2-D and 3-D inputs, with grid points well outside [-1, 1]; the shape relation and its
// failures.
import { describe, expect, it } from 'vitest';
import { dimKey, sym } from '../../ir/dim.js';
import { forEachIndex, prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

interface Opts { mode: string; padding: string; alignCorners: number }

function reflect(x: number, lo: number, hi: number): number {
  const rng = hi - lo;
  if (rng <= 0) return lo;
  if (x < lo) {
    const dx = lo - x, n = Math.floor(dx / rng), r = dx - n * rng;
    return n % 2 === 0 ? lo + r : hi - r;
  }
  if (x > hi) {
    const dx = x - hi, n = Math.floor(dx / rng), r = dx - n * rng;
    return n % 2 === 0 ? hi - r : lo + r;
  }
  return x;
}

const roundEven = (v: number): number => {
  const f = Math.floor(v), d = v - f;
  if (d !== 0.5) return Math.round(v);
  return f % 2 === 0 ? f : f + 1;
};

function cubic(t: number): number[] {
  const A = -0.75;
  return [((A * (t + 1) - 5 * A) * (t + 1) + 8 * A) * (t + 1) - 4 * A, ((A + 2) * t - (A + 3)) * t * t + 1,
    ((A + 2) * (1 - t) - (A + 3)) * (1 - t) * (1 - t) + 1,
    ((A * (2 - t) - 5 * A) * (2 - t) + 8 * A) * (2 - t) - 4 * A];
}

/** GridSample of one (n, c) plane `data` (row-major, dims) at denormalised coordinates. */
function sample(data: number[], dims: number[], coords: number[], o: Opts): number {
  const r = dims.length, st = strides(dims);
  const lo = dims.map(() => (o.alignCorners ? 0 : -0.5));
  const hi = dims.map((d) => (o.alignCorners ? d - 1 : d - 0.5));
  const pixel = (idx: number[]): number => {
    let off = 0;
    for (let k = 0; k < r; k++) {
      let i = idx[k];
      if (o.padding === 'zeros') { if (i < 0 || i >= dims[k]) return 0; }
      else if (o.padding === 'border') i = Math.min(Math.max(i, 0), dims[k] - 1);
      else i = Math.trunc(reflect(i, lo[k], hi[k]));
      off += i * st[k];
    }
    return data[off];
  };
  const x = coords.map((c, k) => {
    let v = o.mode === 'nearest' ? roundEven(c) : c;
    if (v < lo[k] || v > hi[k]) {
      if (o.padding === 'border') v = Math.min(Math.max(v, 0), dims[k] - 1);
      else if (o.padding === 'reflection') v = reflect(v, lo[k], hi[k]);
    }
    return v;
  });
  if (o.mode === 'nearest') return pixel(x.map(Math.trunc));
  const taps = x.map((v) => {
    const i0 = Math.floor(v), t = v - i0;
    return o.mode === 'linear' ? [[i0, 1 - t], [i0 + 1, t]] : cubic(t).map((w, k) => [i0 - 1 + k, w]);
  });
  let sum = 0;
  forEachIndex(taps.map((tp) => tp.length), (sel) => {
    const w = sel.reduce((p, s, k) => p * taps[k][s][1], 1);
    sum += w * pixel(sel.map((s, k) => taps[k][s][0]));
  });
  return sum;
}

function gridSampleRef(x: number[], xs: number[], grid: number[], gs: number[], o: Opts): number[] {
  const [N, C, ...dims] = xs, r = dims.length, outSp = gs.slice(1, -1);
  const plane = prod(dims), pts = prod(outSp);
  const out: number[] = [];
  for (let n = 0; n < N; n++) {
    for (let c = 0; c < C; c++) {
      const data = x.slice((n * C + c) * plane, (n * C + c + 1) * plane);
      for (let p = 0; p < pts; p++) {
        const g = grid.slice((n * pts + p) * r, (n * pts + p + 1) * r).reverse();
        const coords = g.map((v, k) => (o.alignCorners ? ((v + 1) / 2) * (dims[k] - 1)
          : ((v + 1) * dims[k] - 1) / 2));
        out.push(sample(data, dims, coords, o));
      }
    }
  }
  return out;
}

const values = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => ((i * 7 + seed) % 13) - 4 + i * 0.125);
// Grid points spread over [-1.9, 1.9], including exact pixel centres, edges and ties.
const points = (n: number) => Array.from({ length: n }, (_, i) => (i % 2 === 0 ? -1.9 + (i * 0.37) % 3.8
  : [-1, -0.5, 0, 0.25, 0.5, 1, 1.5][i % 7]));

function check(xs: number[], outSp: number[], o: Opts): void {
  const r = xs.length - 2, gs = [xs[0], ...outSp, r];
  const x = values(prod(xs), 3), grid = points(prod(gs)).map(Math.fround);
  const res = runTyped('grid_sample', [tin('float32', xs, x), tin('float32', gs, grid)], { ...o });
  expect(res.status).toBe(0);
  expect(res.types[0].shape).toEqual([xs[0], xs[1], ...outSp]);
  const want = gridSampleRef(x.map(Math.fround), xs, grid, gs, o);
  expect(res.outputs[0].length).toBe(want.length);
  res.outputs[0].forEach((v, i) => expect(v).toBeCloseTo(want[i], 3));
}

describe('grid_sample', () => {
  for (const mode of ['linear', 'nearest', 'cubic']) {
    for (const padding of ['zeros', 'border', 'reflection']) {
      for (const alignCorners of [0, 1]) {
        it(`${mode} ${padding} align_corners=${alignCorners}: 2-D`, () => {
          check([2, 2, 3, 4], [3, 5], { mode, padding, alignCorners });
        });
      }
    }
  }
  for (const mode of ['linear', 'nearest']) {
    it(`${mode} reflection: 3-D and 1-D`, () => {
      check([1, 2, 2, 3, 4], [2, 2, 3], { mode, padding: 'reflection', alignCorners: 0 });
      check([1, 1, 5], [7], { mode, padding: 'zeros', alignCorners: 1 });
    });
  }
  it('output dims over symbolic inputs: [N, C, grid spatial]', () => {
    const x = tin('float32', [1, 1, 4, 4], [], false, [sym('n'), 3, sym('h'), sym('w')]);
    const g = tin('float32', [1, 5, 6, 2], [], false, [sym('n'), sym('p'), 6, 2]);
    const [y] = inferTyped('grid_sample', [x, g], { mode: 'linear', padding: 'zeros', alignCorners: 0 });
    expect(y.shape.map(dimKey)).toEqual(['n', '3', 'p', '6']);
  });
  it('rejects a grid of the wrong rank or coordinate count, integer data and unknown modes', () => {
    const a = { mode: 'linear', padding: 'zeros', alignCorners: 0 };
    const x = tin('float32', [1, 1, 4, 4], new Array<number>(16).fill(0));
    const infer = (g: ReturnType<typeof tin>) => () => inferTyped('grid_sample', [x, g], a);
    expect(infer(tin('float32', [1, 2, 2], [0, 0, 0, 0]))).toThrow(/KC0402/);
    expect(infer(tin('float32', [1, 1, 1, 3], [0, 0, 0]))).toThrow(/KC0402/);
    expect(() => inferTyped('grid_sample', [tin('int32', [1, 1, 2, 2], [0, 0, 0, 0]),
      tin('float32', [1, 1, 1, 2], [0, 0])], a)).toThrow(/KC0402/);
    expect(() => inferTyped('grid_sample', [x, tin('float32', [1, 1, 1, 2], [0, 0])],
      { ...a, mode: 'bilinear' })).toThrow(/KC0401/);
  });
});
