// integer-max-pool: DequantizeLinear -> MaxPool -> QuantizeLinear with the same scale and zero
// point becomes a max pool of the uint8 values themselves; the compiled model equals the max of
// each window of the quantized input. Different output parameters keep the float round trip.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { integerMaxPool } from '../../compiler/passes/integer-max-pool.js';
import { verifyFunc } from '../../ir/verify.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { buildModel } from '../helpers/models.js';
import { attrInts, encodeModel, floatTensor, node, UINT8, vi } from '../fixtures/onnx-builder.js';

const [C, H] = [3, 7];
const X = Uint8Array.from({ length: C * H * H }, (_, i) => (i * 97 + 13) % 256);
const zp = (name: string, v: number) => ({ name, dims: [], dataType: UINT8, rawData: Uint8Array.from([v]) });

function model(sy: number, zy: number) {
  return {
    nodes: [
      node('DequantizeLinear', ['xq', 'sx', 'zx'], ['x']),
      node('MaxPool', ['x'], ['y'], [attrInts('kernel_shape', [3, 3]), attrInts('strides', [2, 2]),
        attrInts('pads', [1, 1, 1, 1])]),
      node('QuantizeLinear', ['y', 'sy', 'zy'], ['yq']),
    ],
    inputs: [vi('xq', UINT8, [1, C, H, H])], outputs: [vi('yq', UINT8, [1, C, 4, 4])],
    initializers: [floatTensor('sx', [], [0.037]), zp('zx', 11), floatTensor('sy', [], [sy]), zp('zy', zy)],
  };
}

function reference(): number[] {
  const out: number[] = [];
  for (let c = 0; c < C; c++) for (let oy = 0; oy < 4; oy++) for (let ox = 0; ox < 4; ox++) {
    let m = -1;
    for (let ky = 0; ky < 3; ky++) for (let kx = 0; kx < 3; kx++) {
      const iy = oy * 2 + ky - 1, ix = ox * 2 + kx - 1;
      if (iy >= 0 && iy < H && ix >= 0 && ix < H) m = Math.max(m, X[(c * H + iy) * H + ix]);
    }
    out.push(m);
  }
  return out;
}

describe('integer-max-pool', () => {
  it('pools the quantized integers when input and output parameters agree', async () => {
    const m = importOnnx(encodeModel(model(0.037, 11)));
    const f = integerMaxPool(m.main);
    expect(verifyFunc(f)).toEqual([]);
    expect(f.nodes.map((n) => n.op)).toEqual(['max_pool']);
    expect(f.nodes[0].inputs[0]!.type.dtype).toBe('uint8');
    const s = await buildModel('int-max-pool', model(0.037, 11));
    try {
      const out = await s.run({ xq: new Tensor('uint8', X, [1, C, H, H]) });
      expect(Array.from(out.yq.data as Uint8Array)).toEqual(reference());
    } finally { s.dispose(); }
  });
  it('leaves the pool alone when the scale or the zero point changes', () => {
    for (const [sy, zy] of [[0.05, 11], [0.037, 12]]) {
      const m = importOnnx(encodeModel(model(sy, zy)));
      expect(integerMaxPool(m.main).nodes).toEqual(m.main.nodes);
    }
  });
});
