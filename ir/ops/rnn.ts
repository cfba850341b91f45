// Op records for recurrent layers: `lstm_seq`, `gru_seq`, `rnn_seq` (the time recurrence of ONNX
// LSTM / GRU / RNN, all directions in one kernel) and `rnn_pack` (recurrent weights R into the
// panel layout the recurrence reads). The ONNX converter (compiler/frontend/onnx/ops/rnn.ts)
// computes the input projection for all time steps as one gemm and passes it in as `xw`.
//
// Inputs of the *_seq ops: [x, xw, rp, b, seq_lens, initial_h, initial_c, p]
//   x   the ONNX X, read for its shape only: (S, B) = layout 0 ? X[0..1] : X[1..0]
//   xw  (rows, D*G*H) = X·Wᵀ, rows in X's order (layout 0: t*B + b, layout 1: b*S + t)
//   rp  (D, NB, H, G, UB): rp[d, nb, k, g, u] = R[d, g*H + nb*UB + u, k], zero for units >= H
//   b   optional (D, 2*G*H) ONNX biases Wb ++ Rb; seq_lens optional (B) integers
//   initial_h/initial_c optional, p optional (D, 3H) peepholes (i, o, f); c and p for LSTM only
// Outputs: Y, Y_h, (Y_c for LSTM), ws. `ws` (slots, D, B, H) is the kernel's workspace (the
// state must be a graph value because its size is symbolic): slots 0/1 hold h ping-pong (step s
// reads slot s%2 and writes the other, so panels can read all of h_{t-1} while h_t is written),
// slot 2 the LSTM cell state (or GRU z), slot 3 GRU's r⊙h_{t-1} (linear_before_reset=0).
// Attributes (SEQ_ATTRS): hidden (H), direction, layout, clip (< 0: none), input_forget (LSTM),
// lbr (GRU linear_before_reset), acts/act_alpha/act_beta (per direction, alphas/betas already
// resolved per activation by the converter), ub (units per panel; the converter packs with it).
// rnn_pack and packR live in ir/ops/rnn-pack.ts.
//
// Schedule (knobs):
//   rnn.tb     batch rows per register tile (default 4; single rows follow for the remainder)
//   rnn.parts  batch rows are split into this many parts (default max(2, target threads))
// One parallel loop over tasks (direction, part of the batch rows): rows and directions are
// independent, so each task runs the whole serial time loop with no barrier (measured: a
// parallel_for per step costs more than the step itself with the runtime's sleeping pool). Per
// step a task walks its panels of UB hidden units; per panel it keeps TB x G accumulator vectors
// across the k loop over h_{t-1} (a broadcast of h[b, k] times a UB-wide vector of its contiguous
// R panel), then applies the cell update to those units, vectorised along the units. GRU with
// linear_before_reset=0 makes two passes per step (r of every unit before the n gate).
// sequence_lens (per ONNX): for batch row b, step s is valid iff s < len[b]; a forward direction
// works at time s, a reverse one at len[b]-1-s; an invalid step writes zeros to Y at time s and
// keeps the state. Lengths outside [0, S] fail with status 3 (index out of range).
// Guarantees: Y elements are each written once; Y_h/Y_c are the state after each row's last
// valid step.

import { dimMul, type Dim } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import type { Buffer, Expr, Stmt } from '../tir.js';
import {
  add, alloc, and, cast, eq, floordiv, ge, ifThen, imm, le, letIn, load, loop, lt, max, min, mod, mul,
  select, seq, store, sub, unary,
} from '../tir-build.js';
import { attr, type AttrFail, type AttrSpec, type AttrValues } from './attr-schema.js';
import { INPUT_MISMATCH, checkDimEq, constOf, knob, requireFloat, sinkBuffer } from './attrs.js';
import { declareOp } from './declare.js';
import { INDEX_OUT_OF_RANGE } from './gather.js';
import { RNN_PACK } from './rnn-pack.js';
import type { InferCtx, OpDef } from './registry.js';

export { packR } from './rnn-pack.js';

