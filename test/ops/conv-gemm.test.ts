// Pointwise conv as a matrix product over the flattened image (ir/ops/conv-gemm.ts) against the
// JS reference: pixel tails, output-channel tails, groups, batches, 1-D/3-D, knobs, scalar sinks
// and symbolic batch/spatial dims; convs that are not pointwise stay on the direct kernels.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/conv.js';
import { sym } from '../../ir/dim.js';
import { broadcastAt } from '../../ir/ops/broadcast.js';
import { pointwiseTile } from '../../ir/ops/conv-gemm.js';
import { bufferAccess, coordsOf } from '../../ir/te-loops.js';
import * as t from '../../ir/tir-build.js';
import { expectClose, runOp, tensor } from './harness.js';
import { convRef } from './ref.js';

interface Case {
  name: string; x: number[]; w: number[]; bias?: boolean; group?: number;
  knobs?: Record<string, number>; vectorizable?: boolean; symbolic?: boolean;
}

function runCase(c: Case): string {
  const S = c.x.length - 2, kernel = c.w.slice(2), ones = kernel.map(() => 1);
  const dims = c.symbolic ? [sym('batch'), c.x[1], ...c.x.slice(2).map((_, i) => sym(`s${i}`))] : undefined;
  const x = tensor(c.x, 3, dims), w = tensor(c.w, 5), b = c.bias ? tensor([c.w[0]], 7) : null;
  const attrs = { kernel, strides: ones, dilations: ones, pads: new Array(2 * S).fill(0), group: c.group ?? 1,
    autoPad: 'NOTSET' };
  const r = runOp('conv', [x, w, b], attrs, { knobs: c.knobs, vectorizable: c.vectorizable });
  const out = c.x.slice(2);
  expect(r.shapes[0]).toEqual([c.x[0], c.w[0], ...out]);
  const ref = convRef(x.data, c.x, w.data, c.w, b?.data ?? null, c.group ?? 1,
    { kernel, strides: ones, dilations: ones, padsBegin: new Array(S).fill(0), out });
  expectClose(r.outputs[0], ref);
  return JSON.stringify(r.kernel.body);
}

const CASES: Case[] = [
  { name: 'pixel tail (13x13), channel tail (M=13), bias', x: [1, 20, 13, 13], w: [13, 20, 1, 1],
    bias: true },
  { name: 'exact tiles', x: [1, 8, 8, 16], w: [12, 8, 1, 1] },
  { name: 'batch 3, groups 3', x: [3, 12, 5, 7], w: [9, 4, 1, 1], group: 3, bias: true },
  { name: 'one channel out, K=1', x: [2, 1, 3, 40], w: [1, 1, 1, 1] },
  { name: '1-D', x: [2, 5, 37], w: [7, 5, 1] },
  { name: '3-D', x: [1, 6, 3, 4, 5], w: [8, 6, 1, 1, 1], bias: true },
  { name: 'knobs tm=2 tn=1 vec=8', x: [1, 9, 6, 11], w: [7, 9, 1, 1],
    knobs: { 'conv1x1.tm': 2, 'conv1x1.tn': 1, 'conv1x1.vec': 8 } },
  { name: 'scalar sink', x: [1, 4, 5, 9], w: [6, 4, 1, 1], vectorizable: false, bias: true },
  { name: 'symbolic batch, h and w', x: [2, 5, 6, 19], w: [11, 5, 1, 1], bias: true, symbolic: true },
  { name: 'symbolic, grouped', x: [2, 6, 3, 17], w: [4, 3, 1, 1], group: 2, symbolic: true },
  // The last column block narrower than the others: 13 vectors as 4+4+4+1; 5 whole ones as 3+2.
  { name: 'narrow last column block (14x14)', x: [1, 12, 14, 14], w: [20, 12, 1, 1], bias: true },
  { name: 'narrow last column block, whole vectors (8x10)', x: [1, 6, 8, 10], w: [7, 6, 1, 1] },
  { name: 'packed: narrow last column block (14x14)', x: [1, 12, 14, 14], w: [20, 12, 1, 1], bias: true,
    knobs: { 'conv1x1.pack': 2 } },
  // Packed pixel panels (taken by default when a panel serves >= 4 channel blocks).
  { name: 'packed by default: 60 channels, 13x13', x: [1, 10, 13, 13], w: [60, 10, 1, 1], bias: true },
  { name: 'packed: pixel and channel tails, 3 chunks', x: [1, 7, 5, 9], w: [31, 7, 1, 1],
    knobs: { 'conv1x1.pack': 2, 'conv1x1.mchunks': 3 } },
  { name: 'packed: batch 2, groups 2, one tile column', x: [2, 8, 3, 5], w: [14, 4, 1, 1], group: 2,
    knobs: { 'conv1x1.pack': 2 } },
  { name: 'packed: symbolic batch and spatial dims', x: [2, 9, 4, 23], w: [13, 9, 1, 1], bias: true,
    symbolic: true, knobs: { 'conv1x1.pack': 2, 'conv1x1.mchunks': 2 } },
  { name: 'packed: exact tiles, vec 8, scalar sink', x: [1, 3, 4, 8], w: [12, 3, 1, 1], vectorizable: false,
    knobs: { 'conv1x1.pack': 2, 'conv1x1.vec': 8, 'conv1x1.tn': 2 } },
];

