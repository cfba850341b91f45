// fuse-qdq: DequantizeLinear -> Conv -> QuantizeLinear (the QDQ form onnxruntime's quantizer writes)
// becomes the centred-integer conv plus one requantisation, and computes exactly what QLinearConv
// computes: both models, run end to end, equal a JS integer reference (int32 accumulation, round
// half to even, saturation). A bias whose scale is not sx*sw is left as a float round trip.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { fuseQdq } from '../../compiler/passes/fuse-qdq.js';
import { idsAfter } from '../../compiler/passes/graph-util.js';
import { constValues } from '../../ir/const.js';
import { verifyFunc } from '../../ir/verify.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { buildModel } from '../helpers/models.js';
import { attrInt, attrInts, encodeModel, floatTensor, INT32, INT8, node, UINT8, vi }
  from '../fixtures/onnx-builder.js';

const raw = (name: string, dataType: number, dims: number[], a: Int8Array | Uint8Array | Int32Array) =>
  ({ name, dims, dataType, rawData: new Uint8Array(a.buffer) });

const [C, M, K, H] = [2, 3, 3, 4];
const W = Int8Array.from({ length: M * C * K * K }, (_, i) => ((i * 29) % 51) - 25);
const SW = [0.02, 0.035, 0.011], ZW = [0, 0, 0];
const [SX, ZX, SY, ZY] = [0.05, 7, 0.09, 120];
const B = Int32Array.from([300, -250, 1200]);
const X = Uint8Array.from({ length: C * H * H }, (_, i) => (i * 37) % 256);

function params(biasScale: (m: number) => number) {
  return [
    floatTensor('sx', [], [SX]), raw('zx', UINT8, [], Uint8Array.from([ZX])),
    raw('w', INT8, [M, C, K, K], W), floatTensor('sw', [M], SW), raw('zw', INT8, [M], Int8Array.from(ZW)),
    raw('b', INT32, [M], B), floatTensor('sb', [M], SW.map((s, m) => biasScale(m) * s)),
    floatTensor('sy', [], [SY]), raw('zy', UINT8, [], Uint8Array.from([ZY])),
  ];
}

const convAttrs = [attrInts('kernel_shape', [K, K]), attrInts('pads', [1, 1, 1, 1])];
const io = { inputs: [vi('xq', UINT8, [1, C, H, H])], outputs: [vi('yq', UINT8, [1, M, H, H])] };

function qdqModel(biasScale = (_m: number) => Math.fround(SX)) {
  return {
    nodes: [
      node('DequantizeLinear', ['xq', 'sx', 'zx'], ['x']),
      node('DequantizeLinear', ['w', 'sw', 'zw'], ['wf'], [attrInt('axis', 0)]),
      node('DequantizeLinear', ['b', 'sb'], ['bf'], [attrInt('axis', 0)]),
      node('Conv', ['x', 'wf', 'bf'], ['y'], convAttrs),
      node('QuantizeLinear', ['y', 'sy', 'zy'], ['yq']),
    ],
    ...io, initializers: params(biasScale),
  };
}

const qlinearModel = () => ({
  nodes: [node('QLinearConv', ['xq', 'sx', 'zx', 'w', 'sw', 'zw', 'sy', 'zy', 'b'], ['yq'], convAttrs)],
  ...io, initializers: params(() => SX),
});

/** QLinearConv by definition: int32 sums, then round(acc * sx*sw/sy) + zy, saturated. */
function reference(): number[] {
  const f = Math.fround, out: number[] = [];
  for (let m = 0; m < M; m++) for (let oy = 0; oy < H; oy++) for (let ox = 0; ox < H; ox++) {
    let acc = B[m];
    for (let c = 0; c < C; c++) for (let ky = 0; ky < K; ky++) for (let kx = 0; kx < K; kx++) {
      const iy = oy + ky - 1, ix = ox + kx - 1;
      if (iy < 0 || iy >= H || ix < 0 || ix >= H) continue;
      acc += (X[(c * H + iy) * H + ix] - ZX) * (W[((m * C + c) * K + ky) * K + kx] - ZW[m]);
    }
    const v = acc * f(f(f(SX) * f(SW[m])) / f(SY));
    const r = Math.round(v), even = Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    out.push(Math.min(255, Math.max(0, even + ZY)));
  }
  return out;
}

async function run(spec: Parameters<typeof buildModel>[1], name: string): Promise<number[]> {
  const s = await buildModel(name, spec);
  try {
    const out = await s.run({ xq: new Tensor('uint8', X, [1, C, H, H]) });
    return Array.from(out.yq.data as Uint8Array);
  } finally { s.dispose(); }
}

describe('fuse-qdq', () => {
  it('rewrites DQ -> conv -> Q into a conv over centred integers and one requantisation', () => {
    const m = importOnnx(encodeModel(qdqModel()));
    const before = m.main.nodes.find((n) => n.op === 'quantize_linear')!;
    const f = fuseQdq(m.main, idsAfter(m));
    expect(verifyFunc(f)).toEqual([]);
    expect(f.nodes.map((n) => n.op)).toEqual(['dequantize_linear', 'conv', 'quantize_linear']);
    const [centre, conv, q] = f.nodes;
    expect(centre.inputs[0]!.name).toBe('xq');
    expect(constValues(conv.inputs[1]!.data!)).toEqual(Array.from(W));
    expect(constValues(conv.inputs[2]!.data!)).toEqual(Array.from(B));
    expect(q.attrs.mul).toBe(1);
    expect(q.outputs[0].id).toBe(before.outputs[0].id);
  });
  it('leaves the pattern alone when the bias scale is not sx*sw', () => {
    const m = importOnnx(encodeModel(qdqModel(() => 0.5)));
    expect(fuseQdq(m.main, idsAfter(m)).nodes).toEqual(m.main.nodes);
  });
  it('the QDQ model and the QLinearConv model both compute the integer reference exactly', async () => {
    const want = reference();
    expect(await run(qdqModel(), 'qdq-conv')).toEqual(want);
    expect(await run(qlinearModel(), 'qlinear-conv')).toEqual(want);
  });
});