export type Cell = 'lstm' | 'gru' | 'rnn';
export const GATES: Readonly<Record<Cell, number>> = { lstm: 4, gru: 3, rnn: 1 };
/** Activations per direction. */
export const ACTS: Readonly<Record<Cell, number>> = { lstm: 3, gru: 2, rnn: 1 };
export const ACTIVATIONS: readonly string[] = [
  'Sigmoid', 'Tanh', 'Relu', 'Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh', 'HardSigmoid',
  'Elu', 'Softsign', 'Softplus',
];

/** Activation names, each one of ACTIVATIONS (their count is checked per cell: checkActs). */
const actNames: AttrSpec<readonly string[]> = { onnx: 'internal', parse: (v, _rank, fail) => {
  if (!Array.isArray(v) || v.some((n) => typeof n !== 'string')) fail('is not a list of names');
  const names = v as readonly string[];
  for (const n of names) if (!ACTIVATIONS.includes(n)) fail(`has unsupported activation '${n}'`);
  return names;
} };

export const DIRECTIONS = ['forward', 'reverse', 'bidirectional'] as const;

/** The attributes of lstm_seq, gru_seq and rnn_seq (input_forget: LSTM only; lbr: GRU only). */
export const SEQ_ATTRS = {
  hidden: attr.int(undefined, { min: 1 }), direction: attr.oneOf(DIRECTIONS),
  layout: attr.int(0, { min: 0, max: 1 }), ub: attr.int(16, { min: 1 }), clip: attr.float(-1),
  input_forget: attr.flag(0), lbr: attr.flag(0), acts: actNames,
  act_alpha: attr.floats([]), act_beta: attr.floats([]),
};
type SeqAttrs = AttrValues<typeof SEQ_ATTRS>;

const numDirs = (a: { readonly direction: string }): number => (a.direction === 'bidirectional' ? 2 : 1);
const wsSlots = (cell: Cell, a: SeqAttrs): number =>
  (cell === 'lstm' ? 3 : cell === 'gru' && a.lbr === 0 ? 4 : 2);

const checkActs = (cell: Cell) => (a: SeqAttrs, _rank: unknown, fail: AttrFail): void => {
  const want = ACTS[cell] * numDirs(a);
  if (a.acts.length !== want) fail('acts', `has ${a.acts.length} entries, expected ${want}`);
};

function checkStatic(t: TensorType | null, want: readonly number[], what: string, ctx: InferCtx): void {
  if (!t) return;
  if (t.shape.length !== want.length) ctx.fail(INPUT_MISMATCH, `${what} must have rank ${want.length}`);
  t.shape.forEach((d, i) => checkDimEq(d, want[i], `${what} dim ${i}`, ctx));
}

function inferSeq(cell: Cell) {
  return (ins: readonly (TensorType | null)[], attrs: SeqAttrs, ctx: InferCtx): TensorType[] => {
    const x = requireFloat(ins, 0, 'X', ctx, 3, 3);
    const xw = requireFloat(ins, 1, 'projected X', ctx, 2, 2);
    const { hidden: H, ub, layout } = attrs, D = numDirs(attrs), G = GATES[cell];
    const [S, B] = layout === 0 ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[0]];
    checkDimEq(xw.shape[0], dimMul(S, B), 'projected X rows', ctx);
    checkDimEq(xw.shape[1], D * G * H, 'projected X columns', ctx);
    checkStatic(ins[2], [D, Math.ceil(H / ub), H, G, ub], 'packed R', ctx);
    checkStatic(ins[3], [D, 2 * G * H], 'B', ctx);
    if (ins[4] && ins[4].shape.length !== 1) ctx.fail(INPUT_MISMATCH, 'sequence_lens must have rank 1');
    if (ins[4]) checkDimEq(ins[4].shape[0], B, 'sequence_lens length', ctx);
    const st: Dim[] = layout === 0 ? [D, B, H] : [B, D, H];
    for (const [i, what] of [[5, 'initial_h'], [6, 'initial_c']] as const) {
      const t = ins[i];
      if (t) {
        if (t.shape.length !== 3) ctx.fail(INPUT_MISMATCH, `${what} must have rank 3`);
        t.shape.forEach((d, k) => checkDimEq(d, st[k], `${what} dim ${k}`, ctx));
      }
    }
    checkStatic(ins[7], [D, 3 * H], 'P', ctx);
    const f = (shape: Dim[]): TensorType => ({ dtype: x.dtype, shape });
    const y = f(layout === 0 ? [S, D, B, H] : [B, S, D, H]);
    const ws = f([wsSlots(cell, attrs), D, B, H]);
    return cell === 'lstm' ? [y, f(st), f(st), ws] : [y, f(st), ws];
  };
}

