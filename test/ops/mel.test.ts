// mel_weight_matrix (ir/ops/mel.ts) against a JS transcription of the reference's loops (the
// kernel uses a closed form per element): several bin counts, DFT lengths, rates and edges,
// including flat filters (l = c); a float num_mel_bins is KC0402.
import { describe, expect, it } from 'vitest';
import { inferTyped, runTyped, tin } from './typed-run.js';

function melRef(bins: number, dft: number, rate: number, lo: number, hi: number): number[][] {
  const mel = (hz: number) => (2595 * Math.log1p(hz / 700)) / Math.log(10);
  const step = (mel(hi) - mel(lo)) / (bins + 2);
  const pts = Array.from({ length: bins + 2 }, (_, k) => {
    const hz = 700 * Math.expm1(((k * step + mel(lo)) / 2595) * Math.log(10));
    return Math.floor(((dft + 1) * hz) / rate);
  });
  const out = Array.from({ length: Math.floor(dft / 2) + 1 }, () => new Array<number>(bins).fill(0));
  for (let i = 0; i < bins; i++) {
    const [l, c, h] = [pts[i], pts[i + 1], pts[i + 2]];
    if (c === l) out[c][i] = 1;
    else for (let j = l; j <= c; j++) out[j][i] = (j - l) / (c - l);
    if (h > c) for (let j = c; j < h; j++) out[j][i] = (h - j) / (h - c);
  }
  return out;
}

describe('mel_weight_matrix', () => {
  const cases: [number, number, number, number, number][] = [
    [8, 16, 8192, 0, 4096], [5, 64, 16000, 100, 7000], [12, 32, 22050, 20, 3000], [3, 9, 100, 10, 40],
  ];
  for (const [bins, dft, rate, lo, hi] of cases) {
    it(`${bins} bins, dft ${dft}, rate ${rate}, ${lo}..${hi} Hz`, () => {
      const ints = [bins, dft, rate].map((v) => tin('int64', [], [v], true));
      const r = runTyped('mel_weight_matrix', [...ints, tin('float32', [], [lo]), tin('float32', [], [hi])],
        { to: 'float32' });
      expect(r.status).toBe(0);
      const want = melRef(bins, dft, rate, lo, hi).flat();
      expect(r.outputs[0].length).toBe(want.length);
      r.outputs[0].forEach((v, k) => expect(v).toBeCloseTo(want[k], 5));
    });
  }
  it('a float num_mel_bins is KC0402', () => {
    expect(() => inferTyped('mel_weight_matrix', [tin('float32', [], [8]), tin('int64', [], [16], true),
      tin('int64', [], [8192], true), tin('float32', [], [0]), tin('float32', [], [10])], {}))
      .toThrow(/KC0402/);
  });
});
