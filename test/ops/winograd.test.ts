// The Winograd path (compiler/passes/winograd-conv.ts, ir/ops/winograd.ts) against the direct-conv
// reference: wino_in, the grouped pointwise conv on the transformed weights, and wino_out, each
// lowered and run through the tensor-IR interpreter, for both tile sizes, pads of 0 to 2
// (asymmetric too), planes that are not multiples of the tile, rows of fewer and more tiles than
// lanes, a batch of 2, symbolic planes, 8 lanes, bias or none, and a scalar sink.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { sym } from '../../ir/dim.js';
import { winogradWeights } from '../../compiler/passes/winograd-conv.js';
import { runOp, tensor } from './harness.js';
import { convRef } from './ref.js';

interface Case {
  name: string; x: number[]; k: number; m: number; pads?: number[]; bias?: boolean; lanes?: number;
  symbolic?: boolean; vectorizable?: boolean;
}

/** Runs the three stages; returns the output and the direct reference. */
function winograd(c: Case): { y: Float32Array; ref: Float32Array; shape: number[] } {
  const [N, C, H, W] = c.x, K = c.k, m = c.m, al = m + 2;
  const pads = c.pads ?? [1, 1, 1, 1];
  const dims = c.symbolic ? [N, C, sym('h'), sym('w')] : undefined;
  const x = tensor(c.x, 3, dims);
  const w = tensor([K, C, 3, 3], 5), b = c.bias ? tensor([K], 7) : null;
  const opts = { lanes: c.lanes, vectorizable: c.vectorizable };
  const attrs = { tile: m, pads };
  const v = runOp('wino_in', [x], attrs, opts);
  const u = { data: winogradWeights(w.data, K, C, m), shape: [al * al * K, C, 1] };
  const gemm = runOp('conv', [{ data: v.outputs[0], shape: v.shapes[0] }, u, null],
    { kernel: [1], strides: [1], pads: [0, 0], dilations: [1], group: al * al, autoPad: 'NOTSET' }, opts);
  const p = { data: gemm.outputs[0], shape: gemm.shapes[0] };
  const y = runOp('wino_out', b ? [p, x, b] : [p, x], attrs, opts);
  const out = [H + pads[0] + pads[2] - 2, W + pads[1] + pads[3] - 2];
  const ref = convRef(x.data, c.x, w.data, [K, C, 3, 3], b?.data ?? null, 1,
    { kernel: [3, 3], strides: [1, 1], dilations: [1, 1], padsBegin: [pads[0], pads[1]], out });
  return { y: y.outputs[0], ref, shape: y.shapes[0] };
}

/** Relative to the output's scale: Winograd's rounding grows with m, never to 1e-4. */
function expectNear(y: Float32Array, ref: Float32Array, tol: number): void {
  expect(y.length).toBe(ref.length);
  let scale = 0, err = 0;
  for (let i = 0; i < ref.length; i++) scale = Math.max(scale, Math.abs(ref[i]));
  for (let i = 0; i < ref.length; i++) err = Math.max(err, Math.abs(y[i] - ref[i]));
  expect(Number.isFinite(err)).toBe(true);
  expect(err / scale).toBeLessThan(tol);
}

const CASES: Case[] = [
  { name: 'm=4, pad 1, 8x8 plane (exact tiles), bias', x: [1, 3, 8, 8], k: 5, m: 4, bias: true },
  { name: 'm=4, pad 1, 13x11 plane (partial tiles)', x: [1, 4, 13, 11], k: 3, m: 4 },
  { name: 'm=4, unpadded, 10x21 plane', x: [1, 2, 10, 21], k: 4, m: 4, pads: [0, 0, 0, 0] },
  { name: 'm=4, asymmetric pads 2/0/1/2', x: [1, 3, 9, 12], k: 2, m: 4, pads: [2, 0, 1, 2], bias: true },
  { name: 'm=4, rows of 20 tiles (more than the lanes)', x: [1, 2, 6, 80], k: 3, m: 4 },
  { name: 'm=4, batch 2', x: [2, 3, 7, 9], k: 4, m: 4, bias: true },
  { name: 'm=2, pad 1, 7x7 plane', x: [1, 5, 7, 7], k: 6, m: 2, bias: true },
  { name: 'm=2, rows of 35 tiles, pad 2', x: [1, 2, 5, 66], k: 3, m: 2, pads: [2, 2, 2, 2] },
  { name: 'm=4, 8 lanes', x: [1, 3, 11, 37], k: 3, m: 4, lanes: 8 },
  { name: 'm=4, symbolic plane', x: [1, 3, 10, 14], k: 3, m: 4, symbolic: true, bias: true },
  { name: 'm=2, symbolic plane', x: [2, 2, 9, 5], k: 3, m: 2, symbolic: true },
  { name: 'm=4, scalar sink', x: [1, 2, 6, 9], k: 3, m: 4, vectorizable: false, bias: true },
];

describe('winograd conv (wino_in, grouped pointwise conv, wino_out)', () => {
  for (const c of CASES) {
    it(c.name, () => {
      const { y, ref, shape } = winograd(c);
      const pads = c.pads ?? [1, 1, 1, 1];
      expect(shape).toEqual([c.x[0], c.k, c.x[2] + pads[0] + pads[2] - 2, c.x[3] + pads[1] + pads[3] - 2]);
      expectNear(y, ref, c.m === 4 ? 2e-5 : 2e-6);
    });
  }

  it('the transformed weights are G g G^T: a delta filter gives the transform of a delta', () => {
    // g = 1 at the centre tap: G g G^T is the outer product of G's middle column with itself.
    const g = new Float32Array(9);
    g[4] = 1;
    const u = winogradWeights(g, 1, 1, 2);
    const mid = [0, 0.5, -0.5, 0];
    expect([...u].map((v) => v + 0)).toEqual(mid.flatMap((a) => mid.map((b) => a * b + 0)));
  });

  it('rejects a tile without transforms and products whose channels do not match', () => {
    const x = tensor([1, 2, 6, 6], 1);
    expect(() => runOp('wino_in', [x], { tile: 3, pads: [1, 1, 1, 1] })).toThrow(/tile 3/);
    const p = tensor([1, 36 * 2 + 1, 4], 2);
    expect(() => runOp('wino_out', [p, x], { tile: 4, pads: [1, 1, 1, 1] })).toThrow(/products channels/);
  });
});