/** An ONNX activation function applied to a (vector) expression. */
export function activation(name: string, alpha: number, beta: number, x: Expr): Expr {
  const c = (v: number): Expr => imm(v, x.dtype);
  switch (name) {
    case 'Sigmoid': return unary('sigmoid', x);
    case 'Tanh': return unary('tanh', x);
    case 'Relu': return max(x, c(0));
    case 'Affine': return add(mul(c(alpha), x), c(beta));
    case 'LeakyRelu': return select(ge(x, c(0)), x, mul(c(alpha), x));
    case 'ThresholdedRelu': return select(lt(c(alpha), x), x, c(0));
    case 'ScaledTanh': return mul(c(alpha), unary('tanh', mul(c(beta), x)));
    case 'HardSigmoid': return max(c(0), min(c(1), add(mul(c(alpha), x), c(beta))));
    case 'Elu': return select(ge(x, c(0)), x, mul(c(alpha), sub(unary('exp', x), c(1))));
    case 'Softsign': return mul(x, unary('reciprocal', add(c(1), unary('abs', x))));
    case 'Softplus': return unary('log', add(c(1), unary('exp', x)));
    default: throw new Error(`internal: activation ${name}`);
  }
}

/** Everything the per-step code needs, fixed for one kernel. */
interface Rec {
  readonly ctx: LowerCtx; readonly cell: Cell; readonly attrs: SeqAttrs;
  readonly H: number; readonly D: number; readonly G: number; readonly UB: number; readonly NB: number;
  readonly S: Expr; readonly B: Expr; readonly DBH: Expr; readonly layout: number;
  readonly xw: Buffer; readonly rp: Buffer; readonly ws: Buffer;
  readonly bias?: Buffer; readonly lens?: Buffer; readonly h0?: Buffer; readonly c0?: Buffer;
  readonly p?: Buffer;
  /** Whether direction d (an int64 expr) runs backwards in time. */
  rev(d: Expr): Expr;
}

/** Per-task, per-step coordinates. */
interface At {
  readonly d: Expr; readonly nb: Expr; readonly s: Expr; readonly hp: Expr; readonly hn: Expr;
  /** The task's batch rows [lo, hi). */
  readonly lo: Expr; readonly hi: Expr;
}

/** One parallel task: a direction and a range of batch rows, for all time steps. */
interface Part { readonly d: Expr; readonly lo: Expr; readonly hi: Expr }

const F32 = 'float32';

/** Offset of state element (slot, d, b, j) in ws. */
const wsIdx = (r: Rec, slot: Expr | number, d: Expr, b: Expr, j: Expr): Expr =>
  add(mul(slot, r.DBH), add(mul(add(mul(d, r.B), b), r.H), j));

/** Offset of (d, b, j) in a (D, B, H) or (B, D, H) state tensor. */
const stIdx = (r: Rec, d: Expr, b: Expr, j: Expr): Expr =>
  (r.layout === 0 ? add(mul(add(mul(d, r.B), b), r.H), j) : add(mul(add(mul(b, r.D), d), r.H), j));

const stCoords = (r: Rec, d: Expr, b: Expr, j: Expr): Expr[] => (r.layout === 0 ? [d, b, j] : [b, d, j]);

