// pack-matmul-weights: constant 2-D B of matmul/gemm becomes [ceil(N/L)][K][L] column panels.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { idsAfter } from '../../compiler/passes/graph-util.js';
import { packColumns, packMatmulWeights } from '../../compiler/passes/pack-matmul-weights.js';
import { constFloat32 } from '../../ir/const.js';
import { verifyFunc } from '../../ir/verify.js';
import { attrInt, encodeModel, floatTensor, FLOAT, node, vi } from '../fixtures/onnx-builder.js';

const iota = (n: number) => Array.from({ length: n }, (_, i) => i + 1);

/** x[4, K] times a constant B ([K, N], or [N, K] for a Gemm with transB). */
const model = (op: 'MatMul' | 'Gemm', k: number, n: number, transB = 0, constB = true) =>
  importOnnx(encodeModel({
  nodes: [node(op, ['x', 'b'], ['y'], op === 'Gemm' ? [attrInt('transB', transB)] : [])],
  inputs: [vi('x', FLOAT, [4, k]), ...(constB ? [] : [vi('b', FLOAT, [k, n])])],
  outputs: [vi('y', FLOAT, [4, n])],
  initializers: constB ? [floatTensor('b', transB ? [n, k] : [k, n], iota(k * n))] : [],
}));

describe('pack-matmul-weights', () => {
  it('packs a MatMul B [K][N] into panels, zero-filled past N', () => {
    const m = model('MatMul', 3, 20);
    const f = packMatmulWeights(m.main, idsAfter(m), 16);
    expect(verifyFunc(f)).toEqual([]);
    const mm = f.nodes[0];
    expect(mm.attrs).toMatchObject({ packedLanes: 16, packedN: 20 });
    expect(mm.inputs[1]!.type.shape).toEqual([2, 3, 16]);
    const d = constFloat32(mm.inputs[1]!.data!);
    expect(d[1 * 16 + 5]).toBe(1 * 20 + 5 + 1); // panel 0, k 1, column 5
    expect(d[(3 + 2) * 16 + 3]).toBe(2 * 20 + 19 + 1); // panel 1, k 2, column 19
    expect(d[(3 + 2) * 16 + 4]).toBe(0); // column 20: padding
    expect(mm.outputs[0].type).toEqual(m.main.nodes[0].outputs[0].type);
  });
  it('packs a Gemm B^T [N][K] the same way and clears transB', () => {
    const plain = packMatmulWeights(model('Gemm', 5, 18).main, idsAfter(model('Gemm', 5, 18)), 16);
    const m = model('Gemm', 5, 18, 1);
    const f = packMatmulWeights(m.main, idsAfter(m), 16);
    expect(verifyFunc(f)).toEqual([]);
    expect(f.nodes[0].attrs).toMatchObject({ transB: 0, packedLanes: 16, packedN: 18 });
    const d = constFloat32(f.nodes[0].inputs[1]!.data!);
    expect(d[(5 + 4) * 16 + 1]).toBe(17 * 5 + 4 + 1); // panel 1, k 4, column 17 = B^T[17][4]
    expect(constFloat32(plain.nodes[0].inputs[1]!.data!)[(5 + 4) * 16 + 1]).toBe(4 * 18 + 17 + 1);
  });
  it('leaves a B that is not a constant, and scalar targets, alone', () => {
    const m = model('MatMul', 3, 20, 0, false);
    expect(packMatmulWeights(m.main, idsAfter(m), 16).nodes).toEqual(m.main.nodes);
    const c = model('MatMul', 3, 20);
    expect(packMatmulWeights(c.main, idsAfter(c), 1)).toBe(c.main);
  });
  it('packColumns lays [K][N] out as panels', () => {
    const p = packColumns(Float32Array.from(iota(6)), 2, 3, 2);
    expect([...p]).toEqual([1, 2, 4, 5, 3, 0, 6, 0]);
  });
});
