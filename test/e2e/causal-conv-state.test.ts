// ONNX CausalConvWithState (opset 27; compiler/frontend/onnx/ops/sequence-model.ts) end to end
// against a JS reference of the definition: per channel, y[t] = bias + sum_i w[i] * x'[t + i] over
// x' = past_state (or k-1 zeros) ++ input, optionally SiLU; present_state = the last k-1 of x'.
// Also: an input shorter than k-1 (the state then keeps part of the past), k = 1 (an empty
// state), and an unknown activation failing with the attribute named.

import { describe, expect, it } from 'vitest';
import { FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';

const B = 2, C = 3;
const vals = (n: number, k: number) =>
  Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 1.3 + k)));
const attrS = (name: string, s: string) => ({ name, type: 3, s: new TextEncoder().encode(s) });

function ref(x: number[], w: number[], bias: number[] | null, past: number[] | null, L: number, k: number,
  silu: boolean): { y: number[]; state: number[] } {
  const y: number[] = [], state: number[] = [];
  for (let b = 0; b < B; b++) {
    for (let c = 0; c < C; c++) {
      const row = [...(past ? past.slice((b * C + c) * (k - 1), (b * C + c + 1) * (k - 1))
        : new Array<number>(k - 1).fill(0)), ...x.slice((b * C + c) * L, (b * C + c + 1) * L)];
      for (let t = 0; t < L; t++) {
        let s = bias ? bias[c] : 0;
        for (let i = 0; i < k; i++) s += w[c * k + i] * row[t + i];
        y.push(silu ? s / (1 + Math.exp(-s)) : s);
      }
      state.push(...row.slice(row.length - (k - 1)));
    }
  }
  return { y, state };
}

async function check(L: number, k: number, withBias: boolean, withPast: boolean, act: string): Promise<void> {
  const ins = ['x', 'w', withBias ? 'b' : '', withPast ? 'p' : ''];
  while (ins[ins.length - 1] === '') ins.pop();
  const s = await buildModel(`causal_conv_${L}_${k}_${act}`, {
    nodes: [node('CausalConvWithState', ins, ['y', 'st'], act === 'none' ? [] : [attrS('activation', act)])],
    inputs: [vi('x', FLOAT, [B, C, L]), vi('w', FLOAT, [C, 1, k]),
      ...(withBias ? [vi('b', FLOAT, [C])] : []), ...(withPast ? [vi('p', FLOAT, [B, C, k - 1])] : [])],
    outputs: [vi('y', FLOAT, [B, C, L]), vi('st', FLOAT, [B, C, k - 1])], opset: 27,
  });
  try {
    const x = vals(B * C * L, 1), w = vals(C * k, 2), bias = vals(C, 3), past = vals(B * C * (k - 1), 4);
    const feeds = { x: f32([B, C, L], x), w: f32([C, 1, k], w), ...(withBias ? { b: f32([C], bias) } : {}),
      ...(withPast ? { p: f32([B, C, k - 1], past) } : {}) };
    const out = await s.run(feeds);
    const want = ref(x, w, withBias ? bias : null, withPast ? past : null, L, k, act !== 'none');
    expect(out.st.dims).toEqual([B, C, k - 1]);
    expect(floats(out.st)).toEqual(want.state);
    floats(out.y).forEach((v, i) => expect(v, `y[${i}]`).toBeCloseTo(want.y[i], 5));
  } finally { s.dispose(); }
}

describe('e2e: ONNX CausalConvWithState', () => {
  it('past state, bias and SiLU', () => check(5, 4, true, true, 'silu'), 120_000);
  it('zeros in front without a past state; swish is SiLU', () => check(6, 3, false, false, 'swish'), 120_000);
  it('an input shorter than k - 1 keeps part of the past in the state', () => check(1, 4, true, true, 'none'),
    120_000);
  it('k = 1: a pointwise scale and an empty state', () => check(4, 1, false, false, 'none'), 120_000);
  it('an unknown activation names the attribute', async () => {
    await expect(buildModel('causal_conv_bad', {
      nodes: [node('CausalConvWithState', ['x', 'w'], ['y', 'st'], [attrS('activation', 'relu')])],
      inputs: [vi('x', FLOAT, [B, C, 4]), vi('w', FLOAT, [C, 1, 2])],
      outputs: [vi('y', FLOAT, [B, C, 4]), vi('st', FLOAT, [B, C, 1])], opset: 27,
    })).rejects.toThrow(/KC0401.*activation/s);
  }, 60_000);
});