describe('pointwise conv as a GEMM', () => {
  for (const c of CASES) it(c.name, () => { runCase(c); });

  it('reads the conv1x1 knobs (the GEMM path is taken), not the direct kernel ones', () => {
    const c = { name: '', x: [1, 4, 3, 40], w: [8, 4, 1, 1] };
    const a = runCase({ ...c, knobs: { 'conv1x1.tm': 2 } });
    const b = runCase({ ...c, knobs: { 'conv1x1.tm': 4 } });
    const d = runCase({ ...c, knobs: { 'conv.oc': 2 } }), e = runCase({ ...c, knobs: { 'conv.oc': 3 } });
    expect(a).not.toEqual(b);
    expect(d).toEqual(e);
  });

  it('packs pixel panels only where a panel serves enough channel blocks, or when asked', () => {
    const c = { name: '', x: [1, 4, 3, 40], w: [8, 4, 1, 1] };
    expect(runCase(c)).not.toContain('bpanel');
    expect(runCase({ ...c, knobs: { 'conv1x1.pack': 2 } })).toContain('bpanel');
    expect(runCase({ ...c, w: [96, 4, 1, 1] })).toContain('bpanel');
    expect(runCase({ ...c, w: [96, 4, 1, 1], knobs: { 'conv1x1.pack': 3 } })).not.toContain('bpanel');
  });

  it('takes an 8 x 3 tile by default for 24+ channels over 65..511 inputs on 32 registers', () => {
    expect(pointwiseTile(32, 32, 256)).toEqual({ tm: 8, tn: 3 });
    expect(pointwiseTile(32, 16, 256)).toEqual({ tm: 6, tn: 4 }); // few channels
    expect(pointwiseTile(32, 96, 16)).toEqual({ tm: 6, tn: 4 }); // short reduction
    expect(pointwiseTile(32, 1000, 512)).toEqual({ tm: 6, tn: 4 });
    expect(pointwiseTile(16, 32, 256)).toEqual({ tm: 6, tn: 4 });
    expect(pointwiseTile(32, undefined, 256)).toEqual({ tm: 6, tn: 4 });
    // The default itself (no knobs) is correct on tails: 36 channels, 13x13 pixels, K=80.
    const tall = runCase({ name: '', x: [1, 80, 13, 13], w: [36, 80, 1, 1], bias: true });
    expect(tall).toEqual(runCase({ name: '', x: [1, 80, 13, 13], w: [36, 80, 1, 1], bias: true,
      knobs: { 'conv1x1.tm': 8, 'conv1x1.tn': 3 } }));
  });
});

describe('flat coordinates of the pointwise GEMM stores', () => {
  it('keep their flat offset through a same-shape broadcast with an extent-1 batch axis', () => {
    // Regression: the batch coordinate of a batch-1 output was a computed 0, which broadcastAt
    // replaced by a constant in a new index, so a fused residual add re-derived its offset from
    // coordinates (a division per lane and a gather) instead of loading at the flat offset.
    const shape = [t.imm(1), t.imm(68), t.imm(14), t.imm(14)];
    const flat = t.add(t.mul(t.variable('p'), 16), t.variable('v'));
    const residual = bufferAccess(t.buffer('r', 'float32'), shape);
    const load = broadcastAt(residual, coordsOf(flat, shape), shape);
    expect(load).toEqual(t.load(t.buffer('r', 'float32'), flat));
  });
});
