// Pooling forms the ONNX frontend builds from other ops (compiler/frontend/onnx/ops/pooling.ts),
// compiled and run end to end against JS references: LpPool as the p-norm of each window
// (padding adds nothing) for p = 1, 2, 3 with strides, pads and dilations; ceil_mode is
// reported unsupported and a non-positive p fails with KC0401.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { attrInt, attrInts, encodeModel, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';
import { forEachIndex, prod } from '../ops/ref.js';

interface Win { kernel: number[]; strides: number[]; pads: number[]; dilations: number[] }

function lpPoolRef(x: number[], xs: number[], w: Win, p: number): { shape: number[]; out: number[] } {
  const [N, C, ...X] = xs, S = X.length;
  const span = (i: number) => (w.kernel[i] - 1) * w.dilations[i] + 1;
  const O = X.map((d, i) => Math.floor((d + w.pads[i] + w.pads[i + S] - span(i)) / w.strides[i]) + 1);
  const out: number[] = [];
  forEachIndex([N, C, ...O], ([n, c, ...o]) => {
    let sum = 0;
    forEachIndex(w.kernel, (k) => {
      const at = o.map((v, i) => v * w.strides[i] + k[i] * w.dilations[i] - w.pads[i]);
      if (at.some((v, i) => v < 0 || v >= X[i])) return;
      const off = at.reduce((a, v, i) => a * X[i] + v, n * C + c);
      sum += Math.abs(x[off]) ** p;
    });
    out.push(sum ** (1 / p));
  });
  return { shape: [N, C, ...O], out };
}

const lpAttrs = (w: Win, p: number) => [attrInts('kernel_shape', w.kernel), attrInts('strides', w.strides),
  attrInts('pads', w.pads), attrInts('dilations', w.dilations), attrInt('p', p)];

describe('LpPool', () => {
  const cases: [string, number[], Win, number][] = [
    ['2-D, p = 2, pads and strides', [1, 2, 5, 6], { kernel: [3, 2], strides: [2, 1], pads: [1, 0, 1, 1],
      dilations: [1, 1] }, 2],
    ['1-D, p = 1, dilated', [2, 1, 9], { kernel: [3], strides: [1], pads: [0, 0], dilations: [2] }, 1],
    ['2-D, p = 3', [1, 1, 4, 4],
      { kernel: [2, 2], strides: [1, 1], pads: [0, 1, 1, 0], dilations: [1, 1] }, 3],
  ];
  for (const [name, xs, w, p] of cases) {
    it(name, async () => {
      const want = lpPoolRef([], xs, w, p);
      const s = await buildModel('lppool', {
        nodes: [node('LpPool', ['x'], ['y'], lpAttrs(w, p))],
        inputs: [vi('x', FLOAT, xs)], outputs: [vi('y', FLOAT, want.shape)], opset: 18,
      });
      try {
        const x = Array.from({ length: prod(xs) }, (_, i) => ((i * 7) % 11) - 5 + 0.25);
        const ref = lpPoolRef(x, xs, w, p);
        const out = await s.run({ x: f32(xs, x) });
        expect(out.y.dims).toEqual(ref.shape);
        floats(out.y).forEach((v, i) => expect(v).toBeCloseTo(ref.out[i], 3));
      } finally { s.dispose(); }
    });
  }
  it('ceil_mode is reported unsupported; p = 0 fails with KC0401', () => {
    const w: Win = { kernel: [2, 2], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1] };
    const model = (extra: ReturnType<typeof attrInt>[], p: number) => encodeModel({
      nodes: [node('LpPool', ['x'], ['y'], [...lpAttrs(w, p), ...extra])],
      inputs: [vi('x', FLOAT, [1, 1, 5, 5])], outputs: [vi('y', FLOAT, [1, 1, 3, 3])], opset: 18,
    });
    expect(() => importOnnx(model([attrInt('ceil_mode', 1)], 2))).toThrow(/KC0301.*LpPool/);
    expect(() => importOnnx(model([], 0))).toThrow(/KC0401/);
  });
});
