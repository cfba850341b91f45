// The com.microsoft domain table: a contrib op kestrel declares (QLinearAdd) converts and computes
// onnxruntime's arithmetic exactly; one it does not declare is reported by the KC0301 list with
// its domain, never mistaken for the standard op of the same name.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { encodeModel, floatTensor, FLOAT, node, UINT8, vi } from '../fixtures/onnx-builder.js';
import { buildModel } from '../helpers/models.js';

const MS = [{ domain: 'com.microsoft', version: 1 }];
const u8 = (name: string, v: number) => ({ name, dims: [], dataType: UINT8, rawData: Uint8Array.from([v]) });

// Scale ratios 0.5 and 0.25 keep every step exact, so ties (x.5) test rounding half to even.
const [SA, SB, SC, ZA, ZB, ZC] = [0.5, 0.25, 1, 10, 3, 100];

function qlinearAddRef(a: number[], b: number[]): number[] {
  return a.map((x, i) => {
    const v = (x - ZA) * (SA / SC) + (b[i] - ZB) * (SB / SC);
    const r = Math.round(v), even = Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
    return Math.min(255, Math.max(0, even + ZC));
  });
}

describe('com.microsoft contrib ops', () => {
  it('QLinearAdd: centred, rescaled, rounded half to even, saturated', async () => {
    const s = await buildModel('qlinear-add', {
      nodes: [{ ...node('QLinearAdd', ['a', 'sa', 'za', 'b', 'sb', 'zb', 'sc', 'zc'], ['c']),
        domain: 'com.microsoft' }],
      inputs: [vi('a', UINT8, [2, 4]), vi('b', UINT8, [2, 4])], outputs: [vi('c', UINT8, [2, 4])],
      initializers: [floatTensor('sa', [], [SA]), u8('za', ZA), floatTensor('sb', [], [SB]), u8('zb', ZB),
        floatTensor('sc', [], [SC]), u8('zc', ZC)],
      extraOpsets: MS,
    });
    try {
      const a = [0, 11, 13, 255, 10, 200, 7, 9], b = [0, 5, 4, 255, 3, 1, 250, 6];
      const out = await s.run({ a: new Tensor('uint8', Uint8Array.from(a), [2, 4]),
        b: new Tensor('uint8', Uint8Array.from(b), [2, 4]) });
      expect(Array.from(out.c.data as Uint8Array)).toEqual(qlinearAddRef(a, b));
    } finally { s.dispose(); }
  });
  it('an undeclared contrib op is listed with its domain', () => {
    const bytes = encodeModel({
      nodes: [{ ...node('FusedMatMul', ['x', 'x'], ['y']), domain: 'com.microsoft' }],
      inputs: [vi('x', FLOAT, [2, 2])], outputs: [vi('y', FLOAT, [2, 2])], extraOpsets: MS,
    });
    expect(() => importOnnx(bytes)).toThrow(/KC0301.*com\.microsoft::FusedMatMul.*not supported/);
  });
});
