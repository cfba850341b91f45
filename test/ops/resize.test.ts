// resize vs a JS transcription of the ONNX reference (onnx/reference/ops/op_resize.py: the input
// edge-padded, the n nearest neighbours picked by distance, coefficients per mode), for every
// mode, nearest rounding and coordinate transform, constant scales or sizes, axes subsets,
// exclude_outside and tf_crop_and_resize extrapolation; output dims over symbolic inputs.
import { describe, expect, it } from 'vitest';
import { dimKey, sym } from '../../ir/dim.js';
import { scaledDim } from '../../ir/ops/resize.js';
import { forEachIndex, prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

interface Opts {
  mode: string; coord: string; nearest: string; cubicA: number; exclude: number; extrapolation: number;
}
const DEFAULTS: Opts = { mode: 'nearest', coord: 'half_pixel', nearest: 'round_prefer_floor', cubicA: -0.75,
  exclude: 0, extrapolation: 0 };

function coeffs(o: Opts, r: number): number[] {
  if (o.mode === 'linear') return [1 - r, r];
  if (o.mode === 'cubic') {
    const A = o.cubicA;
    return [((A * (r + 1) - 5 * A) * (r + 1) + 8 * A) * (r + 1) - 4 * A, ((A + 2) * r - (A + 3)) * r * r + 1,
      ((A + 2) * (1 - r) - (A + 3)) * (1 - r) * (1 - r) + 1,
      ((A * (2 - r) - 5 * A) * (2 - r) + 8 * A) * (2 - r) - 4 * A];
  }
  if (Number.isInteger(r) || r === 1) return [0, 1];
  switch (o.nearest) {
    case 'round_prefer_floor': return [Number(r <= 0.5), Number(r > 0.5)];
    case 'round_prefer_ceil': return [Number(r < 0.5), Number(r >= 0.5)];
    case 'floor': return [1, 0];
    default: return [0, 1];
  }
}

/** interpolate_1d_with_x of the reference. */
function interp1d(data: number[], scale: number, outLen: number, x: number, o: Opts, roi: number[]): number {
  const inLen = data.length, outW = scale * inLen;
  let xo: number;
  switch (o.coord) {
    case 'half_pixel': xo = (x + 0.5) / scale - 0.5; break;
    case 'half_pixel_symmetric': {
      const adj = outLen / outW;
      xo = (inLen / 2) * (1 - adj) + (x + 0.5) / scale - 0.5; break;
    }
    case 'pytorch_half_pixel': xo = outW > 1 ? (x + 0.5) / scale - 0.5 : 0; break;
    case 'align_corners': xo = outW === 1 ? 0 : (x * (inLen - 1)) / (outW - 1); break;
    case 'asymmetric': xo = x / scale; break;
    case 'tf_half_pixel_for_nn': xo = (x + 0.5) / scale; break;
    default: xo = outW > 1 ? roi[0] * (inLen - 1) + (x * (roi[1] - roi[0]) * (inLen - 1)) / (outW - 1)
      : 0.5 * (roi[0] + roi[1]) * (inLen - 1);
      if (xo < 0 || xo > inLen - 1) return o.extrapolation;
  }
  const i0 = Math.floor(xo);
  const c = coeffs(o, Number.isInteger(xo) ? 1 : xo - i0);
  const n = c.length, pad = Math.ceil(n / 2);
  const edge = (v: number) => new Array<number>(pad).fill(v);
  const padded = [...edge(data[0]), ...data, ...edge(data[inLen - 1])];
  const xp = xo + pad;
  const idx = padded.map((_, i) => i).sort((a, b) => Math.abs(xp - a) - Math.abs(xp - b) || a - b)
    .slice(0, n).sort((a, b) => a - b);
  if (o.exclude) {
    idx.forEach((p, k) => { if (p - pad < 0 || p - pad >= inLen) c[k] = 0; });
    const s = c.reduce((a, b) => a + b);
    c.forEach((v, k) => { c[k] = v / s; });
  }
  return idx.reduce((acc, p, k) => acc + c[k] * padded[p], 0);
}

/** interpolate_nd: the first axis interpolated over the results on the remaining axes. */
function resizeRef(x: number[], xs: number[], outShape: number[], scales: number[], o: Opts,
  roi: number[]): number[] {
  const out: number[] = [];
  const st = strides(xs);
  const at = (pre: number[], rest: number[]): number => {
    const a = pre.length;
    if (a === xs.length) return x[pre.reduce((s, v, i) => s + v * st[i], 0)];
    const line = Array.from({ length: xs[a] }, (_, i) => at([...pre, i], rest.slice(1)));
    return interp1d(line, scales[a], outShape[a], rest[0], o, [roi[a], roi[a + xs.length]]);
  };
  forEachIndex(outShape, (idx) => { out.push(at([], idx)); });
  return out;
}

const iota = (n: number) => Array.from({ length: n }, (_, i) => ((i * 7) % 11) - 3 + i * 0.25);

function check(xs: number[], scales: number[], o: Partial<Opts>, bySizes = false, roi?: number[]): void {
  const opts = { ...DEFAULTS, ...o };
  const x = iota(prod(xs));
  const outShape = xs.map((d, i) => Math.floor(d * Math.fround(scales[i])));
  const effScales = bySizes ? outShape.map((d, i) => d / xs[i]) : scales.map(Math.fround);
  const axes = xs.map((_, i) => i);
  const ins = [tin('float32', xs, x),
    bySizes ? null : tin('float32', [xs.length], scales, true),
    bySizes ? tin('int64', [xs.length], outShape, true) : null,
    roi ? tin('float32', [roi.length], roi) : null];
  const r = runTyped('resize', ins, { ...opts, axes });
  expect(r.status).toBe(0);
  const want = resizeRef(x, xs, outShape, effScales, opts, roi ?? new Array<number>(2 * xs.length).fill(0));
  expect(r.outputs[0].length).toBe(want.length);
  r.outputs[0].forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
}

describe('resize', () => {
  const coords = ['half_pixel', 'half_pixel_symmetric', 'pytorch_half_pixel', 'align_corners', 'asymmetric',
    'tf_half_pixel_for_nn'];
  for (const mode of ['nearest', 'linear', 'cubic']) {
    for (const coord of coords) {
      it(`${mode} ${coord}: upsample and downsample`, () => {
        check([1, 2, 3, 4], [1, 1, 2, 1.5], { mode, coord });
        check([1, 1, 5, 6], [1, 1, 0.6, 0.5], { mode, coord });
      });
    }
  }
  for (const nearest of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) {
    it(`nearest rounding ${nearest}`, () => {
      check([1, 1, 4, 4], [1, 1, 2.5, 1.75], { nearest, coord: 'asymmetric' });
      check([2, 3, 3], [1, 1, 3], { nearest, coord: 'half_pixel' }, true);
    });
  }
  // The integer path (ir/ops/resize-int.ts) takes these pairs; half_pixel with floor it must not.
  const integerPairs = [['asymmetric', 'floor'], ['half_pixel', 'round_prefer_floor'],
    ['half_pixel', 'round_prefer_ceil'], ['pytorch_half_pixel', 'round_prefer_ceil'],
    ['half_pixel_symmetric', 'round_prefer_floor'], ['tf_half_pixel_for_nn', 'floor'],
    ['half_pixel', 'floor']];
  for (const [coord, nearest] of integerPairs) {
    it(`nearest ${coord} ${nearest} by integer scales (vector width 4: s = 2, 4 divide it, 3 not)`, () => {
      check([1, 2, 3, 5], [1, 1, 2, 3], { coord, nearest });
      check([2, 1, 2, 7], [1, 2, 3, 2], { coord, nearest });
      check([1, 1, 1, 3], [1, 1, 1, 4], { coord, nearest });
    });
  }
  it('cubic with A = -0.5 and exclude_outside', () => {
    check([1, 1, 4, 4], [1, 1, 1.5, 0.8], { mode: 'cubic', cubicA: -0.5, exclude: 1 });
  });
  it('linear by sizes (the scale is out / in)', () => {
    check([1, 2, 5, 3], [1, 1, 1.6, 2.34], { mode: 'linear' }, true);
  });
  it('tf_crop_and_resize with extrapolation outside the box', () => {
    const roi = [0, 0, 0.4, -0.2, 1, 1, 0.8, 1.3];
    check([1, 1, 4, 4], [1, 1, 0.75, 1.5], { mode: 'linear', coord: 'tf_crop_and_resize', extrapolation: 10 },
      true, roi);
  });
  it('axes: scales for a subset of axes, in any order', () => {
    const x = iota(2 * 2 * 3);
    const ins = [tin('float32', [2, 2, 3], x), tin('float32', [2], [2, 1], true), null, null];
    const r = runTyped('resize', ins,
      { ...DEFAULTS, coord: 'asymmetric', nearest: 'floor', axes: [2, 0] });
    expect(r.types[0].shape).toEqual([2, 2, 6]);
    expect(r.outputs[0].slice(0, 6)).toEqual([x[0], x[0], x[1], x[1], x[2], x[2]]);
  });
  it('output dims over symbolic inputs: floor(d * scale) exactly', () => {
    const xin = tin('float32', [1, 1, 4, 4], [], false, [sym('n'), 3, sym('h'), sym('w')]);
    const [y] = inferTyped('resize', [xin,
      tin('float32', [4], [1, 1, 2, 0.5], true), null, null], { ...DEFAULTS, axes: [0, 1, 2, 3] });
    const want = ['n', '3', dimKey(scaledDim(sym('h'), 2)), dimKey(scaledDim(sym('w'), 0.5))];
    expect(y.shape.map(dimKey)).toEqual(want);
    expect(scaledDim(7, 0.5)).toBe(3);
    expect(scaledDim(sym('w'), 0.5)).not.toEqual(sym('w'));
  });
  it('rejects linear resize of integers and sizes of the wrong length', () => {
    expect(() => inferTyped('resize', [tin('int32', [2, 2], [0, 0, 0, 0]), tin('float32', [2], [1, 2], true),
      null, null], { ...DEFAULTS, mode: 'linear', axes: [0, 1] })).toThrow(/KC0402/);
    expect(() => inferTyped('resize', [tin('float32', [2, 2], [0, 0, 0, 0]), null,
      tin('int64', [1], [4], true), null], { ...DEFAULTS, axes: [0, 1] })).toThrow(/KC0402/);
  });
});
