// The opset 24/25 additions of ONNX Attention (compiler/frontend/onnx/ops/attention-onnx.ts), end
// to end against a JS reference written from the standard's definition: a local window
// (left_window_size / right_window_size) on top of the causal mask, nonpad_kv_seqlen (an external
// cache: per batch, keys past the valid length are masked and the causal frontier is
// nonpad - q length), a float mask shorter than the keys (padded with -inf) and a bool mask of
// rank 1; rows whose every key is masked give 0.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { attrInt, BOOL, FLOAT, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats, i64 } from '../helpers/models.js';

const B = 2, H = 2, L = 3, S = 6, D = 4, MS = 4;
const vals = (n: number, k: number) =>
  Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.9 + k)));

interface Case {
  causal: boolean; left: number; right: number;
  /** Additive bias of (b, h, i, j) from the mask input, before any padding rule. */
  mask: (b: number, h: number, i: number, j: number) => number;
  nonpad?: number[];
}

/** Y [B, H, L, D] (4-D inputs, no grouping) by the definition. */
function ref(q: number[], k: number[], v: number[], c: Case): number[] {
  const y: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < H; h++) {
      const bh = b * H + h;
      for (let i = 0; i < L; i++) {
        const p = i + (c.nonpad ? c.nonpad[b] - L : 0);
        const bias = Array.from({ length: S }, (_, j) => {
          let ok = true;
          if (c.causal) ok &&= j <= p;
          if (c.left >= 0) ok &&= p - j <= c.left;
          if (c.right >= 0) ok &&= j - p <= c.right;
          if (c.nonpad) ok &&= j < c.nonpad[b];
          return c.mask(b, h, i, j) + (ok ? 0 : -Infinity);
        });
        const sc = bias.map((x, j) => {
          let dot = 0;
          for (let d = 0; d < D; d++) dot += q[(bh * L + i) * D + d] * k[(bh * S + j) * D + d];
          return dot / Math.sqrt(D) + x;
        });
        const m = Math.max(...sc), e = sc.map((x) => (m === -Infinity ? 0 : Math.exp(x - m)));
        const z = e.reduce((a, w) => a + w, 0);
        for (let d = 0; d < D; d++) {
          y.push(z === 0 ? 0 : e.reduce((a, w, j) => a + w * v[(bh * S + j) * D + d], 0) / z);
        }
      }
    }
  }
  return y;
}

const Q = vals(B * H * L * D, 1), K = vals(B * H * S * D, 2), V = vals(B * H * S * D, 3);
const qkv = { q: f32([B, H, L, D], Q), k: f32([B, H, S, D], K), v: f32([B, H, S, D], V) };
const qkvInputs = [vi('q', FLOAT, [B, H, L, D]), vi('k', FLOAT, [B, H, S, D]), vi('v', FLOAT, [B, H, S, D])];

function expectClose(got: number[], want: number[]): void {
  expect(got.length).toBe(want.length);
  got.forEach((x, i) => expect(x, `y[${i}]`).toBeCloseTo(want[i], 5));
}

describe('e2e: ONNX Attention windows, nonpad_kv_seqlen and short masks', () => {
  let ext: Session, win: Session;
  // Float mask [B, 1, L, MS], MS < S: keys MS.. are padded with -inf.
  const maskVals = vals(B * L * MS, 4).map((x, i) => (i % 7 === 3 ? -Infinity : x * 0.5));
  beforeAll(async () => {
    ext = await buildModel('attention_ext_cache', {
      nodes: [node('Attention', ['q', 'k', 'v', 'm', '', '', 'n'], ['y'],
        [attrInt('is_causal', 1), attrInt('left_window_size', 1)])],
      inputs: [...qkvInputs, vi('m', FLOAT, [B, 1, L, MS]), vi('n', INT64, [B])],
      outputs: [vi('y', FLOAT, [B, H, L, D])], opset: 25,
    });
    win = await buildModel('attention_window', {
      nodes: [node('Attention', ['q', 'k', 'v', 'm'], ['y'],
        [attrInt('left_window_size', 1), attrInt('right_window_size', 2)])],
      inputs: [...qkvInputs, vi('m', BOOL, [S])],
      outputs: [vi('y', FLOAT, [B, H, L, D])], opset: 25,
    });
  }, 180_000);
  afterAll(() => { ext?.dispose(); win?.dispose(); });

  it('an external cache: causal frontier nonpad - L, keys past nonpad masked, the mask padded', async () => {
    // Batch 1 has 2 valid keys for 3 queries: its row 0 sits at position -1 and sees nothing.
    const nonpad = [5, 2];
    const y = floats((await ext.run({ ...qkv, m: f32([B, 1, L, MS], maskVals), n: i64([B], nonpad) })).y);
    const mask = (b: number, _h: number, i: number, j: number) =>
      (j < MS ? maskVals[(b * L + i) * MS + j] : -Infinity);
    const want = ref(Q, K, V, { causal: true, left: 1, right: -1, mask, nonpad });
    expectClose(y, want);
    const at = (1 * H + 0) * L * D; // batch 1, head 0, row 0
    expect(y.slice(at, at + D)).toEqual([0, 0, 0, 0]);
  });

  it('a bidirectional window with a rank-1 bool mask', async () => {
    const keep = [true, false, true, true, true, false];
    const m = new Tensor('bool', Uint8Array.from(keep.map(Number)), [S]);
    const y = floats((await win.run({ ...qkv, m })).y);
    const want = ref(Q, K, V, { causal: false, left: 1, right: 2,
      mask: (_b, _h, _i, j) => (keep[j] ? 0 : -Infinity) });
    expectClose(y, want);
  });
});
