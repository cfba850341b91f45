// lstm_seq / gru_seq / rnn_seq / rnn_pack vs a JS reference of ONNX LSTM/GRU/RNN: directions,
// sequence_lens, initial states, peepholes, clip, input_forget, linear_before_reset, layouts,
// activations, static and symbolic (batch, seq) shapes, unit tails (H not a multiple of 16).
import { describe, expect, it } from 'vitest';
import '../../ir/ops/rnn.js';
import { sym } from '../../ir/dim.js';
import { GATES, packR, type Cell } from '../../ir/ops/rnn.js';
import { expectClose, inferOp, rand, runOp, type InSpec } from './harness.js';

interface Case {
  cell: Cell; S: number; B: number; I: number; H: number; dir?: string; layout?: number;
  bias?: boolean; lens?: number[]; h0?: boolean; c0?: boolean; peep?: boolean; clip?: number;
  forget?: number; lbr?: number; acts?: string[]; alpha?: number[]; beta?: number[]; sym?: boolean;
}

const ACT: Record<string, (x: number, a: number, b: number) => number> = {
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)), Tanh: (x) => Math.tanh(x), Relu: (x) => Math.max(x, 0),
  Affine: (x, a, b) => a * x + b, LeakyRelu: (x, a) => (x >= 0 ? x : a * x),
  HardSigmoid: (x, a, b) => Math.max(0, Math.min(1, a * x + b)), Softsign: (x) => x / (1 + Math.abs(x)),
  Elu: (x, a) => (x >= 0 ? x : a * (Math.exp(x) - 1)), ScaledTanh: (x, a, b) => a * Math.tanh(b * x),
};
const DEFAULTS: Record<Cell, string[]> =
  { lstm: ['Sigmoid', 'Tanh', 'Tanh'], gru: ['Sigmoid', 'Tanh'], rnn: ['Tanh'] };

/** ONNX semantics, one direction at a time, in float64. Returns Y (layout 0), Y_h, Y_c (D, B, H). */
function reference(c: Case, x: Float32Array, w: Float32Array, r: Float32Array, b: Float32Array | null,
  h0: Float32Array | null, c0: Float32Array | null, p: Float32Array | null) {
  const { S, B, I, H, cell } = c, G = GATES[cell], D = c.dir === 'bidirectional' ? 2 : 1;
  const nA = DEFAULTS[cell].length;
  const acts = c.acts ?? [...DEFAULTS[cell], ...(D === 2 ? DEFAULTS[cell] : [])];
  const Y = new Float32Array(S * D * B * H), Yh = new Float32Array(D * B * H),
    Yc = new Float32Array(D * B * H);
  const xAt = (t: number, bb: number, i: number) => x[(t * B + bb) * I + i];
  const clip = (v: number) => (c.clip !== undefined ? Math.max(-c.clip, Math.min(c.clip, v)) : v);
  for (let d = 0; d < D; d++) {
    const f = (k: number, v: number) => ACT[acts[d * nA + k]](v, c.alpha?.[d * nA + k] ?? 0,
      c.beta?.[d * nA + k] ?? 0);
    const rev = c.dir === 'reverse' || d === 1;
    for (let bb = 0; bb < B; bb++) {
      const len = c.lens ? c.lens[bb] : S;
      const h = Array.from({ length: H }, (_, j) => (h0 ? h0[(d * B + bb) * H + j] : 0));
      const cs = Array.from({ length: H }, (_, j) => (c0 ? c0[(d * B + bb) * H + j] : 0));
      for (let s = 0; s < len; s++) {
        const t = rev ? len - 1 - s : s;
        const gate = (g: number, j: number, hv: number[], withRb: boolean) => {
          let v = 0, rv = 0;
          for (let i = 0; i < I; i++) v += xAt(t, bb, i) * w[((d * G + g) * H + j) * I + i];
          for (let k = 0; k < H; k++) rv += hv[k] * r[((d * G + g) * H + j) * H + k];
          if (b) v += b[d * 2 * G * H + g * H + j];
          const rb = b ? b[d * 2 * G * H + (G + g) * H + j] : 0;
          return withRb ? v + rv + rb : [v, rv + rb];
        };
        const hn = new Array<number>(H), cn = new Array<number>(H);
        if (cell === 'lstm') {
          for (let j = 0; j < H; j++) {
            const pp = (k: number) => (p ? p[d * 3 * H + k * H + j] : 0);
            const i = f(0, clip((gate(0, j, h, true) as number) + pp(0) * cs[j]));
            const fg = c.forget ? 1 - i : f(0, clip((gate(2, j, h, true) as number) + pp(2) * cs[j]));
            const g = f(1, clip(gate(3, j, h, true) as number));
            cn[j] = fg * cs[j] + i * g;
            const o = f(0, clip((gate(1, j, h, true) as number) + pp(1) * cn[j]));
            hn[j] = o * f(2, cn[j]);
          }
        } else if (cell === 'rnn') {
          for (let j = 0; j < H; j++) hn[j] = f(0, clip(gate(0, j, h, true) as number));
        } else {
          const z = h.map((_, j) => f(0, clip(gate(0, j, h, true) as number)));
          const rg = h.map((_, j) => f(0, clip(gate(1, j, h, true) as number)));
          const rh = h.map((v, j) => rg[j] * v);
          for (let j = 0; j < H; j++) {
            let n: number;
            if (c.lbr) {
              const [xv, rv] = gate(2, j, h, false) as number[];
              n = f(1, clip(xv + rg[j] * rv));
            } else n = f(1, clip(gate(2, j, rh, true) as number));
            hn[j] = (1 - z[j]) * n + z[j] * h[j];
          }
        }
        for (let j = 0; j < H; j++) {
          h[j] = hn[j]; if (cell === 'lstm') cs[j] = cn[j]; Y[((t * D + d) * B + bb) * H + j] = h[j];
        }
      }
      for (let j = 0; j < H; j++) { Yh[(d * B + bb) * H + j] = h[j]; Yc[(d * B + bb) * H + j] = cs[j]; }
    }
  }
  return { Y, Yh, Yc };
}

