// deform_conv (ir/ops/deform-conv.ts) against a plain JS reference (bilinear taps with zeros
// outside x, summed per output): zero offsets equal a plain convolution, fractional and
// out-of-image offsets, mask and bias, groups and offset groups, strides, pads and dilations;
// offset channels that do not match the kernel are KC0402.
import { describe, expect, it } from 'vitest';
import { prod } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

interface Cfg { x: number[]; w: number[]; k: number[]; st: number[]; pads: number[]; dil: number[];
  group: number; og: number; mask: boolean; bias: boolean }

const outDims = (c: Cfg) => [0, 1].map((i) =>
  Math.floor((c.x[2 + i] + c.pads[i] + c.pads[i + 2] - c.dil[i] * (c.k[i] - 1) - 1) / c.st[i]) + 1);

function deformRef(c: Cfg, x: number[], w: number[], off: number[], mask: number[] | null,
  b: number[] | null) {
  const [N, C, H, W] = c.x, OC = c.w[0], CG = c.w[1], [KH, KW] = c.k, [OH, OW] = outDims(c);
  const X = (n: number, ch: number, y: number, xx: number) =>
    (y < 0 || y >= H || xx < 0 || xx >= W ? 0 : x[((n * C + ch) * H + y) * W + xx]);
  const sample = (n: number, ch: number, y: number, xx: number) => {
    const y0 = Math.floor(y), x0 = Math.floor(xx), ly = y - y0, lx = xx - x0;
    return (1 - ly) * (1 - lx) * X(n, ch, y0, x0) + (1 - ly) * lx * X(n, ch, y0, x0 + 1)
      + ly * (1 - lx) * X(n, ch, y0 + 1, x0) + ly * lx * X(n, ch, y0 + 1, x0 + 1);
  };
  const plane = (t: number[], n: number, ch: number, chans: number, i: number, j: number) =>
    t[((n * chans + ch) * OH + i) * OW + j];
  const out: number[] = [];
  for (let n = 0; n < N; n++) for (let oc = 0; oc < OC; oc++) for (let i = 0; i < OH; i++) {
    for (let j = 0; j < OW; j++) {
      let s = b ? b[oc] : 0;
      for (let ci = 0; ci < CG; ci++) for (let kh = 0; kh < KH; kh++) for (let kw = 0; kw < KW; kw++) {
        const ch = Math.floor(oc / (OC / c.group)) * CG + ci, g = Math.floor(ch / (C / c.og));
        const k = (g * KH + kh) * KW + kw, offC = c.og * KH * KW * 2;
        const y = i * c.st[0] - c.pads[0] + kh * c.dil[0] + plane(off, n, 2 * k, offC, i, j);
        const xx = j * c.st[1] - c.pads[1] + kw * c.dil[1] + plane(off, n, 2 * k + 1, offC, i, j);
        const m = mask ? plane(mask, n, k, c.og * KH * KW, i, j) : 1;
        s += w[((oc * CG + ci) * KH + kh) * KW + kw] * m * sample(n, ch, y, xx);
      }
      out.push(s);
    }
  }
  return out;
}

const base: Cfg = { x: [1, 1, 4, 4], w: [1, 1, 2, 2], k: [2, 2], st: [1, 1], pads: [0, 0, 0, 0],
  dil: [1, 1], group: 1, og: 1, mask: false, bias: false };

describe('deform_conv', () => {
  const cases: [string, Cfg, number][] = [
    ['zero offsets: a plain convolution', base, 0],
    ['fractional offsets with pads', { ...base, pads: [1, 1, 1, 0] }, 0.7],
    ['mask and bias, stride 2, dilation',
      { ...base, x: [2, 2, 5, 6], w: [3, 2, 2, 2], st: [2, 1], dil: [1, 2], mask: true, bias: true }, 1.3],
    ['2 groups, 2 offset groups',
      { ...base, x: [1, 4, 4, 5], w: [2, 2, 3, 2], k: [3, 2], group: 2, og: 2 }, 2.1],
  ];
  for (const [what, c, scale] of cases) {
    it(what, () => {
      const [OH, OW] = outDims(c), KK = prod(c.k), N = c.x[0];
      const x = Array.from({ length: prod(c.x) }, (_, i) => Math.sin(i * 0.7) * 2 + 1);
      const w = Array.from({ length: prod(c.w) }, (_, i) => Math.cos(i * 1.3));
      const offShape = [N, c.og * KK * 2, OH, OW], maskShape = [N, c.og * KK, OH, OW];
      const off = Array.from({ length: prod(offShape) }, (_, i) => scale * Math.sin(i * 2.9));
      const mask = c.mask ? Array.from({ length: prod(maskShape) }, (_, i) => (i % 5) / 4) : null;
      const b = c.bias ? Array.from({ length: c.w[0] }, (_, i) => i - 0.5) : null;
      const r = runTyped('deform_conv', [tin('float32', c.x, x), tin('float32', c.w, w),
        tin('float32', offShape, off), b ? tin('float32', [c.w[0]], b) : null,
        mask ? tin('float32', maskShape, mask) : null],
      { kernel: c.k, strides: c.st, pads: c.pads, dilations: c.dil, group: c.group, offsetGroup: c.og });
      expect(r.status).toBe(0);
      const f = (a: number[]) => Array.from(Float32Array.from(a));
      const want = deformRef(c, f(x), f(w), f(off), mask && f(mask), b && f(b));
      expect(r.outputs[0].length).toBe(want.length);
      r.outputs[0].forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    });
  }
  it('offset channels that do not match the kernel are KC0402', () => {
    expect(() => inferTyped('deform_conv', [tin('float32', [1, 1, 4, 4], new Array(16).fill(0)),
      tin('float32', [1, 1, 2, 2], [1, 1, 1, 1]), tin('float32', [1, 6, 3, 3], new Array(54).fill(0))],
    { kernel: [2, 2] })).toThrow(/KC0402/);
  });
});
