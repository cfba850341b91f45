// Sequence-model operators the ONNX frontend builds from other ops
// (compiler/frontend/onnx/ops/sequence-model.ts), compiled and run end to end: SwiGLU is
// swish(a) * b = a * sigmoid(alpha * a) * b, with the default alpha (1) and a given one.
import { describe, expect, it } from 'vitest';
import { attrFloat, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';

describe('SwiGLU', () => {
  for (const alpha of [undefined, 0.5]) {
    it(`alpha ${alpha ?? 'default (1)'}`, async () => {
      const s = await buildModel('swiglu', {
        nodes: [node('SwiGLU', ['a', 'b'], ['y'], alpha === undefined ? [] : [attrFloat('alpha', alpha)])],
        inputs: [vi('a', FLOAT, [3, 5]), vi('b', FLOAT, [3, 5])], outputs: [vi('y', FLOAT, [3, 5])],
        opset: 28, irVersion: 10,
      });
      try {
        const a = Array.from({ length: 15 }, (_, i) => i * 0.4 - 3), b = a.map((v, i) => Math.cos(v + i));
        const out = await s.run({ a: f32([3, 5], a), b: f32([3, 5], b) });
        const al = alpha ?? 1;
        floats(out.y).forEach((v, i) => expect(v).toBeCloseTo((a[i] / (1 + Math.exp(-al * a[i]))) * b[i], 5));
      } finally { s.dispose(); }
    });
  }
});