/** (S,B,·) <-> (B,S,·) and (D,B,H) <-> (B,D,H) style swaps of the first two axes of 3-D data. */
function swap01(a: Float32Array, n0: number, n1: number, inner: number): Float32Array {
  const out = new Float32Array(a.length);
  for (let i = 0; i < n0; i++) for (let j = 0; j < n1; j++) {
    out.set(a.subarray((i * n1 + j) * inner, (i * n1 + j + 1) * inner), (j * n0 + i) * inner);
  }
  return out;
}

function run(c: Case) {
  const { S, B, I, H, cell } = c, G = GATES[cell], D = c.dir === 'bidirectional' ? 2 : 1, UB = 16;
  const x = rand(S * B * I, 1), w = rand(D * G * H * I, 2).map((v) => v * 0.5),
    r = rand(D * G * H * H, 3).map((v) => v * 0.5);
  const b = c.bias ? rand(D * 2 * G * H, 4) : null, h0 = c.h0 ? rand(D * B * H, 5) : null;
  const c0 = c.c0 ? rand(D * B * H, 6) : null, p = c.peep ? rand(D * 3 * H, 7) : null;
  const lay = c.layout ?? 0;
  // Input projection (the converter's gemm), rows in X's layout order.
  const xl = lay === 0 ? x : swap01(x, S, B, I);
  const rows = S * B, N = D * G * H, xw = new Float32Array(rows * N);
  for (let q = 0; q < rows; q++) for (let n = 0; n < N; n++) {
    let v = 0;
    for (let i = 0; i < I; i++) v += xl[q * I + i] * w[n * I + i];
    xw[q * N + n] = v;
  }
  const [Sd, Bd] = c.sym ? [sym('seq'), sym('batch')] : [S, B];
  const st = (a: Float32Array | null): InSpec | null =>
    (a ? { data: lay === 0 ? a : swap01(a, D, B, H), shape: lay === 0 ? [D, B, H] : [B, D, H],
      dims: lay === 0 ? [D, Bd, H] : [Bd, D, H] } : null);
  const ins: (InSpec | null)[] = [
    { data: xl, shape: lay === 0 ? [S, B, I] : [B, S, I], dims: lay === 0 ? [Sd, Bd, I] : [Bd, Sd, I] },
    { data: xw, shape: [rows, N], dims: [c.sym ? sym('rows') : rows, N] },
    { data: packR(r, D, G, H, UB), shape: [D, Math.ceil(H / UB), H, G, UB] },
    b ? { data: b, shape: [D, 2 * G * H] } : null,
    c.lens ? { data: Float32Array.from(c.lens), shape: [B], dims: [Bd] } : null,
    st(h0), cell === 'lstm' ? st(c0) : null, p ? { data: p, shape: [D, 3 * H] } : null,
  ];
  const acts = c.acts ?? [...DEFAULTS[cell], ...(D === 2 ? DEFAULTS[cell] : [])];
  const attrs = {
    hidden: H, direction: c.dir ?? 'forward', layout: lay, ub: UB, clip: c.clip ?? -1,
    input_forget: c.forget ?? 0, lbr: c.lbr ?? 0, acts,
    act_alpha: c.alpha ?? acts.map(() => 0), act_beta: c.beta ?? acts.map(() => 0),
  };
  const out = runOp(`${cell}_seq`, ins, attrs);
  return { out, ref: reference(c, x, w, r, b, h0, c0, p), D };
}

