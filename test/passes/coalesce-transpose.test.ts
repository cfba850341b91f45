// coalesce-transpose: unit axes dropped, adjacent runs merged, the output value kept; and the
// rewritten graph computes the same transposes (compiled and run, against a JS reference).
import { afterAll, describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { idsAfter } from '../../compiler/passes/graph-util.js';
import { coalescePerm, coalesceTranspose } from '../../compiler/passes/coalesce-transpose.js';
import { verifyFunc } from '../../ir/verify.js';
import type { Session } from '../../runtime-vm/session.js';
import { attrInts, encodeModel, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';

const spec = (shape: number[], perm: number[]) => ({
  nodes: [node('Transpose', ['x'], ['y'], [attrInts('perm', perm)])],
  inputs: [vi('x', FLOAT, shape)],
  outputs: [vi('y', FLOAT, perm.map((a) => shape[a]))],
});

/** Row-major transpose of `x` (shape `shape`) by `perm`. */
function transposeRef(x: number[], shape: number[], perm: number[]): number[] {
  const out = perm.map((a) => shape[a]);
  const strides = shape.map((_, i) => shape.slice(i + 1).reduce((p, d) => p * d, 1));
  const y: number[] = [];
  const idx = new Array(out.length).fill(0);
  for (let k = 0; k < x.length; k++) {
    y.push(x[idx.reduce((o, v, i) => o + v * strides[perm[i]], 0)]);
    for (let i = out.length - 1; i >= 0 && ++idx[i] === out[i]; i--) idx[i] = 0;
  }
  return y;
}

describe('coalescePerm', () => {
  it('merges the trailing spatial axes of a channel shuffle and drops the unit batch', () => {
    expect(coalescePerm([1, 4, 68, 14, 14], [0, 2, 1, 3, 4]))
      .toEqual({ inShape: [4, 68, 196], perm: [1, 0, 2] });
  });
  it('merges runs anywhere and keeps irreducible permutations', () => {
    expect(coalescePerm([2, 3, 4, 5], [2, 3, 0, 1])).toEqual({ inShape: [6, 20], perm: [1, 0] });
    expect(coalescePerm([2, 3, 4], [2, 0, 1])).toEqual({ inShape: [6, 4], perm: [1, 0] });
    expect(coalescePerm([2, 3, 4], [1, 0, 2])).toEqual({ inShape: [2, 3, 4], perm: [1, 0, 2] });
  });
  it('reduces a transpose of unit axes to the identity', () => {
    expect(coalescePerm([1, 5, 1, 7], [2, 1, 0, 3])).toEqual({ inShape: [35], perm: [0] });
  });
});

describe('coalesce-transpose', () => {
  it('rewrites to reshape -> transpose -> reshape and keeps the output value', () => {
    const m = importOnnx(encodeModel(spec([1, 4, 6, 3, 3], [0, 2, 1, 3, 4])));
    const f = coalesceTranspose(m.main, idsAfter(m));
    expect(verifyFunc(f)).toEqual([]);
    expect(f.nodes.map((n) => n.op)).toEqual(['reshape', 'transpose', 'reshape']);
    expect(f.nodes[1].attrs.perm).toEqual([1, 0, 2]);
    expect(f.nodes[1].inputs[0]!.type.shape).toEqual([4, 6, 9]);
    expect(f.nodes[2].outputs[0]).toBe(m.main.nodes[0].outputs[0]);
  });
  it('makes a transpose of unit axes one reshape and leaves irreducible ones alone', () => {
    const unit = importOnnx(encodeModel(spec([1, 5, 1, 7], [2, 1, 0, 3])));
    expect(coalesceTranspose(unit.main, idsAfter(unit)).nodes.map((n) => n.op)).toEqual(['reshape']);
    const plain = importOnnx(encodeModel(spec([2, 3, 4], [1, 0, 2])));
    expect(coalesceTranspose(plain.main, idsAfter(plain)).nodes).toEqual(plain.main.nodes);
  });

  const sessions: Session[] = [];
  afterAll(() => sessions.forEach((s) => s.dispose()));
  const cases: [number[], number[]][] = [
    [[1, 4, 6, 5, 7], [0, 2, 1, 3, 4]], [[2, 3, 4, 5], [2, 3, 0, 1]], [[1, 5, 1, 7], [2, 1, 0, 3]],
    [[3, 1, 4, 2], [2, 1, 3, 0]],
  ];
  for (const [shape, perm] of cases) {
    it(`computes transpose ${JSON.stringify(shape)} by [${perm}]`, async () => {
      const s = await buildModel('transpose', spec(shape, perm));
      sessions.push(s);
      const x = Array.from({ length: shape.reduce((p, d) => p * d, 1) }, (_, i) => i * 0.5 - 3);
      const { y } = await s.run({ x: f32(shape, x) });
      expect(y.dims).toEqual(perm.map((a) => shape[a]));
      expect(floats(y)).toEqual(transposeRef(x, shape, perm));
    });
  }
});
