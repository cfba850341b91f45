// ONNX LinearAttention (opset 27; converter in compiler/frontend/onnx/ops/sequence-model.ts,
// kernel ir/ops/linear-attention.ts) end to end against a JS reference of the recurrence written
// from the standard's definition, token by token: S *= exp(g_t); v' = beta_t (v_t - Sᵀk_t);
// S += k_t ⊗ v'; o_t = scale qᵀS, query heads grouped over the kv heads. Also the update-rule
// checks (a rule that needs decay without one fails naming the node).

import { describe, expect, it } from 'vitest';
import { attrFloat, attrInt, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';

const B = 2, T = 3, HQ = 4, HKV = 2, DK = 3, DV = 5;
const vals = (n: number, k: number, s = 1) =>
  Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.77 + k) * s));
const attrS = (name: string, s: string) => ({ name, type: 3, s: new TextEncoder().encode(s) });

interface Ref { q: number[]; k: number[]; v: number[]; past: number[] | null; decay: number[] | null;
  decayW: number; beta: number[] | null; betaW: number; scale: number }

/** output [B, T, HQ*DV] and state [B, HKV, DK, DV] from the packed [B, T, H*D] inputs. */
function ref(r: Ref): { y: number[]; state: number[] } {
  const y = new Array<number>(B * T * HQ * DV).fill(0), state: number[] = [];
  const G = HQ / HKV;
  for (let b = 0; b < B; b++) {
    for (let h = 0; h < HKV; h++) {
      const S = Array.from({ length: DK }, (_, d) => Array.from({ length: DV }, (_, m) =>
        (r.past ? r.past[((b * HKV + h) * DK + d) * DV + m] : 0)));
      for (let t = 0; t < T; t++) {
        const kt = Array.from({ length: DK }, (_, d) => r.k[(b * T + t) * HKV * DK + h * DK + d]);
        let vt = Array.from({ length: DV }, (_, m) => r.v[(b * T + t) * HKV * DV + h * DV + m]);
        if (r.decay) {
          for (let d = 0; d < DK; d++) {
            const g = r.decay[(b * T + t) * r.decayW + (r.decayW === HKV ? h : h * DK + d)];
            for (let m = 0; m < DV; m++) S[d][m] *= Math.exp(g);
          }
        }
        if (r.beta) {
          const bt = r.beta[(b * T + t) * r.betaW + (r.betaW === 1 ? 0 : h)];
          vt = vt.map((x, m) => bt * (x - kt.reduce((a, kd, d) => a + S[d][m] * kd, 0)));
        }
        for (let d = 0; d < DK; d++) for (let m = 0; m < DV; m++) S[d][m] += kt[d] * vt[m];
        for (let g = 0; g < G; g++) {
          const hq = h * G + g;
          for (let m = 0; m < DV; m++) {
            let o = 0;
            for (let d = 0; d < DK; d++) o += r.q[(b * T + t) * HQ * DK + hq * DK + d] * S[d][m];
            y[(b * T + t) * HQ * DV + hq * DV + m] = r.scale * o;
          }
        }
      }
      state.push(...S.flat());
    }
  }
  return { y, state };
}

const qkvInputs = [vi('q', FLOAT, [B, T, HQ * DK]), vi('k', FLOAT, [B, T, HKV * DK]),
  vi('v', FLOAT, [B, T, HKV * DV])];
const Q = vals(B * T * HQ * DK, 1), K = vals(B * T * HKV * DK, 2, 0.6), V = vals(B * T * HKV * DV, 3);
const feeds = { q: f32([B, T, HQ * DK], Q), k: f32([B, T, HKV * DK], K), v: f32([B, T, HKV * DV], V) };
const outputs = [vi('y', FLOAT, [B, T, HQ * DV]), vi('st', FLOAT, [B, HKV, DK, DV])];

function expectClose(got: number[], want: number[], what: string): void {
  expect(got.length).toBe(want.length);
  got.forEach((x, i) => expect(x, `${what}[${i}]`).toBeCloseTo(want[i], 5));
}

