// window / dft / dft_plan / stft (ir/ops/signal.ts) through the reference interpreter vs JS
// transcriptions of the ONNX reference: windows as numpy writes them (Hann as sin^2), the DFT as
// the textbook complex sum (zero-padded or truncated to the length), the real inverse by
// rebuilding the full Hermitian spectrum, STFT as frames times the window; a run-time axis
// through dft_plan; the shape relations and their failures.
import { describe, expect, it } from 'vitest';
import { dimKey, sym } from '../../ir/dim.js';
import { forEachIndex, prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

function windowRef(kind: string, size: number, periodic: boolean): number[] {
  const N = periodic ? size : size - 1;
  return Array.from({ length: size }, (_, n) => {
    if (kind === 'hann') return Math.sin((n * Math.PI) / N) ** 2;
    if (kind === 'hamming') return 25 / 46 - (21 / 46) * Math.cos((2 * Math.PI * n) / N);
    return 0.42 - 0.5 * Math.cos((2 * Math.PI * n) / N) + 0.08 * Math.cos((4 * Math.PI * n) / N);
  });
}

type C = [number, number];

/** DFT of one complex line, length n (zero-padded/truncated), forward or inverse (scaled 1/n). */
function dftLine(line: C[], n: number, inverse: boolean): C[] {
  const s = inverse ? 1 : -1;
  return Array.from({ length: n }, (_, m) => {
    let re = 0, im = 0;
    for (let j = 0; j < Math.min(n, line.length); j++) {
      const t = (s * 2 * Math.PI * j * m) / n, [a, b] = line[j];
      re += a * Math.cos(t) - b * Math.sin(t); im += a * Math.sin(t) + b * Math.cos(t);
    }
    return inverse ? [re / n, im / n] : [re, im];
  });
}

interface DftCase { shape: number[]; axis: number; inverse: number; onesided: number; length?: number }

/** The reference: x [..., c] transformed along `axis`; returns the output shape and data. */
function dftRef(x: number[], o: DftCase): [number[], number[]] {
  const r = o.shape.length, c = o.shape[r - 1], L = o.shape[o.axis], st = strides(o.shape);
  const irfft = o.inverse && o.onesided, n = o.length ?? (irfft ? 2 * (L - 1) : L);
  const M = o.onesided && !o.inverse ? Math.floor(n / 2) + 1 : n;
  const outShape = [...o.shape]; outShape[o.axis] = M; outShape[r - 1] = irfft ? 1 : 2;
  const out = new Array<number>(prod(outShape)).fill(0), ost = strides(outShape);
  const lineShape = o.shape.slice(0, r - 1).map((d, k) => (k === o.axis ? 1 : d));
  forEachIndex(lineShape, (idx) => {
    const line: C[] = Array.from({ length: L }, (_, j) => {
      const off = idx.reduce((a, v, k) => a + (k === o.axis ? j : v) * st[k], 0);
      return [x[off], c === 2 ? x[off + 1] : 0];
    });
    let res: C[];
    if (irfft) { // the full spectrum: bins above n/2 are conjugates of those below
      const half = line.slice(0, Math.floor(n / 2) + 1);
      const full: C[] = Array.from({ length: n }, (_, k) => {
        if (k < half.length && k <= n / 2) return k === 0 || 2 * k === n ? [half[k][0], 0] : half[k];
        const q = half[n - k] ?? [0, 0];
        return k > n / 2 && n - k < half.length ? [q[0], -q[1]] : [0, 0];
      });
      res = dftLine(full, n, true);
    } else res = dftLine(line, n, !!o.inverse);
    for (let m = 0; m < M; m++) {
      const off = idx.reduce((a, v, k) => a + (k === o.axis ? m : v) * ost[k], 0);
      out[off] = res[m][0];
      if (!irfft) out[off + 1] = res[m][1];
    }
  });
  return [outShape, out];
}

const values = (n: number) => Array.from({ length: n }, (_, i) => Math.fround(((i * 13) % 7) - 3 + i * 0.1));

function checkDft(o: DftCase, runtimeAxis = false): void {
  const x = values(prod(o.shape));
  const [shape, want] = dftRef(x, o);
  const len = o.length === undefined ? null : tin('int64', [], [o.length], true);
  const attrs = { inverse: o.inverse, onesided: o.onesided };
  let res;
  if (runtimeAxis) {
    const axisT = tin('int64', [], [o.axis - o.shape.length]); // negative, read at run time
    const plan = runTyped('dft_plan', [tin('float32', o.shape, x), len, axisT], attrs);
    expect(plan.status).toBe(0);
    expect(plan.outputs[0]).toEqual(shape);
    const planned = tin('int64', [shape.length], plan.outputs[0], true);
    res = runTyped('dft', [tin('float32', o.shape, x), len, axisT, planned], attrs);
  } else res = runTyped('dft', [tin('float32', o.shape, x), len, null, null], { ...attrs, axis: o.axis });
  expect(res.status).toBe(0);
  expect(res.types[0].shape).toEqual(shape);
  const tol = 1e-4 * Math.max(1, ...want.map(Math.abs));
  res.outputs[0].forEach((v, i) => expect(Math.abs(v - want[i])).toBeLessThan(tol));
}

describe('window', () => {
  for (const kind of ['hann', 'hamming', 'blackman']) {
    for (const periodic of [1, 0]) {
      it(`${kind} periodic=${periodic}`, () => {
        const r = runTyped('window', [tin('int32', [], [9], true)], { kind, periodic, to: 'float32' });
        expect(r.types[0].shape).toEqual([9]);
        const want = windowRef(kind, 9, !!periodic);
        r.outputs[0].forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
      });
    }
  }
  it('output_datatype and the size as the length; a float size is rejected', () => {
    const size = tin('int64', [1], [4], true);
    const [t] = inferTyped('window', [size], { kind: 'hann', periodic: 1, to: 'float64' });
    expect(t).toEqual({ dtype: 'float64', shape: [4] });
    expect(() => inferTyped('window', [tin('float32', [], [4], true)], { kind: 'hann', periodic: 1,
      to: 'float32' })).toThrow(/KC0402/);
  });
});

describe('dft', () => {
  const cases: [string, DftCase][] = [
    ['forward, real, axis 1', { shape: [2, 6, 3, 1], axis: 1, inverse: 0, onesided: 0 }],
    ['forward, complex, axis 2', { shape: [2, 3, 5, 2], axis: 2, inverse: 0, onesided: 0 }],
    ['inverse, complex', { shape: [1, 7, 2, 2], axis: 1, inverse: 1, onesided: 0 }],
    ['onesided forward (rfft), odd length', { shape: [1, 7, 2, 1], axis: 1, inverse: 0, onesided: 1 }],
    ['real inverse of a one-sided spectrum (irfft)',
      { shape: [2, 5, 3, 2], axis: 1, inverse: 1, onesided: 1 }],
    ['irfft to an odd length', { shape: [1, 4, 2], axis: 1, inverse: 1, onesided: 1, length: 7 }],
    ['zero-padded to a longer length', { shape: [3, 4, 1], axis: 1, inverse: 0, onesided: 0, length: 9 }],
    ['truncated to a shorter length', { shape: [9, 2], axis: 0, inverse: 0, onesided: 1, length: 6 }],
  ];
  for (const [name, o] of cases) it(name, () => checkDft(o));
  it('a run-time axis through dft_plan', () => {
    checkDft({ shape: [2, 6, 4, 1], axis: 2, inverse: 0, onesided: 1 }, true);
    checkDft({ shape: [2, 5, 3, 2], axis: 1, inverse: 1, onesided: 1 }, true);
  });
  it('dft_plan fails the run on an axis that is not a signal axis', () => {
    const x = tin('float32', [2, 3, 1], values(6));
    const r = runTyped('dft_plan', [x, null, tin('int64', [], [2])], { inverse: 0, onesided: 0 });
    expect(r.status).not.toBe(0);
  });
  it('shapes over symbolic dims; rejects a bad last dim and axis', () => {
    const x = tin('float32', [1, 8, 1], [], false, [sym('b'), sym('n'), 1]);
    const [y] = inferTyped('dft', [x, null, null, null], { axis: 1, inverse: 0, onesided: 1 });
    expect(dimKey(y.shape[0])).toBe('b');
    expect(y.shape[2]).toBe(2);
    expect(() => inferTyped('dft', [tin('float32', [2, 3], values(6)), null, null, null],
      { axis: 0, inverse: 0, onesided: 0 })).toThrow(/KC0402/);
    expect(() => inferTyped('dft', [tin('float32', [2, 3, 1], values(6)), null, null, null],
      { axis: 2, inverse: 0, onesided: 0 })).toThrow(/KC0401/);
  });
});

describe('stft', () => {
  function stftRef(x: number[], T: number, step: number, win: number[] | null, fl: number,
    onesided: boolean) {
    const frames = Math.floor((T - fl) / step) + 1, bins = onesided ? Math.floor(fl / 2) + 1 : fl;
    const out: number[] = [];
    for (let f = 0; f < frames; f++) {
      const frame: C[] = Array.from({ length: fl }, (_, j) => {
        const t = f * step + j, w = win ? (win[j] ?? 0) : 1;
        return [t < T ? x[t] * w : 0, 0];
      });
      for (const [re, im] of dftLine(frame, fl, false).slice(0, bins)) out.push(re, im);
    }
    return { shape: [1, frames, bins, 2], out };
  }
  const forms = [['frame_length, onesided', false, 1], ['window, two-sided', true, 0],
    ['window and onesided', true, 1]] as const;
  for (const [name, withWindow, onesided] of forms) {
    it(name, () => {
      const T = 37, step = 5, fl = 8, x = values(T);
      const win = withWindow ? windowRef('hann', fl, true).map(Math.fround) : null;
      const ins = [tin('float32', [1, T, 1], x), tin('int64', [], [step], true),
        win ? tin('float32', [fl], win) : null, win ? null : tin('int64', [], [fl], true)];
      const r = runTyped('stft', ins, { onesided });
      const want = stftRef(x, T, step, win, fl, !!onesided);
      expect(r.types[0].shape).toEqual(want.shape);
      r.outputs[0].forEach((v, i) => expect(v).toBeCloseTo(want.out[i], 3));
    });
  }
  it('rejects a signal without window or frame_length and a zero step', () => {
    const x = tin('float32', [1, 16, 1], values(16));
    expect(() => inferTyped('stft', [x, tin('int64', [], [4], true), null, null], { onesided: 1 }))
      .toThrow(/KC0402/);
    expect(() => inferTyped('stft', [x, tin('int64', [], [0], true), null, tin('int64', [], [4], true)],
      { onesided: 1 })).toThrow(/KC0401/);
  });
});
