// conv with packed weights (compiler/passes/pack-conv-weights.ts: the output-channel-vectorised
// kernel) and pad2d (compiler/passes/pad-conv-inputs.ts), against the JS reference: channel and
// pixel tails, strides, dilations, bias, symbolic batch, scalar sinks, both store paths and knobs
// (the depthwise kernel: test/ops/depthwise.test.ts).
import { describe, expect, it } from 'vitest';
import '../../ir/ops/conv.js';
import { sym } from '../../ir/dim.js';
import { packOc } from '../../compiler/passes/pack-conv-weights.js';
import { defaultPackedVectors, defaultStore } from '../../ir/ops/conv-rows.js';
import { expectClose, inferOp, runOp, tensor } from './harness.js';
import { convRef } from './ref.js';

interface Case {
  name: string; x: number[]; w: number[]; bias?: boolean; strides?: number[]; dilations?: number[];
  knobs?: Record<string, number>; vectorizable?: boolean; lanes?: number; batchSym?: boolean;
  /** Symbolic input height and width (the output planes' size is then unknown: rows by default). */
  spatialSym?: boolean;
}

function runPacked(c: Case): void {
  const L = c.lanes ?? 16;
  const [m, ch, kh, kw] = c.w;
  const strides = c.strides ?? [1, 1], dilations = c.dilations ?? [1, 1];
  const out = [0, 1]
    .map((i) => Math.floor((c.x[2 + i] - dilations[i] * (c.w[2 + i] - 1) - 1) / strides[i]) + 1);
  const dims = c.spatialSym ? [c.x[0], c.x[1], sym('h'), sym('w')]
    : c.batchSym ? [sym('batch'), ...c.x.slice(1)] : undefined;
  const x = tensor(c.x, 3, dims);
  const w = tensor(c.w, 5), b = c.bias ? tensor([m], 7) : null;
  const wp = { data: packOc(w.data, m, ch * kh * kw, L), shape: [Math.ceil(m / L), ch, kh, kw, L] };
  const attrs = { kernel: [kh, kw], strides, dilations, pads: [0, 0, 0, 0], group: 1, autoPad: 'NOTSET',
    packedOc: L, outChannels: m };
  const r = runOp('conv', [x, wp, b], attrs, { knobs: c.knobs, vectorizable: c.vectorizable, lanes: L });
  expect(r.shapes[0]).toEqual([c.x[0], m, ...out]);
  const ref = convRef(x.data, c.x, w.data, c.w, b?.data ?? null, 1,
    { kernel: [kh, kw], strides, dilations, padsBegin: [0, 0], out });
  expectClose(r.outputs[0], ref);
}

const CASES: Case[] = [
  { name: '3x3 bias, channel tail (M=20) and pixel tail', x: [1, 8, 6, 13], w: [20, 8, 3, 3], bias: true },
  { name: 'exact tiles', x: [1, 4, 5, 10], w: [32, 4, 3, 3], knobs: { 'conv.px': 5 } },
  { name: 'stride 2 dilation 2, odd block count', x: [2, 5, 11, 17], w: [40, 5, 3, 3], strides: [2, 2],
    dilations: [2, 2] },
  { name: '1x1 stride 2', x: [1, 70, 6, 9], w: [17, 70, 1, 1], strides: [2, 2], bias: true },
  { name: '1x1 stride 1 on 7x7, 3 channel vectors per tile by default, block tail', x: [1, 24, 7, 7],
    w: [100, 24, 1, 1], bias: true },
  { name: '1x1 stride 1 on a 7x7 plane (a small-plane pointwise conv)', x: [1, 40, 7, 7], w: [36, 40, 1, 1],
    bias: true },
  { name: '7x7 serial kw, one channel vector', x: [1, 3, 12, 15], w: [9, 3, 7, 7], knobs: { 'conv.ocv': 1 } },
  { name: '8 lanes, 3 vectors per tile', x: [1, 3, 5, 9], w: [30, 3, 3, 3], lanes: 8,
    knobs: { 'conv.ocv': 3 } },
  { name: 'scalar sink', x: [1, 2, 4, 11], w: [5, 2, 3, 3], vectorizable: false },
  { name: 'symbolic batch', x: [2, 3, 5, 9], w: [6, 3, 3, 3], batchSym: true, bias: true },
  // Stores as rows of pixels through a scratch (conv-rows.ts; the default for short reductions).
  { name: 'rows: stem-like 3x3 stride 2, channel and pixel tails', x: [1, 3, 13, 37], w: [20, 3, 3, 3],
    strides: [2, 2], bias: true },
  { name: 'rows: 4-pixel tiles, 8 lanes, odd block count', x: [1, 2, 6, 10], w: [27, 2, 3, 3], lanes: 8,
    knobs: { 'conv.px': 4, 'conv.ocv': 2 } },
  { name: 'rows: asked for a long reduction', x: [1, 16, 5, 12], w: [18, 16, 3, 3],
    knobs: { 'conv.store': 2 } },
  // conv.store 3 (the default past 64 taps): rows where a plane is a multiple of 1 KiB.
  { name: 'by plane: symbolic height and width, run-time scatter (5x19 plane), tails', x: [1, 20, 7, 21],
    w: [40, 20, 3, 3], spatialSym: true, bias: true },
  { name: 'by plane: symbolic height and width, run-time rows (16x32 plane)', x: [1, 8, 18, 34],
    w: [20, 8, 3, 3], spatialSym: true, bias: true },
  { name: 'by plane: static 8x64 plane, rows', x: [1, 9, 10, 66], w: [17, 9, 3, 3] },
  { name: 'rows: symbolic width, stride 2', x: [1, 16, 9, 30], w: [16, 16, 3, 3], strides: [2, 2],
    spatialSym: true },
  { name: 'rows by default: 16 channels x 3x3 (K = 144) on a 13x13 plane', x: [1, 16, 15, 15],
    w: [40, 16, 3, 3], bias: true },
  { name: 'scatter: asked for a short reduction', x: [1, 3, 5, 12], w: [18, 3, 3, 3],
    knobs: { 'conv.store': 1 } },
];

