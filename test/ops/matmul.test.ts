// gemm and matmul: lowering vs JS references, infer with symbolic batch, shape errors.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/matmul.js';
import { dimKey, sym } from '../../ir/dim.js';
import { packOc } from '../../compiler/passes/pack-conv-weights.js';
import { packColumns } from '../../compiler/passes/pack-matmul-weights.js';
import { expectClose, inferOp, runOp, tensor } from './harness.js';
import { gemmRef, matmulRef } from './ref.js';

describe('gemm lowering', () => {
  const M = 7, N = 19, K = 5;
  for (const tA of [0, 1]) for (const tB of [0, 1]) {
    it(`transA=${tA} transB=${tB} alpha/beta, C (M,N)`, () => {
      const as = tA ? [K, M] : [M, K], bs = tB ? [N, K] : [K, N];
      const a = tensor(as, 1), b = tensor(bs, 2), c = tensor([M, N], 3);
      const attrs = { transA: tA, transB: tB, alpha: 0.5, beta: 2 };
      const r = runOp('gemm', [a, b, c], attrs);
      expect(r.shapes[0]).toEqual([M, N]);
      expectClose(r.outputs[0], gemmRef(a.data, as, b.data, bs, c.data, [M, N], !!tA, !!tB, 0.5, 2));
    });
  }
  for (const cs of [[N], [1, N], [M, 1], [1], []]) {
    it(`broadcast C ${JSON.stringify(cs)}`, () => {
      const a = tensor([M, K], 1), b = tensor([K, N], 2), c = tensor(cs, 3);
      const r = runOp('gemm', [a, b, c], { transA: 0, transB: 0, alpha: 1, beta: 1 });
      expectClose(r.outputs[0], gemmRef(a.data, [M, K], b.data, [K, N], c.data, cs, false, false, 1, 1));
    });
  }
  it('no C, exact tiles (M=12, N=64), knobs tm=4 tn=1 vec=8', () => {
    const a = tensor([12, 9], 1), b = tensor([9, 64], 2);
    const r = runOp('gemm', [a, b, null], { transA: 0, transB: 0, alpha: 1, beta: 1 },
      { knobs: { 'mm.tm': 4, 'mm.tn': 1, 'mm.vec': 8 } });
    expectClose(r.outputs[0], gemmRef(a.data, [12, 9], b.data, [9, 64], null, [], false, false, 1, 1));
  });
  it('scalar sink', () => {
    const a = tensor([3, 4], 1), b = tensor([4, 5], 2);
    const r = runOp('gemm', [a, b, null], {}, { vectorizable: false });
    expectClose(r.outputs[0], gemmRef(a.data, [3, 4], b.data, [4, 5], null, [], false, false, 1, 1));
  });
});

describe('matmul lowering', () => {
  const cases: [number[], number[]][] = [
    [[5, 7], [7, 20]], [[2, 3, 4, 6], [6, 17]], [[3, 1, 5, 4], [2, 4, 9]], [[6], [6, 18]],
    [[3, 4, 6], [6]], [[6], [6]], [[1, 5, 8], [3, 8, 33]],
  ];
  for (const [as, bs] of cases) {
    it(`${JSON.stringify(as)} x ${JSON.stringify(bs)}`, () => {
      const a = tensor(as, 1), b = tensor(bs, 2);
      const r = runOp('matmul', [a, b], {});
      const ref = matmulRef(a.data, as, b.data, bs);
      expect(r.shapes[0]).toEqual(ref.shape);
      expectClose(r.outputs[0], ref.y);
    });
  }
  it('symbolic batch and rows at run time', () => {
    const a = { ...tensor([2, 5, 7], 1), dims: [sym('batch'), sym('seq'), 7] };
    const b = tensor([7, 21], 2);
    const r = runOp('matmul', [a, b], {});
    expectClose(r.outputs[0], matmulRef(a.data, [2, 5, 7], b.data, [7, 21]).y);
  });
  // A 2-D B folds A's batch into its rows: 3 x 5 rows in tiles of 4 rows, so tiles straddle two
  // batch items and only the last one (rows 12..14) has a tail.
  it('batch folded into rows: row tiles cross batch items', () => {
    const a = { ...tensor([3, 5, 7], 1), dims: [sym('batch'), sym('seq'), 7] };
    const b = tensor([7, 18], 2);
    const r = runOp('matmul', [a, b], {}, { knobs: { 'mm.tm': 4, 'mm.tn': 2, 'mm.vec': 8 } });
    expect(r.shapes[0]).toEqual([3, 5, 18]);
    expectClose(r.outputs[0], matmulRef(a.data, [3, 5, 7], b.data, [7, 18]).y);
  });
});