const cases: Case[] = [
  { cell: 'lstm', S: 5, B: 3, I: 4, H: 7 },
  { cell: 'lstm', S: 4, B: 6, I: 5, H: 20, dir: 'bidirectional', bias: true, h0: true, c0: true, peep: true },
  { cell: 'lstm', S: 6, B: 5, I: 3, H: 16, dir: 'reverse', bias: true, lens: [6, 0, 3, 1, 5],
    h0: true, c0: true },
  { cell: 'lstm', S: 6, B: 5, I: 3, H: 9, dir: 'bidirectional', bias: true, lens: [2, 6, 3, 1, 5],
    peep: true },
  { cell: 'lstm', S: 4, B: 2, I: 3, H: 5, clip: 0.3, forget: 1, bias: true },
  { cell: 'lstm', S: 4, B: 2, I: 3, H: 5, acts: ['HardSigmoid', 'LeakyRelu', 'Softsign'],
    alpha: [0.3, 0.1, 0], beta: [0.4, 0, 0] },
  { cell: 'gru', S: 5, B: 3, I: 4, H: 6, bias: true },
  { cell: 'gru', S: 5, B: 5, I: 4, H: 18, bias: true, lbr: 1, dir: 'bidirectional', h0: true },
  { cell: 'gru', S: 5, B: 5, I: 4, H: 18, bias: true, lbr: 0, dir: 'bidirectional', h0: true,
    lens: [5, 2, 0, 4, 1] },
  { cell: 'gru', S: 4, B: 2, I: 3, H: 5, clip: 0.5, dir: 'reverse', acts: ['Relu', 'Elu'], alpha: [0, 0.7],
    beta: [0, 0] },
  { cell: 'rnn', S: 5, B: 3, I: 4, H: 4, bias: true },
  { cell: 'rnn', S: 5, B: 4, I: 4, H: 17, bias: true, dir: 'bidirectional', h0: true, lens: [5, 3, 1, 4] },
  { cell: 'rnn', S: 3, B: 2, I: 2, H: 3, acts: ['Affine'], alpha: [0.5], beta: [0.2], dir: 'reverse' },
  { cell: 'lstm', S: 5, B: 3, I: 4, H: 7, layout: 1, bias: true, h0: true, c0: true },
  { cell: 'gru', S: 4, B: 3, I: 4, H: 6, layout: 1, lbr: 1, bias: true, lens: [4, 1, 2] },
  { cell: 'lstm', S: 5, B: 5, I: 4, H: 12, sym: true, bias: true, h0: true, c0: true, lens: [5, 4, 3, 2, 1] },
  { cell: 'gru', S: 3, B: 6, I: 4, H: 12, sym: true, layout: 1, bias: true, h0: true },
  { cell: 'lstm', S: 4, B: 3, I: 64, H: 128, sym: true, bias: true, h0: true, c0: true },
];

describe('recurrences vs JS reference', () => {
  for (const c of cases) {
    it(JSON.stringify(c), () => {
      const { out, ref, D } = run(c);
      const { S, B, H } = c, lay = c.layout ?? 0;
      const y = lay === 0 ? ref.Y : permYToLayout1(ref.Y, S, D, B, H);
      expectClose(out.outputs[0], y);
      expectClose(out.outputs[1], lay === 0 ? ref.Yh : swap01(ref.Yh, D, B, H));
      if (c.cell === 'lstm') expectClose(out.outputs[2], lay === 0 ? ref.Yc : swap01(ref.Yc, D, B, H));
    });
  }
  it('rnn_pack matches packR', () => {
    const D = 2, G = 3, H = 20, r = rand(D * G * H * H, 9);
    const out = runOp('rnn_pack', [{ data: r, shape: [D, G * H, H] }],
      { hidden: H, gates: G, ub: 16, dirs: D });
    expect(Array.from(out.outputs[0])).toEqual(Array.from(packR(r, D, G, H, 16)));
  });
  it('keeps symbolic (batch, seq) in Y, Y_h', () => {
    const [S, B] = [sym('seq'), sym('batch')];
    const outs = inferOp('lstm_seq',
      [{ dtype: 'float32', shape: [S, B, 8] }, { dtype: 'float32', shape: [sym('r'), 64] },
      null, null, null, null, null, null],
        { hidden: 16, direction: 'forward', acts: ['Sigmoid', 'Tanh', 'Tanh'] });
    expect(outs[0].shape).toEqual([S, 1, B, 16]);
    expect(outs[1].shape).toEqual([1, B, 16]);
  });
});

/** (S, D, B, H) -> (B, S, D, H). */
function permYToLayout1(y: Float32Array, S: number, D: number, B: number, H: number): Float32Array {
  const out = new Float32Array(y.length);
  for (let s = 0; s < S; s++) for (let d = 0; d < D; d++) for (let b = 0; b < B; b++)
    for (let j = 0; j < H; j++) {
    out[((b * S + s) * D + d) * H + j] = y[((s * D + d) * B + b) * H + j];
  }
  return out;
}
