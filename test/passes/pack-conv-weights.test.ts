// pack-conv-weights: dense unpadded 2-D convs with long reductions get [M/L][C][KH][KW][L] weights.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { idsAfter } from '../../compiler/passes/graph-util.js';
import { packConvWeights, packOc } from '../../compiler/passes/pack-conv-weights.js';
import { constFloat32 } from '../../ir/const.js';
import { verifyFunc } from '../../ir/verify.js';
import { attrInt, attrInts, encodeModel, floatTensor, FLOAT, node, vi } from '../fixtures/onnx-builder.js';

const convModel = (c: number, m: number, group = 1, k = 3, s = 1, hw = 8) => importOnnx(encodeModel({
  nodes: [node('Conv', ['x', 'w'], ['y'], [attrInts('kernel_shape', [k, k]), attrInt('group', group),
    attrInts('strides', [s, s])])],
  inputs: [vi('x', FLOAT, [1, c, hw, hw])],
  outputs: [vi('y', FLOAT, [1, m, Math.floor((hw - k) / s) + 1, Math.floor((hw - k) / s) + 1])],
  initializers: [floatTensor('w', [m, c / group, k, k],
    Array.from({ length: m * (c / group) * k * k }, (_, i) => i))],
}));

describe('pack-conv-weights', () => {
  it('packs output channels into lane blocks, zero-filled past M', () => {
    const m = convModel(16, 20);
    const f = packConvWeights(m.main, idsAfter(m), 16);
    expect(verifyFunc(f)).toEqual([]);
    const conv = f.nodes[0];
    expect(conv.attrs.packedOc).toBe(16);
    expect(conv.attrs.outChannels).toBe(20);
    const w = conv.inputs[1]!;
    expect(w.type.shape).toEqual([2, 16, 3, 3, 16]);
    const d = constFloat32(w.data!);
    const k = 16 * 9;
    expect(d[5 * 16 + 3]).toBe(3 * k + 5); // block 0, tap 5, channel 3
    expect(d[16 * k + 7 * 16 + 2]).toBe(18 * k + 7); // block 1, tap 7, channel 18
    expect(d[16 * k + 7 * 16 + 4]).toBe(0); // channel 20: padding
    expect(conv.outputs[0].type).toEqual(m.main.nodes[0].outputs[0].type);
  });
  it('skips grouped convs, 1x1 reductions shorter than 8, and pointwise convs (a GEMM instead)', () => {
    for (const m of [convModel(8, 8, 2), convModel(4, 16, 1, 1, 2), convModel(64, 16, 1, 1, 1, 9)]) {
      expect(packConvWeights(m.main, idsAfter(m), 16).nodes).toEqual(m.main.nodes);
    }
  });
  it('packs pointwise convs on planes of at most 64 pixels with K <= 512 (9x9 or K = 513: GEMMs)', () => {
    const m = convModel(64, 16, 1, 1, 1, 8);
    expect(packConvWeights(m.main, idsAfter(m), 16).nodes[0].attrs.packedOc).toBe(16);
    const long = convModel(513, 16, 1, 1, 1, 7);
    expect(packConvWeights(long.main, idsAfter(long), 16).nodes).toEqual(long.main.nodes);
  });
  it('packs strided 1x1 convs from K = 8 up and spatial windows from K = 100 up', () => {
    for (const m of [convModel(8, 16, 1, 1, 2), convModel(12, 16), convModel(3, 16, 1, 7, 1)]) {
      expect(packConvWeights(m.main, idsAfter(m), 16).nodes[0].attrs.packedOc).toBe(16);
    }
  });
  it('leaves short spatial reductions on the direct nest (a 3-channel 3x3 stem: K = 27; K = 99)', () => {
    for (const m of [convModel(3, 16), convModel(11, 16), convModel(1, 32)]) {
      expect(packConvWeights(m.main, idsAfter(m), 16).nodes).toEqual(m.main.nodes);
    }
  });
  it('packOc round-trips a [M][K] matrix', () => {
    const w = Float32Array.from({ length: 3 * 5 }, (_, i) => i + 1);
    const p = packOc(w, 3, 5, 4);
    expect([...p.slice(0, 8)]).toEqual([1, 6, 11, 0, 2, 7, 12, 0]);
  });
});
