// The ONNX Attention operator (compiler/frontend/onnx/ops/attention-onnx.ts), end to end against
// a JS reference: grouped-query heads (4 query heads over 2 kv heads), past K/V with the present
// outputs, the causal mask offset by the past length, a bool mask, softcap and a fully masked row
// (probabilities 0, so Y is 0 there); 3-D inputs split into heads.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { attrFloat, attrInt, BOOL, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';

const B = 1, QH = 4, KVH = 2, L = 3, P = 2, S = 4, T = P + S, D = 4;
const vals = (n: number, k: number) => Array.from({ length: n }, (_, i) => Math.sin(i * 0.7 + k) * 0.8);

/** Y [B, QH, L, D] by the definition: softcap, then the bias (mask and causal), softmax, ·V. */
function attentionRef(q: number[], k: number[], v: number[], mask: boolean[], cap: number): number[] {
  const y: number[] = [];
  for (let h = 0; h < QH; h++) {
    const kh = Math.floor(h / (QH / KVH));
    for (let i = 0; i < L; i++) {
      const s = Array.from({ length: T }, (_, j) => {
        let dot = 0;
        for (let d = 0; d < D; d++) dot += q[(h * L + i) * D + d] * k[(kh * T + j) * D + d];
        const x = cap * Math.tanh(dot / Math.sqrt(D) / cap);
        return mask[i * T + j] && j <= i + P ? x : -Infinity;
      });
      const m = Math.max(...s), e = s.map((x) => (m === -Infinity ? 0 : Math.exp(x - m)));
      const z = e.reduce((a, b) => a + b, 0);
      for (let d = 0; d < D; d++) {
        y.push(z === 0 ? 0 : e.reduce((a, w, j) => a + w * v[(kh * T + j) * D + d], 0) / z);
      }
    }
  }
  return y;
}

describe('e2e: ONNX Attention', () => {
  let s: Session;
  beforeAll(async () => {
    s = await buildModel('attention_gqa', {
      nodes: [node('Attention', ['q', 'k', 'v', 'm', 'pk', 'pv'], ['y', 'prk', 'prv'],
        [attrInt('is_causal', 1), attrFloat('softcap', 2)])],
      inputs: [vi('q', FLOAT, [B, QH, L, D]), vi('k', FLOAT, [B, KVH, S, D]),
        vi('v', FLOAT, [B, KVH, S, D]), vi('m', BOOL, [L, T]), vi('pk', FLOAT, [B, KVH, P, D]),
        vi('pv', FLOAT, [B, KVH, P, D])],
      outputs: [vi('y', FLOAT, [B, QH, L, D]), vi('prk', FLOAT, [B, KVH, T, D]),
        vi('prv', FLOAT, [B, KVH, T, D])],
      opset: 23,
    });
  }, 120_000);
  afterAll(() => s?.dispose());

  it('matches the reference; present = past ++ new; a fully masked row gives 0', async () => {
    const q = vals(QH * L * D, 1), k = vals(KVH * S * D, 2), v = vals(KVH * S * D, 3);
    const pk = vals(KVH * P * D, 4), pv = vals(KVH * P * D, 5);
    const mask = Array.from({ length: L * T }, (_, i) => (i < T ? false : i % 5 !== 1)); // row 0 masked
    const out = await s.run({ q: f32([B, QH, L, D], q), k: f32([B, KVH, S, D], k),
      v: f32([B, KVH, S, D], v), m: new Tensor('bool', Uint8Array.from(mask.map(Number)), [L, T]),
      pk: f32([B, KVH, P, D], pk), pv: f32([B, KVH, P, D], pv) });
    const cat = (a: number[], b: number[]) => Array.from({ length: KVH }, (_, h) =>
      [...a.slice(h * P * D, (h + 1) * P * D), ...b.slice(h * S * D, (h + 1) * S * D)]).flat();
    const kAll = cat(pk, k), vAll = cat(pv, v);
    expect(floats(out.prk)).toEqual(Array.from(Float32Array.from(kAll)));
    expect(floats(out.prv)).toEqual(Array.from(Float32Array.from(vAll)));
    const ref = attentionRef(Array.from(Float32Array.from(q)), Array.from(Float32Array.from(kAll)),
      Array.from(Float32Array.from(vAll)), mask, 2);
    const y = floats(out.y);
    y.forEach((x, i) => expect(x, `y[${i}]`).toBeCloseTo(ref[i], 5));
    expect(y.slice(0, D)).toEqual([0, 0, 0, 0]);
  });

  it('3-D inputs are split into heads and merged back', async () => {
    const s3 = await buildModel('attention_3d', {
      nodes: [node('Attention', ['q', 'k', 'v'], ['y'],
        [attrInt('q_num_heads', 2), attrInt('kv_num_heads', 2)])],
      inputs: [vi('q', FLOAT, [1, 2, 4]), vi('k', FLOAT, [1, 3, 4]), vi('v', FLOAT, [1, 3, 4])],
      outputs: [vi('y', FLOAT, [1, 2, 4])], opset: 23,
    });
    try {
      const q = vals(8, 6), k = vals(12, 7), v = vals(12, 8);
      const feeds = { q: f32([1, 2, 4], q), k: f32([1, 3, 4], k), v: f32([1, 3, 4], v) };
      const y = floats((await s3.run(feeds)).y);
      for (let h = 0; h < 2; h++) {
        for (let i = 0; i < 2; i++) {
          const sc = [0, 1, 2].map((j) => (q[i * 4 + h * 2] * k[j * 4 + h * 2] + q[i * 4 + h * 2 + 1]
            * k[j * 4 + h * 2 + 1]) / Math.sqrt(2));
          const e = sc.map(Math.exp), z = e[0] + e[1] + e[2];
          for (let d = 0; d < 2; d++) {
            const want = e.reduce((a, w, j) => a + w * v[j * 4 + h * 2 + d], 0) / z;
            expect(y[i * 4 + h * 2 + d]).toBeCloseTo(want, 5);
          }
        }
      }
    } finally { s3.dispose(); }
  });
});