/** `for j in units (UB-wide vectors)`: body gets j and the tail predicate (null when none). */
function unitVectors(r: Rec, body: (j: Expr, inUnit: Expr | null) => Stmt): Stmt {
  const ch = r.ctx.fresh('uc'), lv = r.ctx.fresh('u');
  const j = add(mul(ch, r.UB), lv);
  return loop(ch, r.NB, loop(lv, r.UB, body(j, r.H % r.UB === 0 ? null : lt(j, r.H)), 'vectorize'));
}

const masked = (inUnit: Expr | null, e: Expr): Expr => (inUnit ? select(inUnit, e, imm(0, e.dtype)) : e);
const guard = (inUnit: Expr | null, s: Stmt): Stmt => (inUnit ? ifThen(inUnit, s) : s);

/** Copies the task's initial states (or zeros) into the workspace. */
function initState(r: Rec, part: Part): Stmt {
  const dv = part.d, bv = r.ctx.fresh('bat');
  const fill = unitVectors(r, (j, inU) => {
    const from = (buf?: Buffer): Expr => (buf ? masked(inU, load(buf, stIdx(r, dv, bv, j))) : imm(0, F32));
    const sts = [guard(inU, store(r.ws, wsIdx(r, 0, dv, bv, j), from(r.h0)))];
    if (r.cell === 'lstm') sts.push(guard(inU, store(r.ws, wsIdx(r, 2, dv, bv, j), from(r.c0))));
    return seq(sts);
  });
  return loop(bv, sub(part.hi, part.lo), fill, 'serial', part.lo);
}

/** Writes Y_h (and Y_c) from the workspace after the last step. */
function finalState(r: Rec, part: Part): Stmt {
  const dv = part.d, bv = r.ctx.fresh('bat');
  const last = mod(r.S, 2);
  const outs = r.ctx.outputs;
  const copy = unitVectors(r, (j, inU) => {
    const sts =
      [guard(inU, outs[1].store(stCoords(r, dv, bv, j), masked(inU, load(r.ws, wsIdx(r, last, dv, bv, j)))))];
    if (r.cell === 'lstm') {
      sts.push(guard(inU,
        outs[2].store(stCoords(r, dv, bv, j), masked(inU, load(r.ws, wsIdx(r, 2, dv, bv, j))))));
    }
    return seq(sts);
  });
  return loop(bv, sub(part.hi, part.lo), copy, 'serial', part.lo);
}

/** Fails the kernel when a sequence length is outside [0, S]. */
function checkLens(r: Rec): Stmt {
  if (!r.lens) return seq();
  const bv = r.ctx.fresh('bat');
  const len = cast(load(r.lens, bv), 'int64');
  return loop(bv, r.B, { kind: 'assert', cond: and(ge(len, 0), le(len, r.S)), code: INDEX_OUT_OF_RANGE });
}

/** Per batch row at step s: whether the step is valid and the time index it reads/writes. */
function timeOf(r: Rec, at: At, b: Expr): { valid: Expr; pos: Expr } {
  const len = r.lens ? cast(load(r.lens, b), 'int64') : r.S;
  const valid = lt(at.s, len);
  const pos = select(valid, select(r.rev(at.d), sub(sub(len, 1), at.s), at.s), at.s);
  return { valid, pos };
}

/**
 * The register tile of TB batch rows from b0: accumulators acc[tb][gi] (gi over `gates`) of
 * sum_k h(b0+tb, k) * R[d, g*H + j, k] for the task's UB units j, then `update` per row.
 */
