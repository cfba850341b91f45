// ai.onnx.preview FlexAttention (compiler/frontend/onnx/ops/flex-attention.ts) end to end against
// a JS reference of the definition: softmax(score_mod(Q·Kᵀ·scale)) then prob_mod, ·V, with
// grouped-query heads (query head h reads kv head h / group). The score_mod body here is a
// causal mask built from the scores' shape (Shape, Gather, Range, GreaterOrEqual, Where) and the
// prob_mod body scales the probabilities, so both bodies are inlined with their input bound.

import { describe, expect, it } from 'vitest';
import { attrFloat, attrGraph, FLOAT, floatTensor, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';

const B = 1, HQ = 4, HKV = 2, L = 3, S = 3, E = 4, EV = 5, SCALE = 0.3, P = 0.5;
const vals = (n: number, k: number) =>
  Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.61 + k)));
const i64s = (name: string, dims: number[], xs: number[]) =>
  ({ name, dims, dataType: INT64, int64Data: xs });

/** score_mod: scores where q index >= k index, else -inf. */
const causalBody = {
  name: 'causal', input: [vi('sc', FLOAT, [null, null, null, null])],
  output: [vi('out', FLOAT, [null, null, null, null])],
  initializer: [i64s('zero', [], [0]), i64s('one', [], [1]), i64s('i2', [], [2]), i64s('i3', [], [3]),
    i64s('qs', [2], [-1, 1]), floatTensor('ninf', [], [-Infinity])],
  node: [node('Shape', ['sc'], ['shp']), node('Gather', ['shp', 'i2'], ['l']),
    node('Gather', ['shp', 'i3'], ['s']),
    node('Range', ['zero', 'l', 'one'], ['qr']), node('Reshape', ['qr', 'qs'], ['qi']),
    node('Range', ['zero', 's', 'one'], ['ki']), node('GreaterOrEqual', ['qi', 'ki'], ['keep']),
    node('Where', ['keep', 'sc', 'ninf'], ['out'])],
};
const scaleBody = {
  name: 'scale_probs', input: [vi('p', FLOAT, [null, null, null, null])],
  output: [vi('po', FLOAT, [null, null, null, null])], initializer: [floatTensor('f', [], [P])],
  node: [node('Mul', ['p', 'f'], ['po'])],
};

function ref(q: number[], k: number[], v: number[]): number[] {
  const y: number[] = [];
  for (let h = 0; h < HQ; h++) {
    const kh = Math.floor(h / (HQ / HKV));
    for (let i = 0; i < L; i++) {
      const sc = Array.from({ length: S }, (_, j) => {
        let dot = 0;
        for (let d = 0; d < E; d++) dot += q[(h * L + i) * E + d] * k[(kh * S + j) * E + d];
        return i >= j ? dot * SCALE : -Infinity;
      });
      const m = Math.max(...sc), e = sc.map((x) => Math.exp(x - m)), z = e.reduce((a, w) => a + w, 0);
      for (let d = 0; d < EV; d++) {
        y.push(e.reduce((a, w, j) => a + (w / z) * P * v[(kh * S + j) * EV + d], 0));
      }
    }
  }
  return y;
}

describe('e2e: ai.onnx.preview FlexAttention', () => {
  it('grouped heads, a causal score_mod and a scaling prob_mod', async () => {
    const s = await buildModel('flex_attention', {
      nodes: [{ ...node('FlexAttention', ['q', 'k', 'v'], ['y'], [attrFloat('scale', SCALE),
        attrGraph('score_mod', causalBody), attrGraph('prob_mod', scaleBody)]), domain: 'ai.onnx.preview' }],
      inputs: [vi('q', FLOAT, [B, HQ, L, E]), vi('k', FLOAT, [B, HKV, S, E]),
        vi('v', FLOAT, [B, HKV, S, EV])],
      outputs: [vi('y', FLOAT, [B, HQ, L, EV])], opset: 26,
      extraOpsets: [{ domain: 'ai.onnx.preview', version: 1 }],
    });
    try {
      const q = vals(B * HQ * L * E, 1), k = vals(B * HKV * S * E, 2), v = vals(B * HKV * S * EV, 3);
      const y = floats((await s.run({ q: f32([B, HQ, L, E], q), k: f32([B, HKV, S, E], k),
        v: f32([B, HKV, S, EV], v) })).y);
      const want = ref(q, k, v);
      expect(y.length).toBe(want.length);
      y.forEach((x, i) => expect(x, `y[${i}]`).toBeCloseTo(want[i], 5));
    } finally { s.dispose(); }
  }, 120_000);
});
