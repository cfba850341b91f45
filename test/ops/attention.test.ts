// attention (ir/ops/attention.ts) against a JS reference of the unfused chain
// softmax(mask(scale(q·kt))) · v: odd query/key counts that leave tails in every tile, broadcast
// batch dims (GQA-style kt/v per group of heads is expressed by the caller as equal heads here),
// additive masks of several broadcast shapes, every knob, and rows whose first key block is
// masked to -inf.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { sym } from '../../ir/dim.js';
import { expectClose, inferOp, runOp, tensor } from './harness.js';

interface Case { B: number[]; S: number; Sk: number; D: number; Dv: number }

/** The reference: scores in float64, softmax over keys, then the weighted sum of v rows. */
function reference(c: Case, q: Float32Array, kt: Float32Array, v: Float32Array, scale: number | null,
  op: 'mul' | 'div', mask: { data: Float32Array; shape: number[] } | null): Float32Array {
  const nb = c.B.reduce((a, b) => a * b, 1), out = new Float32Array(nb * c.S * c.Dv);
  const full = [...c.B, c.S, c.Sk];
  const maskAt = (flat: number): number => {
    if (!mask) return 0;
    const idx: number[] = [];
    for (let x = full.length - 1,
      f = flat; x >= 0; x--) { idx.unshift(f % full[x]); f = Math.floor(f / full[x]); }
    const own = idx.slice(idx.length - mask.shape.length).map((i, x) => (mask.shape[x] === 1 ? 0 : i));
    return mask.data[own.reduce((a, i, x) => a * mask.shape[x] + i, 0)];
  };
  for (let b = 0; b < nb; b++) for (let i = 0; i < c.S; i++) {
    const s = new Float64Array(c.Sk);
    for (let j = 0; j < c.Sk; j++) {
      let x = 0;
      for (let d = 0; d < c.D; d++) x += q[(b * c.S + i) * c.D + d] * kt[(b * c.D + d) * c.Sk + j];
      if (scale !== null) x = op === 'mul' ? x * scale : x / scale;
      s[j] = x + maskAt((b * c.S + i) * c.Sk + j);
    }
    const m = Math.max(...s);
    let sum = 0;
    for (let j = 0; j < c.Sk; j++) { s[j] = Math.exp(s[j] - m); sum += s[j]; }
    for (let e = 0; e < c.Dv; e++) {
      let acc = 0;
      for (let j = 0; j < c.Sk; j++) acc += (s[j] / sum) * v[(b * c.Sk + j) * c.Dv + e];
      out[(b * c.S + i) * c.Dv + e] = acc;
    }
  }
  return out;
}

function run(c: Case, opts: { scale?: number; op?: 'mul' | 'div'; mask?: number[];
  knobs?: Record<string, number>; maskData?: Float32Array } = {}) {
  const q = tensor([...c.B, c.S, c.D], 1), kt = tensor([...c.B, c.D, c.Sk], 2), v = tensor([...c.B, c.Sk,
    c.Dv], 3);
  const scale = opts.scale === undefined ? null : { data: Float32Array.of(opts.scale), shape: [] };
  const mask = opts.mask ? { ...tensor(opts.mask, 4), ...(opts.maskData
    ? { data: opts.maskData } : {}) } : null;
  if (mask && !opts.maskData) mask.data.forEach((x, i) => { mask.data[i] = x < -0.6 ? -1e9 : x; });
  const attrs = { scaleOp: scale ? (opts.op ?? 'mul') : 'none', mask: mask ? 'add' : 'none' };
  const r = runOp('attention', [q, kt, v, scale, mask], attrs, { knobs: opts.knobs });
  const want = reference(c, q.data, kt.data, v.data, opts.scale ?? null, opts.op ?? 'mul',
    mask ? { data: mask.data, shape: [...mask.shape] } : null);
  return { got: r.outputs[0], want, shape: r.shapes[0] };
}