function tile(
  r: Rec, at: At, b0: Expr, TB: number, gates: readonly number[], h: (b: Expr, k: Expr) => Expr,
  update: (b: Expr, acc: (gi: number) => Expr, lane: Expr) => Stmt,
): Stmt {
  const { ctx, UB, G } = r;
  const nG = gates.length;
  // Fewer than 8 accumulator chains leave FMA latency exposed: split k into KS interleaved sets.
  const KS = TB * nG < 8 && r.H % 2 === 0 ? 2 : 1;
  const acc = ctx.scratch('acc', F32), kv = ctx.fresh('k'), lv = ctx.fresh('l');
  const ai = (tb: number, gi: number, ks = 0): Expr => add(((ks * TB + tb) * nG + gi) * UB, lv);
  const vec = (s: Stmt): Stmt => loop(lv, UB, s, 'vectorize');
  const init: Stmt[] = [];
  for (let i = 0; i < KS * TB * nG; i++) init.push(vec(store(acc, add(i * UB, lv), imm(0, F32))));
  const fmas: Stmt[] = [];
  const hv: { v: ReturnType<LowerCtx['fresh']>; b: Expr; k: Expr }[] = [];
  for (let ks = 0; ks < KS; ks++) {
    const k = add(mul(kv, KS), ks);
    const panel = mul(add(mul(add(mul(at.d, r.NB), at.nb), r.H), k), G * UB);
    const hs = Array.from({ length: TB }, (_, tb) => ctx.fresh(`h${tb}`, F32));
    hs.forEach((v, tb) => hv.push({ v, b: add(b0, tb), k }));
    for (let gi = 0; gi < nG; gi++) {
      const rv = ctx.fresh('r', F32);
      const upd = Array.from({ length: TB }, (_, tb) =>
        store(acc, ai(tb, gi, ks), add(mul(hs[tb], rv), load(acc, ai(tb, gi, ks)))));
      fmas.push(vec(letIn(rv, load(r.rp, add(add(panel, gates[gi] * UB), lv)), seq(upd))));
    }
  }
  let body: Stmt = seq(fmas);
  for (let i = hv.length - 1; i >= 0; i--) body = letIn(hv[i].v, h(hv[i].b, hv[i].k), body);
  const red = loop(kv, r.H / KS, body);
  const sum = (tb: number, gi: number): Expr => (KS === 1 ? load(acc, ai(tb, gi))
    : add(load(acc, ai(tb, gi, 0)), load(acc, ai(tb, gi, 1))));
  const ups: Stmt[] = [];
  for (let tb = 0; tb < TB; tb++) ups.push(vec(update(add(b0, tb), (gi) => sum(tb, gi), lv)));
  return alloc(acc, KS * TB * nG * UB, seq(init, red, ups));
}

/**
 * Runs `tileFn(b0, TB)` over the task's batch rows: full tiles of TB, then one tile of the
 * remaining 1..TB-1 rows (so every row of a task shares one pass over R per step).
 */
function batchTiles(r: Rec, at: At, tileFn: (b0: Expr, tb: number) => Stmt): Stmt {
  const TB = knob(r.ctx.knobs, 'rnn.tb', 4);
  const bt = r.ctx.fresh('bt');
  const n = sub(at.hi, at.lo), full = floordiv(n, TB);
  const nc = constOf(n);
  const parts: Stmt[] = [];
  if (nc === undefined || nc >= TB) parts.push(loop(bt, full, tileFn(add(at.lo, mul(bt, TB)), TB)));
  const rest = add(at.lo, mul(full, TB)), left = sub(at.hi, rest);
  let tail: Stmt = seq();
  for (let k = 1; k < TB; k++) tail = ifThen(eq(left, k), tileFn(rest, k), tail);
  if (nc === undefined || nc % TB !== 0) parts.push(tail);
  return seq(parts);
}

/** One pass of a task's step over its unit panels. */
function taskLoop(r: Rec, part: Part, s: Expr, hp: Expr, hn: Expr, body: (at: At) => Stmt): Stmt {
  const nb = r.ctx.fresh('nb');
  return loop(nb, r.NB, body({ ...part, nb, s, hp, hn }));
}

/** Gate g's pre-activation input from X and the biases: xw + Wb (+ Rb when `withRb`). */
function xGate(r: Rec, at: At, row: Expr, g: number, j: Expr, inU: Expr | null, withRb: boolean): Expr {
  const N = r.D * r.G * r.H;
  let v = masked(inU, load(r.xw, add(add(mul(row, N), add(mul(at.d, r.G * r.H), g * r.H)), j)));
  if (r.bias) {
    const base = add(mul(at.d, 2 * r.G * r.H), g * r.H);
    v = add(v, masked(inU, load(r.bias, add(base, j))));
    if (withRb) v = add(v, masked(inU, load(r.bias, add(add(base, r.G * r.H), j))));
  }
  return v;
}