describe('e2e: ONNX LinearAttention', () => {
  it('gated_delta: grouped heads, per-key decay, per-head beta, a past state', async () => {
    const s = await buildModel('linear_attention_gd', {
      nodes: [node('LinearAttention', ['q', 'k', 'v', 'p', 'g', 'beta'], ['y', 'st'],
        [attrInt('q_num_heads', HQ), attrInt('kv_num_heads', HKV)])],
      inputs: [...qkvInputs, vi('p', FLOAT, [B, HKV, DK, DV]), vi('g', FLOAT, [B, T, HKV * DK]),
        vi('beta', FLOAT, [B, T, HKV])],
      outputs, opset: 27,
    });
    try {
      const past = vals(B * HKV * DK * DV, 4, 0.5);
      const decay = vals(B * T * HKV * DK, 5, 0.3).map((x) => x - 0.4);
      const beta = vals(B * T * HKV, 6, 0.4).map((x) => x + 0.5);
      const out = await s.run({ ...feeds, p: f32([B, HKV, DK, DV], past), g: f32([B, T, HKV * DK], decay),
        beta: f32([B, T, HKV], beta) });
      const want = ref({ q: Q, k: K, v: V, past, decay, decayW: HKV * DK, beta, betaW: HKV,
        scale: 1 / Math.sqrt(DK) });
      expectClose(floats(out.y), want.y, 'y');
      expectClose(floats(out.st), want.state, 'state');
    } finally { s.dispose(); }
  }, 120_000);

  it('gated with a per-head decay, no past state, an explicit scale', async () => {
    const s = await buildModel('linear_attention_gated', {
      nodes: [node('LinearAttention', ['q', 'k', 'v', '', 'g'], ['y', 'st'],
        [attrInt('q_num_heads', HQ), attrInt('kv_num_heads', HKV), attrS('update_rule', 'gated'),
          attrFloat('scale', 0.25)])],
      inputs: [...qkvInputs, vi('g', FLOAT, [B, T, HKV])],
      outputs, opset: 27,
    });
    try {
      const decay = vals(B * T * HKV, 7, 0.3).map((x) => x - 0.2);
      const out = await s.run({ ...feeds, g: f32([B, T, HKV], decay) });
      const want = ref({ q: Q, k: K, v: V, past: null, decay, decayW: HKV, beta: null, betaW: 0,
        scale: 0.25 });
      expectClose(floats(out.y), want.y, 'y');
      expectClose(floats(out.st), want.state, 'state');
    } finally { s.dispose(); }
  }, 120_000);

  it('a gated rule without decay fails naming the node', async () => {
    await expect(buildModel('linear_attention_bad', {
      nodes: [node('LinearAttention', ['q', 'k', 'v'], ['y', 'st'],
        [attrInt('q_num_heads', HQ), attrInt('kv_num_heads', HKV)], 'la_node')],
      inputs: qkvInputs, outputs, opset: 27,
    })).rejects.toThrow(/la_node.*requires decay/s);
  }, 60_000);

  it('a decay width known only at run time must be 1 per head or the key size', async () => {
    const s = await buildModel('linear_attention_dyn_decay', {
      nodes: [node('LinearAttention', ['q', 'k', 'v', '', 'g'], ['y', 'st'],
        [attrInt('q_num_heads', HQ), attrInt('kv_num_heads', HKV), attrS('update_rule', 'gated')])],
      inputs: [...qkvInputs, vi('g', FLOAT, [B, T, 'gw'])],
      outputs, opset: 27,
    });
    try {
      // per head 1 (HKV wide) runs and matches; 2 per head (neither 1 nor DK = 3) is refused
      const decay = vals(B * T * HKV, 8, 0.3).map((x) => x - 0.2);
      const out = await s.run({ ...feeds, g: f32([B, T, HKV], decay) });
      const want = ref({ q: Q, k: K, v: V, past: null, decay, decayW: HKV, beta: null, betaW: 0,
        scale: 1 / Math.sqrt(DK) });
      expectClose(floats(out.y), want.y, 'y');
      await expect(s.run({ ...feeds, g: f32([B, T, HKV * 2], vals(B * T * HKV * 2, 9)) }))
        .rejects.toThrow(/decay width/);
    } finally { s.dispose(); }
  }, 120_000);
});