describe('attention lowering', () => {
  const cases: [string, Case][] = [
    ['one query row, one key', { B: [1], S: 1, Sk: 1, D: 4, Dv: 16 }],
    ['odd rows and keys (tails in q, key blocks and Dv)', { B: [2, 3], S: 7, Sk: 37, D: 5, Dv: 20 }],
    ['keys exactly two blocks', { B: [1, 2], S: 8, Sk: 64, D: 8, Dv: 32 }],
    ['more queries than keys', { B: [2], S: 13, Sk: 3, D: 3, Dv: 7 }],
  ];
  for (const [name, c] of cases) {
    it(`${name}: scale, additive mask [B..., S, Sk]`, () => {
      const r = run(c, { scale: 0.35, mask: [...c.B, c.S, c.Sk] });
      expect(r.shape).toEqual([...c.B, c.S, c.Dv]);
      expectClose(r.got, r.want);
    });
  }
  it('no scale, no mask; divide by the scale', () => {
    const c = { B: [3], S: 9, Sk: 19, D: 6, Dv: 16 };
    expectClose(run(c).got, run(c).want);
    const r = run(c, { scale: 2.5, op: 'div' });
    expectClose(r.got, r.want);
  });
  for (const mask of [[1, 1, 11, 23], [2, 1, 1, 23], [11, 23], [23]]) {
    it(`mask broadcast from ${JSON.stringify(mask)}`, () => {
      const r = run({ B: [2, 3], S: 11, Sk: 23, D: 4, Dv: 8 }, { scale: 0.5, mask });
      expectClose(r.got, r.want);
    });
  }
  const knobSets: Record<string, number>[] = [{ 'attn.tq': 1, 'attn.kb': 1 }, { 'attn.tq': 3, 'attn.kb': 4 },
    { 'attn.tq': 8, 'attn.kb': 1, 'attn.vec': 8 }];
  for (const knobs of knobSets) {
    it(`knobs ${JSON.stringify(knobs)}`, () => {
      const r = run({ B: [2], S: 10, Sk: 45, D: 7, Dv: 24 }, { scale: 0.3, mask: [10, 45], knobs });
      expectClose(r.got, r.want);
    });
  }
  it('a first key block masked to -inf for some rows still gives the softmax of the rest', () => {
    const c = { B: [1], S: 4, Sk: 40, D: 3, Dv: 16 };
    const m = new Float32Array(c.S * c.Sk).map((_, k) => (k % c.Sk < 33 && (k / c.Sk | 0) % 2
      ? -Infinity : 0));
    const r = run(c, { mask: [c.S, c.Sk], maskData: m, knobs: { 'attn.kb': 1 } });
    expect(r.got.every(Number.isFinite)).toBe(true);
    expectClose(r.got, r.want);
  });
});

describe('attention with a symbolic sequence', () => {
  // The kernel picks one-vector key blocks at run time when the keys fit one vector.
  for (const n of [9, 40]) {
    it(`seq ${n} (q, kt, v and mask symbolic)`, () => {
      const s = sym('seq'), c = { B: [2], S: n, Sk: n, D: 5, Dv: 16 };
      const q = tensor([2, n, 5], 1, [2, s, 5]), kt = tensor([2, 5, n], 2, [2, 5, s]);
      const v = tensor([2, n, 16], 3, [2, s, 16]), mask = tensor([n, n], 4, [s, s]);
      const r = runOp('attention', [q, kt, v, null, mask], { scaleOp: 'none', mask: 'add' });
      expectClose(r.outputs[0], reference(c, q.data, kt.data, v.data, null, 'mul', { data: mask.data,
        shape: [n, n] }));
    });
  }
});

describe('attention infer', () => {
  const f32 = (shape: (number | ReturnType<typeof sym>)[]) => ({ dtype: 'float32' as const, shape });
  it('symbolic sequence, broadcast batch dims', () => {
    const s = sym('seq');
    const [t] = inferOp('attention', [f32([sym('b'), 4, s, 32]), f32([1, 4, 32, s]), f32([sym('b'), 1, s,
      16]),
      null, null], { scaleOp: 'none', mask: 'none' });
    expect(t.shape.length).toBe(4);
    expect(t.shape[3]).toBe(16);
  });
  it('rejects mismatched inner dims, a symbolic Dv and a non-scalar scale', () => {
    const none = { scaleOp: 'none', mask: 'none' };
    expect(() => inferOp('attention', [f32([2, 5, 8]), f32([2, 7, 5]), f32([2, 5, 4]), null, null], none))
      .toThrow(/inner dims/);
    expect(() => inferOp('attention', [f32([2, 5, 8]), f32([2, 8, 5]), f32([2, 5, sym('d')]), null, null],
      none))
      .toThrow(/static Dv/);
    expect(() => inferOp('attention', [f32([2, 5, 8]), f32([2, 8, 5]), f32([2, 5, 4]), f32([2]), null],
      { scaleOp: 'mul', mask: 'none' })).toThrow(/one element/);
  });
});