const rbGate = (r: Rec, at: At, g: number, j: Expr, inU: Expr | null): Expr => (r.bias
  ? masked(inU, load(r.bias, add(add(mul(at.d, 2 * r.G * r.H), (r.G + g) * r.H), j))) : imm(0, F32));

/** Row of xw for batch row b at time pos. */
const xRow = (r: Rec, b: Expr, pos: Expr): Expr => (r.layout === 0 ? add(mul(pos, r.B), b)
  : add(mul(b, r.S), pos));

/**
 * Activation k of direction d (d a runtime expr: the two directions may differ). Gate inputs are
 * clipped first (`clip`); the LSTM output activation of c (k = 2) is not.
 */
function act(r: Rec, at: At, k: number, x0: Expr): Expr {
  const clip = r.attrs.clip;
  const gate = !(r.cell === 'lstm' && k === 2);
  const x = clip >= 0 && gate ? max(imm(-clip, F32), min(imm(clip, F32), x0)) : x0;
  const { acts: names, act_alpha: al, act_beta: be } = r.attrs;
  const n = ACTS[r.cell];
  const f = (dir: number): Expr => activation(names[dir * n + k], al[dir * n + k] ?? 0,
    be[dir * n + k] ?? 0, x);
  if (r.D === 1 || (names[k] === names[n + k] && al[k] === al[n + k] && be[k] === be[n + k])) return f(0);
  return select(eq(at.d, 0), f(0), f(1));
}

/** Stores of one step's result h for row b: state (kept when invalid) and Y (zero when invalid). */
function emitH(r: Rec, at: At, b: Expr, j: Expr, inU: Expr | null, valid: Expr, pos: Expr, h: Expr,
  hPrev: Expr): Stmt {
  const yIdx = r.layout === 0 ? [pos, at.d, b, j] : [b, pos, at.d, j];
  return guard(inU, seq(
    store(r.ws, wsIdx(r, at.hn, at.d, b, j), select(valid, h, hPrev)),
    r.ctx.outputs[0].store(yIdx, select(valid, h, imm(0, F32))),
  ));
}

function lstmStep(r: Rec, at: At): Stmt {
  const forget = r.attrs.input_forget !== 0;
  const hsrc = (b: Expr, k: Expr): Expr => load(r.ws, wsIdx(r, at.hp, at.d, b, k));
  return batchTiles(r, at, (b0, TB) => tile(r, at, b0, TB, [0, 1, 2, 3], hsrc, (b, acc, lane) => {
    const j = add(mul(at.nb, r.UB), lane);
    const inU = r.H % r.UB === 0 ? null : lt(j, r.H);
    const { valid, pos } = timeOf(r, at, b);
    const row = xRow(r, b, pos);
    const pre = (g: number): Expr => add(acc(g), xGate(r, at, row, g, j, inU, true));
    const peep = (k: number, c: Expr): Expr => (r.p
      ? mul(masked(inU, load(r.p, add(add(mul(at.d, 3 * r.H), k * r.H), j))), c) : imm(0, F32));
    const [cp, hp, iv, fv, gv, cn, ov] =
      ['cp', 'hp', 'i', 'f', 'g', 'c', 'o'].map((n) => r.ctx.fresh(n, F32));
    const cIdx = wsIdx(r, 2, at.d, b, j);
    const out = emitH(r, at, b, j, inU, valid, pos, mul(ov, act(r, at, 2, cn)), hp);
    const body = seq(guard(inU, store(r.ws, cIdx, select(valid, cn, cp))), out);
    // ONNX gate order i, o, f, c; peepholes i, o, f.
    return letIn(cp, masked(inU, load(r.ws, cIdx)), letIn(hp, masked(inU, hsrc(b, j)),
      letIn(iv, act(r, at, 0, add(pre(0), peep(0, cp))),
        letIn(fv, forget ? sub(imm(1, F32), iv) : act(r, at, 0, add(pre(2), peep(2, cp))),
          letIn(gv, act(r, at, 1, pre(3)),
            letIn(cn, add(mul(fv, cp), mul(iv, gv)),
              letIn(ov, act(r, at, 0, add(pre(1), peep(1, cn))), body)))))));
  }));
}

