// Depthwise conv (ir/ops/depthwise.ts) against the JS reference: padding handled in the kernel
// (interior tiles unmasked, border tiles masked on every side, up to 4 width tiles unrolled), row
// and width tails, strides 1-3, dilation, asymmetric and SAME pads, a serial 5x5 window, knobs,
// scalar sinks and symbolic spatial dims.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/conv.js';
import { sym } from '../../ir/dim.js';
import { defaultRows } from '../../ir/ops/depthwise.js';
import { expectClose, runOp, tensor } from './harness.js';
import { convRef } from './ref.js';

interface Case {
  name: string; x: number[]; k?: number[]; strides?: number[]; dilations?: number[];
  pads?: number[]; knobs?: Record<string, number>; vectorizable?: boolean; bias?: boolean;
}

function runDepthwise(c: Case): void {
  const C = c.x[1], kernel = c.k ?? [3, 3], w = [C, 1, ...kernel];
  const strides = c.strides ?? [1, 1], dilations = c.dilations ?? [1, 1], pads = c.pads ?? [0, 0, 0, 0];
  const out = [0, 1].map((i) =>
    Math.floor((c.x[2 + i] + pads[i] + pads[i + 2] - dilations[i] * (kernel[i] - 1) - 1) / strides[i]) + 1);
  const x = tensor(c.x, 3), wt = tensor(w, 5), b = c.bias === false ? null : tensor([C], 7);
  const attrs = { kernel, strides, dilations, pads, group: C, autoPad: 'NOTSET' };
  const r = runOp('conv', [x, wt, b], attrs, { knobs: c.knobs, vectorizable: c.vectorizable });
  expect(r.shapes[0]).toEqual([c.x[0], C, ...out]);
  const ref = convRef(x.data, c.x, wt.data, w, b?.data ?? null, C,
    { kernel, strides, dilations, padsBegin: pads.slice(0, 2), out });
  expectClose(r.outputs[0], ref);
}

const CASES: Case[] = [
  { name: 'no padding, row and width tails', x: [1, 3, 9, 37] },
  { name: 'no padding, stride 2 (strided loads), exact width', x: [2, 2, 9, 65], strides: [2, 2] },
  { name: 'no padding, stride 3 dilation 2, knobs', x: [1, 2, 13, 50], strides: [3, 3], dilations: [2, 2],
    knobs: { 'dw.rows': 3, 'dw.wv': 1 } },
  { name: 'pad 1: interior and border tiles on every side', x: [1, 3, 13, 70], pads: [1, 1, 1, 1],
    knobs: { 'dw.rows': 2, 'dw.wv': 1 } },
  { name: 'pad 1 stride 2, wide rows', x: [2, 2, 14, 112], strides: [2, 2], pads: [1, 1, 1, 1] },
  { name: 'pad 1 stride 2, odd extents', x: [1, 3, 15, 57], strides: [2, 2], pads: [1, 1, 1, 1],
    bias: false },
  { name: 'asymmetric pads', x: [1, 2, 9, 40], pads: [0, 2, 1, 0], knobs: { 'dw.wv': 1 } },
  { name: 'pads larger than the window reach (output of padding only)', x: [1, 2, 3, 5], pads: [3, 4, 3, 4] },
  { name: '5x5 pad 2 (serial window)', x: [1, 2, 10, 35], k: [5, 5], pads: [2, 2, 2, 2] },
  { name: 'mobilenet 7x7 plane, pad 1', x: [1, 16, 7, 7], pads: [1, 1, 1, 1] },
  { name: 'dilation 2 pad 2, exact 2-vector rows', x: [1, 2, 8, 32], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'scalar sink, padded', x: [1, 2, 5, 18], strides: [1, 2], pads: [1, 1, 1, 1], vectorizable: false },
  // Width tiles unrolled (at most 4): each copy's left border, right border and tail masks fold.
  { name: 'pad 1, four unrolled width tiles with a tail', x: [1, 5, 9, 100], pads: [1, 1, 1, 1] },
  { name: 'pad 1 stride 2, mobilenet-like 56-wide output', x: [1, 3, 12, 112], strides: [2, 2],
    pads: [1, 1, 1, 1] },
  // Input rows shared between output rows (th*stride + kh*dilation): overlaps of stride and
  // dilation, a partial last row block whose extra rows run past the image, end padding that no
  // window reaches (3x3 stride 2 over an even extent).
  { name: '5x5 stride 2 dilation 2, row tail past the image', x: [1, 2, 19, 41], k: [5, 5],
    strides: [2, 2], dilations: [2, 2] },
  { name: 'stride 3, 6 rows per tile, pads 2', x: [1, 2, 23, 29], strides: [3, 3], pads: [2, 2, 2, 2],
    knobs: { 'dw.rows': 6 } },
  { name: 'stride 2 pad 1 over an even extent (end padding never read)', x: [1, 3, 16, 40],
    strides: [2, 2], pads: [1, 1, 1, 1], knobs: { 'dw.rows': 3 } },
  // Deeper default row tiles on planes of at most 56 input rows (defaultRows).
  { name: 'pad 1, 28 rows (7-row tiles)', x: [1, 3, 28, 30], pads: [1, 1, 1, 1] },
  { name: 'pad 1 stride 2, 56 -> 28 rows (7-row tiles)', x: [1, 2, 56, 40], strides: [2, 2],
    pads: [1, 1, 1, 1] },
  { name: 'pad 1, 20 rows (5-row tiles)', x: [1, 2, 20, 24], pads: [1, 1, 1, 1] },
];

describe('depthwise conv', () => {
  for (const c of CASES) it(c.name, () => runDepthwise(c));

  it('takes deeper row tiles by default on planes of at most 56 input rows', () => {
    expect([7, 14, 16].map((oh) => defaultRows(oh))).toEqual([7, 7, 8]);
    expect([28, 56, 20, 24, 17].map((oh) => defaultRows(oh))).toEqual([7, 7, 5, 6, 4]);
    expect(defaultRows(28, 2)).toBe(7);
    expect(defaultRows(56, 2)).toBe(4); // 112 input rows
    expect(defaultRows(112)).toBe(4);
    expect(defaultRows(undefined)).toBe(4);
  });

  it('pads at run time for symbolic h and w (SAME_UPPER, stride 2)', () => {
    const shape = [2, 3, 7, 19];
    const x = { ...tensor(shape, 3), dims: [sym('batch'), 3, sym('h'), sym('w')] };
    const w = tensor([3, 1, 3, 3], 5);
    const attrs = { kernel: [3, 3], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: 3,
      autoPad: 'SAME_UPPER' };
    const r = runOp('conv', [x, w, null], attrs);
    expect(r.shapes[0]).toEqual([2, 3, 4, 10]);
    // SAME_UPPER, 3x3 stride 2: total pad (4-1)*2+3-7 = 2 rows and (10-1)*2+3-19 = 2 columns.
    const ref = convRef(x.data, shape, w.data, [3, 1, 3, 3], null, 3,
      { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], padsBegin: [1, 1], out: [4, 10] });
    expectClose(r.outputs[0], ref);
  });
});
