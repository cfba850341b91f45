// integer-nhwc: the 8-bit activations between integer convolutions become channels-last. A
// residual block in QDQ form (two 3x3 QLinearConvs, the second one's output dequantised, added to
// the block input's dequantised copy, relu, quantised) plus a 1x1 stride-2 conv on the sum and a
// max pool on the first conv: the pass must give the convs channels-last outputs, the packs
// channels-last words, keep NCHW where a reader needs it (max pool, graph outputs), and the
// compiled model must equal onnxruntime-node exactly (channel counts that are not multiples of 4
// or 16, odd spatial sizes). The add's operands have power-of-two scales: their dequantised
// products are exact, so kestrel's contraction of (x - z) * s + y into one FMA rounds as
// onnxruntime's separate multiply and add do (with other scales they may differ by one step).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { compile } from '../../compiler/driver.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { fuseQdq } from '../../compiler/passes/fuse-qdq.js';
import { idsAfter } from '../../compiler/passes/graph-util.js';
import { integerConv } from '../../compiler/passes/integer-conv.js';
import { integerNhwc } from '../../compiler/passes/integer-nhwc.js';
import { load } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { attrInts, encodeModel, floatTensor, INT32, INT8, node, UINT8, vi }
  from '../fixtures/onnx-builder.js';

const lcg = (seed: number) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);
const [C, M, H, W] = [6, 20, 9, 11];

const u8 = (name: string, dims: number[], v: number[]) =>
  ({ name, dims, dataType: UINT8, rawData: Uint8Array.from(v) });
const s8 = (name: string, dims: number[], v: number[]) =>
  ({ name, dims, dataType: INT8, rawData: new Uint8Array(Int8Array.from(v).buffer) });
const i32 = (name: string, v: number[]) =>
  ({ name, dims: [v.length], dataType: INT32, rawData: new Uint8Array(Int32Array.from(v).buffer) });

function spec() {
  const r = lcg(11);
  const int = (lo: number, n: number) => Array.from({ length: n }, () => lo + Math.floor(r() * 256));
  const conv = (x: string, w: string, b: string, sx: string, zx: string, sy: string, zy: string, y: string,
    k: number, stride = 1) => node('QLinearConv', [x, sx, zx, w, 'sw', 'zw', sy, zy, b], [y],
    [attrInts('kernel_shape', [k, k]), attrInts('strides', [stride, stride]),
      attrInts('pads', k === 3 ? [1, 1, 1, 1] : [0, 0, 0, 0])]);
  return {
    nodes: [
      conv('xq', 'w1', 'b1', 'sx', 'zx', 's1', 'z1', 'y1', 3),
      conv('y1', 'w2', 'b2', 's1', 'z1', 's2', 'z2', 'y2', 3),
      node('DequantizeLinear', ['y2', 's2', 'z2'], ['y2f']),
      node('DequantizeLinear', ['y1', 's1', 'z1'], ['y1f']),
      node('Add', ['y2f', 'y1f'], ['sum']),
      node('Relu', ['sum'], ['act']),
      node('QuantizeLinear', ['act', 's3', 'z3'], ['aq']),
      conv('aq', 'w3', 'b3', 's3', 'z3', 's4', 'z4', 'dq', 1, 2),
      node('MaxPool', ['y1'], ['pool'], [attrInts('kernel_shape', [2, 2]), attrInts('strides', [2, 2])]),
    ],
    inputs: [vi('xq', UINT8, [1, C, H, W])],
    outputs: [vi('aq', UINT8, [1, M, H, W]), vi('dq', UINT8, [1, M, 5, 6]), vi('pool', UINT8, [1, M, 4, 5])],
    initializers: [
      floatTensor('sx', [], [0.05]), u8('zx', [], [9]), floatTensor('sw', [], [0.01]), s8('zw', [], [0]),
      ...([['s1', 0.0625, 'z1', 30], ['s2', 0.125, 'z2', 128], ['s3', 0.06, 'z3', 0],
        ['s4', 0.07, 'z4', 100]] as const)
        .flatMap(([s, sv, z, zv]) => [floatTensor(s, [], [sv]), u8(z, [], [zv])]),
      s8('w1', [M, C, 3, 3], int(-128, M * C * 9)), s8('w2', [M, M, 3, 3], int(-128, M * M * 9)),
      s8('w3', [M, M, 1, 1], int(-128, M * M)),
      ...['b1', 'b2', 'b3'].map((b) => i32(b, int(0, M).map((v) => v * 16 - 2000))),
    ],
    x: Uint8Array.from(int(0, C * H * W)),
  };
}

describe('integer-nhwc', () => {
  it('makes the convs channels-last and keeps NCHW for the max pool and the graph outputs', () => {
    const m = importOnnx(encodeModel(spec()));
    const ids = idsAfter(m), f = integerNhwc(integerConv(fuseQdq(m.main, ids), ids, 16), ids);
    const convs = f.nodes.filter((n) => n.op === 'qconv');
    // y1 feeds the max pool too: NCHW; y2 only its dequantize: channels-last, and so the add chain;
    // dq is a graph output: NCHW, from channels-last words of aq.
    expect(convs.map((n) => [n.attrs.inNhwc ?? 0, n.attrs.outNhwc ?? 0])).toEqual([[0, 0], [0, 1], [1, 0]]);
    expect(f.nodes.filter((n) => n.op === 'qconv_pack').map((n) => n.attrs.nhwc ?? 0)).toEqual([0, 0, 1]);
    const perms = f.nodes.filter((n) => n.op === 'transpose').map((n) => (n.attrs.perm as number[]).join(''));
    expect(perms).toEqual(['0231', '0312']); // y1 (u8) for the skip's dequantize; aq back for the output
    expect(f.nodes.filter((n) => n.op === 'dequantize_linear').map((n) => n.inputs[0]!.type.shape))
      .toEqual([[1, H, W, M], [1, H, W, M]]);
    expect(f.nodes.find((n) => n.op === 'add')!.outputs[0].type.shape).toEqual([1, H, W, M]);
  });

  it('the compiled model equals onnxruntime-node exactly', async () => {
    const s = spec(), bytes = encodeModel(s);
    const dir = mkdtempSync(join(tmpdir(), 'kestrel-nhwc-')), file = join(dir, 'm.onnx');
    writeFileSync(file, bytes);
    await compile(file, { output: join(dir, 'm.so'), target: 'host' });
    const opts = { graphOptimizationLevel: 'disabled' } as const; // its QLinearAdd fusion rounds differently
    const ort1 = await ort.InferenceSession.create(bytes, opts);
    const ref = await ort1.run({ xq: new ort.Tensor('uint8', s.x, [1, C, H, W]) });
    const sess = await load(join(dir, 'm.so'));
    try {
      const got = await sess.run({ xq: new Tensor('uint8', s.x, [1, C, H, W]) });
      for (const k of ['aq', 'dq', 'pool']) {
        const want = Array.from(ref[k].data as Uint8Array);
        expect(new Set(want).size).toBeGreaterThan(8); // not saturated to a constant
        expect(Array.from(got[k].data as Uint8Array)).toEqual(want);
      }
    } finally { sess.dispose(); }
  }, 60_000);
});