function rnnStep(r: Rec, at: At): Stmt {
  const hsrc = (b: Expr, k: Expr): Expr => load(r.ws, wsIdx(r, at.hp, at.d, b, k));
  return batchTiles(r, at, (b0, TB) => tile(r, at, b0, TB, [0], hsrc, (b, acc, lane) => {
    const j = add(mul(at.nb, r.UB), lane);
    const inU = r.H % r.UB === 0 ? null : lt(j, r.H);
    const { valid, pos } = timeOf(r, at, b);
    const h = act(r, at, 0, add(acc(0), xGate(r, at, xRow(r, b, pos), 0, j, inU, true)));
    return emitH(r, at, b, j, inU, valid, pos, h, masked(inU, hsrc(b, j)));
  }));
}

/** GRU, gates z, r, h. Returns the statements of one step (one or two parallel passes). */
function gruStep(r: Rec, part: Part, s: Expr, hp: Expr, hn: Expr): Stmt {
  const lbr = r.attrs.lbr !== 0;
  const one = imm(1, F32);
  const hsrc = (at: At) => (b: Expr, k: Expr): Expr => load(r.ws, wsIdx(r, at.hp, at.d, b, k));
  const lanes = (at: At, lane: Expr) => {
    const j = add(mul(at.nb, r.UB), lane);
    return { j, inU: r.H % r.UB === 0 ? null : lt(j, r.H) };
  };
  const finish = (at: At, b: Expr, j: Expr, inU: Expr | null, z: Expr, n: Expr): Stmt => {
    const { valid, pos } = timeOf(r, at, b);
    const hp0 = r.ctx.fresh('hp', F32), zv = r.ctx.fresh('z', F32), nv = r.ctx.fresh('n', F32);
    return letIn(hp0, masked(inU, hsrc(at)(b, j)), letIn(zv, z, letIn(nv, n,
      emitH(r, at, b, j, inU, valid, pos, add(mul(sub(one, zv), nv), mul(zv, hp0)), hp0))));
  };
  if (lbr) {
    return taskLoop(r, part, s, hp, hn, (at) => batchTiles(r, at, (b0, TB) =>
      tile(r, at, b0, TB, [0, 1, 2], hsrc(at), (b, acc, lane) => {
        const { j, inU } = lanes(at, lane);
        const row = xRow(r, b, timeOf(r, at, b).pos);
        const z = act(r, at, 0, add(acc(0), xGate(r, at, row, 0, j, inU, true)));
        const rg = act(r, at, 0, add(acc(1), xGate(r, at, row, 1, j, inU, true)));
        const n = act(r, at, 1,
          add(xGate(r, at, row, 2, j, inU, false), mul(rg, add(acc(2), rbGate(r, at, 2, j, inU)))));
        return finish(at, b, j, inU, z, n);
      })));
  }
  // linear_before_reset = 0: pass 1 stores z (slot 2) and r⊙h_{t-1} (slot 3) of every unit;
  // pass 2 multiplies r⊙h_{t-1} by Rh.
  const pass1 = taskLoop(r, part, s, hp, hn, (at) => batchTiles(r, at, (b0, TB) =>
    tile(r, at, b0, TB, [0, 1], hsrc(at), (b, acc, lane) => {
      const { j, inU } = lanes(at, lane);
      const row = xRow(r, b, timeOf(r, at, b).pos);
      const z = act(r, at, 0, add(acc(0), xGate(r, at, row, 0, j, inU, true)));
      const rg = act(r, at, 0, add(acc(1), xGate(r, at, row, 1, j, inU, true)));
      return guard(inU, seq(
        store(r.ws, wsIdx(r, 2, at.d, b, j), z),
        store(r.ws, wsIdx(r, 3, at.d, b, j), mul(rg, masked(inU, hsrc(at)(b, j)))),
      ));
    })));
  const rh = (at: At) => (b: Expr, k: Expr): Expr => load(r.ws, wsIdx(r, 3, at.d, b, k));
  const pass2 = taskLoop(r, part, s, hp, hn, (at) => batchTiles(r, at, (b0, TB) =>
    tile(r, at, b0, TB, [2], rh(at), (b, acc, lane) => {
      const { j, inU } = lanes(at, lane);
      const row = xRow(r, b, timeOf(r, at, b).pos);
      const n = act(r, at, 1, add(acc(0), xGate(r, at, row, 2, j, inU, true)));
      return finish(at, b, j, inU, masked(inU, load(r.ws, wsIdx(r, 2, at.d, b, j))), n);
    })));
  return seq(pass1, pass2);
}

