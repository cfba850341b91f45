// rotary_embedding (ir/ops/rotary.ts) through the reference interpreter vs a JS transcription
// of the ONNX reference (x viewed as [B, S, H, D], halves or interleaved pairs rotated by the
// cached cos/sin at each position, the rest passed through), for 3-D and 4-D inputs, with and
// without position_ids, full and partial rotation; the shape relation's failures.
import { describe, expect, it } from 'vitest';
import { prod } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

interface Case {
  four: boolean; B: number; S: number; H: number; D: number; rd: number; interleaved: number;
  positions: boolean; maxPos: number;
}

function rotaryRef(x: number[], cos: number[], sin: number[], pos: number[] | null, c: Case): number[] {
  const { B, S, H, D, four } = c, rd = c.rd || D, half = rd / 2;
  const out = [...x];
  const off = (b: number, s: number, h: number, d: number) => (four ? ((b * H + h) * S + s) * D + d
    : ((b * S + s) * H + h) * D + d);
  for (let b = 0; b < B; b++) {
    for (let s = 0; s < S; s++) {
      const row = pos ? pos[b * S + s] : b * S + s, w = cos.length / (pos ? c.maxPos : B * S);
      for (let h = 0; h < H; h++) {
        for (let i = 0; i < half; i++) {
          const [j1, j2] = c.interleaved ? [2 * i, 2 * i + 1] : [i, i + half];
          const x1 = x[off(b, s, h, j1)], x2 = x[off(b, s, h, j2)];
          const cv = cos[row * w + i], sv = sin[row * w + i];
          out[off(b, s, h, j1)] = cv * x1 - sv * x2;
          out[off(b, s, h, j2)] = sv * x1 + cv * x2;
        }
      }
    }
  }
  return out;
}

const vals = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => Math.fround(Math.sin(i * 0.7 + seed)));

function check(c: Case): void {
  const { B, S, H, D } = c, rd = c.rd || D, half = rd / 2, width = half + 1; // caches wider than needed
  const shape = c.four ? [B, H, S, D] : [B, S, H * D];
  const x = vals(prod(shape), 1);
  const cacheShape = c.positions ? [c.maxPos, width] : [B, S, half];
  const cos = vals(prod(cacheShape), 2), sin = vals(prod(cacheShape), 3);
  const pos = c.positions ? Array.from({ length: B * S }, (_, i) => (i * 3 + 1) % c.maxPos) : null;
  const ins = [tin('float32', shape, x), tin('float32', cacheShape, cos), tin('float32', cacheShape, sin),
    pos ? tin('int64', [B, S], pos) : null];
  const r = runTyped('rotary_embedding', ins, { interleaved: c.interleaved, rotaryDim: c.rd,
    numHeads: c.four ? 0 : H });
  expect(r.status).toBe(0);
  const want = rotaryRef(x, cos, sin, pos, c);
  r.outputs[0].forEach((v, i) => expect(v).toBeCloseTo(want[i], 5));
}

describe('rotary_embedding', () => {
  for (const four of [true, false]) {
    for (const interleaved of [0, 1]) {
      for (const [rd, positions] of [[0, true], [4, true], [0, false], [4, false]] as const) {
        const name = `${four ? '4-D' : '3-D'} interleaved=${interleaved} rotary_dim=${rd}`
          + ` positions=${positions}`;
        it(name, () => {
          check({ four, B: 2, S: 3, H: 2, D: 8, rd, interleaved, positions, maxPos: 7 });
        });
      }
    }
  }
  it('rejects an odd or too wide rotary_dim, a 3-D input without num_heads and short caches', () => {
    const x = tin('float32', [1, 2, 2, 4], new Array<number>(16).fill(0));
    const cache = tin('float32', [5, 2], new Array<number>(10).fill(0));
    const pos = tin('int64', [1, 2], [0, 1]);
    const run = (a: Record<string, number>, xi = x, c = cache) => () =>
      inferTyped('rotary_embedding', [xi, c, c, pos], { interleaved: 0, rotaryDim: 0, numHeads: 0, ...a });
    expect(run({ rotaryDim: 3 })).toThrow(/KC0401/);
    expect(run({ rotaryDim: 6 })).toThrow(/KC0401/);
    expect(run({}, tin('float32', [1, 2, 8], new Array<number>(16).fill(0)))).toThrow(/KC0401/);
    expect(run({}, x, tin('float32', [5, 1], new Array<number>(5).fill(0)))).toThrow(/KC0402/);
  });
});