describe('conv with packed weights', () => {
  for (const c of CASES) it(c.name, () => runPacked(c));
  it('infers outChannels from the attribute and checks the packed layout', () => {
    const f32 = 'float32' as const;
    const attrs = { kernel: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1,
      autoPad: 'NOTSET', packedOc: 16, outChannels: 20 };
    const [y] = inferOp('conv',
      [{ dtype: f32, shape: [1, 3, 8, 8] }, { dtype: f32, shape: [2, 3, 3, 3, 16] }, null], attrs);
    expect(y.shape).toEqual([1, 20, 6, 6]);
    expect(() => inferOp('conv', [{ dtype: f32, shape: [1, 3, 8, 8] },
      { dtype: f32, shape: [3, 3, 3, 3, 16] }, null], attrs)).toThrow(/packed weight blocks/);
  });
});

describe('the default channel vectors per tile (conv.ocv)', () => {
  it('is 3 for 1x1 stride-1 convs (small planes), else 2', () => {
    expect(defaultPackedVectors(1, 1)).toBe(3);
    expect([defaultPackedVectors(1, 2), defaultPackedVectors(9, 1), defaultPackedVectors(undefined, 1)])
      .toEqual([2, 2, 2]);
  });
});

describe('the default store path (conv.store: 1 scatter, 2 rows, 3 by the output plane)', () => {
  it('stores rows for short reductions and decides by the output planes otherwise', () => {
    expect(defaultStore(27)).toBe(2);
    expect(defaultStore(64)).toBe(2);
    expect(defaultStore(144)).toBe(2); // 16 channels x 3x3 (squeezenet's fire2/3 expand3x3)
    expect(defaultStore(288)).toBe(3);
    expect(defaultStore(576)).toBe(3);
    expect(defaultStore(undefined)).toBe(3);
  });
});

describe('pad2d', () => {
  const padRef = (x: Float32Array, s: number[], p: number[], fill: number): Float32Array => {
    const [n, c, h, w] = s, oh = h + p[0] + p[2], ow = w + p[1] + p[3];
    const out = new Float32Array(n * c * oh * ow).fill(fill);
    for (let i = 0; i < n * c; i++) {
      for (let y = 0; y < h; y++) {
        for (let z = 0; z < w; z++) out[(i * oh + y + p[0]) * ow + z + p[1]] = x[(i * h + y) * w + z];
      }
    }
    return out;
  };
  const cases: [string, number[], number[], number][] = [
    ['symmetric', [1, 3, 5, 7], [1, 1, 1, 1], 0],
    ['asymmetric, wide rows', [2, 2, 3, 40], [0, 2, 3, 1], 0],
    ['fill value, exact vectors', [1, 2, 4, 14], [2, 1, 0, 1], -Infinity],
  ];
  for (const [name, shape, pads, value] of cases) {
    it(name, () => {
      const x = tensor(shape, 4);
      const r = runOp('pad2d', [x], { pads, value });
      expect(r.shapes[0])
        .toEqual([shape[0], shape[1], shape[2] + pads[0] + pads[2], shape[3] + pads[1] + pads[3]]);
      expectClose(r.outputs[0], padRef(x.data, shape, pads, value));
    });
  }
});