function lowerSeq(cell: Cell) {
  return (ctx: LowerCtx, a: SeqAttrs): Lowering => {
    const x = ctx.inputs[0]!;
    const layout = a.layout;
    const [S, B] = layout === 0 ? [x.shape[0], x.shape[1]] : [x.shape[1], x.shape[0]];
    const H = a.hidden, D = numDirs(a), UB = a.ub;
    const dir = a.direction;
    const buf = (i: number): Buffer | undefined => ctx.inputs[i]?.buffer;
    const r: Rec = {
      ctx, cell, attrs: a, H, D, G: GATES[cell], UB, NB: Math.ceil(H / UB), S, B, DBH: mul(mul(D, B), H),
      layout, xw: buf(1)!, rp: buf(2)!, ws: sinkBuffer(ctx.outputs[ctx.outputs.length - 1]),
      bias: buf(3), lens: buf(4), h0: buf(5), c0: cell === 'lstm' ? buf(6) : undefined,
      p: cell === 'lstm' ? buf(7) : undefined,
      rev: (d) => (dir === 'reverse' ? imm(1, 'bool') : dir === 'bidirectional' ? eq(d, 1) : imm(0, 'bool')),
    };
    // Tasks: (direction, range of RP batch rows); rows and directions are independent, so a
    // task runs every time step with no barrier (a per-step parallel_for costs more than a
    // step at these sizes).
    const P = knob(ctx.knobs, 'rnn.parts', Math.max(2, ctx.target.threads));
    const RP = max(1, floordiv(add(B, P - 1), P));
    const nParts = floordiv(add(B, sub(RP, 1)), RP);
    const task = ctx.fresh('task'), sv = ctx.fresh('step'), hp = ctx.fresh('hp'), hn = ctx.fresh('hn');
    const d = D === 1 ? imm(0) : floordiv(task, nParts), pi = D === 1 ? task : mod(task, nParts);
    const lo = mul(pi, RP);
    const part: Part = { d, lo, hi: min(B, add(lo, RP)) };
    const step = cell === 'gru' ? gruStep(r, part, sv, hp, hn)
      : taskLoop(r, part, sv, hp, hn, (at) => (cell === 'lstm' ? lstmStep(r, at) : rnnStep(r, at)));
    const time = loop(sv, S, letIn(hp, mod(sv, 2), letIn(hn, sub(1, mod(sv, 2)), step)));
    const nTasks = mul(D, nParts);
    const body = seq(initState(r, part), time, finalState(r, part));
    return { kind: 'kernel',
      body: seq(checkLens(r), loop(task, nTasks, body, constOf(nTasks) === 1 ? 'serial' : 'parallel')) };
  };
}

const seqOp = (cell: Cell): OpDef => declareOp({
  name: `${cell}_seq`, traits: ['opaque'], attrs: SEQ_ATTRS, check: checkActs(cell), infer: inferSeq(cell),
  lower: lowerSeq(cell),
});

export const RNN_OPS: readonly OpDef[] = [seqOp('lstm'), seqOp('gru'), seqOp('rnn'), RNN_PACK];
