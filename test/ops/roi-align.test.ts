// roi_align (ir/ops/roi-align.ts) against a plain JS transcription of the reference's rules:
// avg and max, half_pixel and output_half_pixel, a fixed and an adaptive (sampling_ratio 0) grid,
// rois reaching past the image, spatial_scale; a batch index out of range fails with
// INDEX_OUT_OF_RANGE; rois not [R, 4] are KC0402.
import { describe, expect, it } from 'vitest';
import { KernelStatus } from '../../ir/kernel-status.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

interface Opts { mode: string; ph: number; pw: number; sr: number; scale: number; half: boolean }

function roiAlignRef(x: number[], [N, C, H, W]: number[], rois: number[], bidx: number[], o: Opts): number[] {
  const out: number[] = [];
  const at = (b: number, c: number, y: number, xx: number) => x[((b * C + c) * H + y) * W + xx];
  bidx.forEach((b, r) => {
    expect(b).toBeLessThan(N);
    const off = o.half ? 0.5 : 0;
    const [x1, y1, x2, y2] = rois.slice(r * 4, r * 4 + 4).map((v) => v * o.scale - off);
    const rw = o.half ? x2 - x1 : Math.max(x2 - x1, 1), rh = o.half ? y2 - y1 : Math.max(y2 - y1, 1);
    const bh = rh / o.ph, bw = rw / o.pw;
    const gh = o.sr > 0 ? o.sr : Math.ceil(rh / o.ph), gw = o.sr > 0 ? o.sr : Math.ceil(rw / o.pw);
    for (let c = 0; c < C; c++) for (let ph = 0; ph < o.ph; ph++) for (let pw = 0; pw < o.pw; pw++) {
      const vals: number[] = [];
      for (let iy = 0; iy < gh; iy++) for (let ix = 0; ix < gw; ix++) {
        let y = y1 + ph * bh + ((iy + 0.5) * bh) / gh, xx = x1 + pw * bw + ((ix + 0.5) * bw) / gw;
        if (y < -1 || y > H || xx < -1 || xx > W) { vals.push(0); continue; }
        y = Math.max(y, 0); xx = Math.max(xx, 0);
        let yl = Math.floor(y), xl = Math.floor(xx), yh = yl + 1, xh = xl + 1;
        if (yl >= H - 1) { yh = yl = H - 1; y = yl; }
        if (xl >= W - 1) { xh = xl = W - 1; xx = xl; }
        const ly = y - yl, lx = xx - xl, hy = 1 - ly, hx = 1 - lx;
        const t = [hy * hx * at(b, c, yl, xl), hy * lx * at(b, c, yl, xh), ly * hx * at(b, c, yh, xl),
          ly * lx * at(b, c, yh, xh)];
        vals.push(o.mode === 'avg' ? t.reduce((p, q) => p + q) : Math.max(...t));
      }
      out.push(o.mode === 'avg' ? vals.reduce((p, q) => p + q, 0) / Math.max(gh * gw, 1)
        : vals.length ? Math.max(...vals) : 0);
    }
  });
  return out;
}

describe('roi_align', () => {
  const shape = [2, 2, 6, 7];
  const x = Array.from({ length: 168 }, (_, i) => Math.sin(i * 0.37) * 4 + (i % 9));
  const rois = [0, 0, 6, 5, 1.5, 2.2, 4.1, 5.9, -2, -1, 3, 9, 3, 1, 3.2, 1.4];
  const bidx = [0, 1, 1, 0];
  const cases: Opts[] = [
    { mode: 'avg', ph: 3, pw: 2, sr: 2, scale: 1, half: true },
    { mode: 'avg', ph: 2, pw: 3, sr: 0, scale: 1, half: false },
    { mode: 'max', ph: 3, pw: 3, sr: 2, scale: 1, half: false },
    { mode: 'max', ph: 2, pw: 2, sr: 0, scale: 0.5, half: true },
  ];
  for (const o of cases) {
    it(JSON.stringify(o), () => {
      const r = runTyped('roi_align', [tin('float32', shape, x), tin('float32', [4, 4], rois),
        tin('int64', [4], bidx)], { mode: o.mode, outputHeight: o.ph, outputWidth: o.pw, samplingRatio: o.sr,
        spatialScale: o.scale, coordinateMode: o.half ? 'half_pixel' : 'output_half_pixel' });
      expect(r.status).toBe(0);
      const want = roiAlignRef(Array.from(Float32Array.from(x)), shape, Array.from(Float32Array.from(rois)),
        bidx, o);
      expect(r.outputs[0].length).toBe(want.length);
      r.outputs[0].forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    });
  }
  it('a batch index out of range fails; rois not [R, 4] are KC0402', () => {
    const ins = (b: number) => [tin('float32', shape, x), tin('float32', [1, 4], [0, 0, 2, 2]),
      tin('int64', [1], [b])];
    expect(runTyped('roi_align', ins(2), {}).status).toBe(KernelStatus.INDEX_OUT_OF_RANGE);
    expect(runTyped('roi_align', ins(-1), {}).status).toBe(KernelStatus.INDEX_OUT_OF_RANGE);
    expect(() => inferTyped('roi_align', [tin('float32', shape, x), tin('float32', [1, 3], [0, 0, 2]),
      tin('int64', [1], [0])], {})).toThrow(/KC0402/);
  });
});