// B packed at compile time into [ceil(N/L)][K][L] panels (compiler/passes/pack-matmul-weights.ts).
describe('packed B panels', () => {
  const L = 16;
  const panels = (b: Float32Array, k: number, n: number, transB: boolean) => ({
    data: transB ? packOc(b, n, k, L) : packColumns(b, k, n, L), shape: [Math.ceil(n / L), k, L],
  });
  // N = 19: one full panel and a 3-wide one; 40 with tn=2: the edge tile clamps to panel 3;
  // 64: exact tiles, no masks; 7: one panel narrower than a vector.
  for (const [M, K, N, tn] of [[7, 5, 19, 2], [13, 9, 40, 2], [12, 3, 64, 4], [1, 33, 7, 3]]) {
    for (const tB of [0, 1]) {
      it(`gemm M=${M} K=${K} N=${N} tn=${tn} transB=${tB} (mm.vec ignored)`, () => {
        const a = tensor([M, K], 1), bs = tB ? [N, K] : [K, N], b = tensor(bs, 2), c = tensor([N], 3);
        const p = panels(b.data, K, N, !!tB);
        const r = runOp('gemm', [a, p, c], { transB: 0, alpha: 0.5, beta: 2, packedLanes: L, packedN: N },
          { knobs: { 'mm.tn': tn, 'mm.vec': 8 } });
        expect(r.shapes[0]).toEqual([M, N]);
        expectClose(r.outputs[0], gemmRef(a.data, [M, K], b.data, bs, c.data, [N], false, !!tB, 0.5, 2));
      });
    }
  }
  it('matmul with batched A, symbolic rows, N = 33', () => {
    const a = { ...tensor([2, 5, 7], 1), dims: [sym('batch'), sym('seq'), 7] }, b = tensor([7, 33], 2);
    const r = runOp('matmul', [a, panels(b.data, 7, 33, false)],
      { packedLanes: L, packedN: 33 });
    expect(r.shapes[0]).toEqual([2, 5, 33]);
    expectClose(r.outputs[0], matmulRef(a.data, [2, 5, 7], b.data, [7, 33]).y);
  });
  it('infer: logical [K, N]; wrong panel count or lanes -> KC0402', () => {
    const f32 = 'float32' as const;
    const [y] = inferOp('matmul', [{ dtype: f32, shape: [3, 5] }, { dtype: f32, shape: [2, 5, 16] }],
      { packedLanes: 16, packedN: 20 });
    expect(y.shape).toEqual([3, 20]);
    expect(() => inferOp('matmul', [{ dtype: f32, shape: [3, 5] }, { dtype: f32, shape: [1, 5, 16] }],
      { packedLanes: 16, packedN: 20 })).toThrow(/KC0402.*panels/);
    expect(() => inferOp('gemm', [{ dtype: f32, shape: [3, 5] }, { dtype: f32, shape: [2, 5, 8] }],
      { packedLanes: 16, packedN: 20 })).toThrow(/KC0402.*lanes/);
    expect(() => inferOp('gemm', [{ dtype: f32, shape: [3, 4] }, { dtype: f32, shape: [2, 5, 16] }],
      { packedLanes: 16, packedN: 20 })).toThrow(/KC0402/);
  });
});

describe('matmul/gemm infer', () => {
  const f32 = 'float32' as const;
  it('symbolic batch flows through', () => {
    const [y] = inferOp('matmul',
      [{ dtype: f32, shape: [sym('batch'), 1, 4, 6] }, { dtype: f32, shape: [3, 6, 2] }], {});
    expect(y.shape.map(dimKey)).toEqual(['batch', '3', '4', '2']);
  });
  it('inner dim mismatch -> KC0402', () => {
    expect(() => inferOp('matmul', [{ dtype: f32, shape: [4, 5] }, { dtype: f32, shape: [6, 2] }],
      {})).toThrow(/KC0402/);
    expect(() => inferOp('gemm', [{ dtype: f32, shape: [4, 5] }, { dtype: f32, shape: [2, 6] }],
      { transB: 1 }))
      .toThrow(/KC0402/);
  });
  it('batch conflict -> KC0402', () => {
    expect(() => inferOp('matmul', [{ dtype: f32, shape: [2, 4, 5] }, { dtype: f32, shape: [3, 5, 2] }], {}))
      .toThrow(/KC0402/);
  });
  it('bad C -> KC0402', () => {
    expect(() => inferOp('gemm',
      [{ dtype: f32, shape: [4, 5] }, { dtype: f32, shape: [5, 6] }, { dtype: f32, shape: [3, 6] }],
      {})).toThrow(/KC0402/);
  });
});
