// Converters for ONNX LSTM, GRU and RNN (opset 7+; `layout` from opset 14). Each node becomes
//   flatten(X) -> gemm with Wᵀ: the input projection of every time step as one GEMM over
//                 seq*batch rows (W constant: transposed at compile time; else transB=1)
//   R packed into (D, NB, H, G, UB) panels (constant: at compile time; else an rnn_pack kernel)
//   <cell>_seq: the recurrence, all directions in one kernel (see ir/ops/rnn.ts)
// Requires: ir/ops/rnn.ts, gemm, flatten. Guarantees: activations are validated and resolved
// per direction with their alpha/beta (consumed in order by the activations that take them,
// ONNX/onnxruntime defaults otherwise); Y/Y_h/Y_c keep the ONNX output names.

import type { Value } from '../../../../ir/graph.js';
import { constFloat32, constFromFloat32 } from '../../../../ir/const.js';
import { ACTIVATIONS, ACTS, GATES, SEQ_ATTRS, type Cell } from '../../../../ir/ops/rnn.js';
import { packR } from '../../../../ir/ops/rnn-pack.js';
import type { AttributeMsg } from '../schema.js';
import type { ConvertCtx } from '../context.js';
import { row, type Converter, type ConverterRow } from './types.js';
import { Codes } from '../../../diagnostics.js';

/** Units per R panel: one AVX-512 f32 vector. */
const UB = 16;

const DEFAULT_ACTS: Readonly<Record<Cell, readonly string[]>> = {
  lstm: ['Sigmoid', 'Tanh', 'Tanh'], gru: ['Sigmoid', 'Tanh'], rnn: ['Tanh'],
};

/** [takes alpha, takes beta, default alpha, default beta] per activation. */
const PARAMS: Readonly<Record<string, readonly [boolean, boolean, number, number]>> = {
  Affine: [true, true, 1, 0], LeakyRelu: [true, false, 0.01, 0], ThresholdedRelu: [true, false, 1, 0],
  ScaledTanh: [true, true, 1, 1], HardSigmoid: [true, true, 0.2, 0.5], Elu: [true, false, 1, 0],
};

// NOTE: AttrReader has no accessor for STRINGS attributes; `activations` is read from its map.
function stringsAttr(ctx: ConvertCtx, name: string): string[] | undefined {
  const m = (ctx.attrs as unknown as { map: Map<string, AttributeMsg> }).map;
  const a = m.get(name);
  if (!a) return undefined;
  if (a.type !== undefined && a.type !== 0 && a.type !== 8) ctx.attrs.fail(name, 'must be a list of strings');
  return (a.strings ?? []).map((b) => new TextDecoder().decode(b));
}

/** Canonical activation names with their alpha/beta, D*ACTS[cell] of them. */
function activations(ctx: ConvertCtx, cell: Cell, D: number) {
  const given = stringsAttr(ctx, 'activations');
  const names = given ?? [...DEFAULT_ACTS[cell], ...(D === 2 ? DEFAULT_ACTS[cell] : [])];
  if (names.length !== ACTS[cell] * D) {
    ctx.attrs.fail('activations', `has ${names.length} entries, expected ${ACTS[cell] * D}`);
  }
  const alphas = ctx.attrs.floats('activation_alpha', []), betas = ctx.attrs.floats('activation_beta', []);
  let ai = 0, bi = 0;
  const acts: string[] = [], al: number[] = [], be: number[] = [];
  for (const n of names) {
    const canon = ACTIVATIONS.find((c) => c.toLowerCase() === n.toLowerCase());
    if (!canon) ctx.unsupported(`${ctx.node.opType} activation '${n}'`);
    const [ta, tb, da, db] = PARAMS[canon] ?? [false, false, 0, 0];
    acts.push(canon);
    al.push(ta && ai < alphas.length ? alphas[ai++] : da);
    be.push(tb && bi < betas.length ? betas[bi++] : db);
  }
  return { acts, act_alpha: al, act_beta: be };
}

/** Wᵀ of a constant W (D, G*H, I) as (I, D*G*H). */
function transposeW(w: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(rows * cols);
  for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[c * rows + r] = w[r * cols + c];
  return out;
}

function hiddenSize(ctx: ConvertCtx, r: Value): number {
  if (ctx.attrs.has('hidden_size')) {
    const h = ctx.attrs.int('hidden_size');
    if (h < 1) ctx.attrs.fail('hidden_size', `must be positive, got ${h}`);
    return h;
  }
  const h = r.type.shape[2];
  if (typeof h !== 'number') return ctx.unsupported(
    `${ctx.node.opType} without hidden_size and with a symbolic R`);
  return h;
}

/** X·Wᵀ for every row of X (flattened to (rows, I)). */
function projection(ctx: ConvertCtx, x: Value, N: number): Value {
  const x2 = ctx.emit('flatten', [x], { axis: 2 })[0];
  const wc = ctx.constInput(1);
  const gemm = { alpha: 1, beta: 1, transA: 0 };
  if (wc && wc.dtype === 'float32' && wc.shape.length === 3 && wc.shape[0] * wc.shape[1] === N) {
    const I = wc.shape[2];
    const wt = ctx.constant(constFromFloat32([I, N], transposeW(constFloat32(wc), N, I)),
      `${ctx.node.name}/Wt`);
    return ctx.emit('gemm', [x2, wt, null], { ...gemm, transB: 0 })[0];
  }
  const w2 = ctx.emit('flatten', [ctx.input(1)], { axis: 2 })[0];
  return ctx.emit('gemm', [x2, w2, null], { ...gemm, transB: 1 })[0];
}

function packedR(ctx: ConvertCtx, D: number, G: number, H: number): Value {
  const rc = ctx.constInput(2);
  if (rc && rc.dtype === 'float32' && rc.shape.join() === [D, G * H, H].join()) {
    const NB = Math.ceil(H / UB);
    return ctx.constant(constFromFloat32([D, NB, H, G, UB], packR(constFloat32(rc), D, G, H, UB)),
      `${ctx.node.name}/Rp`);
  }
  return ctx.emit('rnn_pack', [ctx.input(2)], { hidden: H, gates: G, ub: UB, dirs: D })[0];
}

function recurrence(cell: Cell): Converter {
  return (ctx) => {
    const x = ctx.input(0), r = ctx.input(2);
    if (ctx.rank(x) !== 3) ctx.fail(Codes.SHAPE_INFERENCE, `X must have rank 3, got ${ctx.rank(x)}`);
    // The direction decides the weight layouts, so it is read before anything is emitted.
    const direction = ctx.declared(SEQ_ATTRS.direction, 'direction');
    const D = direction === 'bidirectional' ? 2 : 1, G = GATES[cell], H = hiddenSize(ctx, r);
    if (cell === 'lstm'
      && ctx.attrs.has('output_sequence')) ctx.unsupported('LSTM output_sequence (opset 1)');
    const names = {
      direction: 'direction', clip: 'clip', ...(ctx.opset >= 14 ? { layout: 'layout' } : {}),
      ...(cell === 'lstm' ? { input_forget: 'input_forget' } : {}),
      ...(cell === 'gru' ? { lbr: 'linear_before_reset' } : {}),
    };
    const xw = projection(ctx, x, D * G * H);
    const rp = packedR(ctx, D, G, H);
    const opt = (i: number): Value | null => ctx.optInput(i);
    const ins = [x, xw, rp, opt(3), opt(4), opt(5), cell === 'lstm' ? opt(6) : null, cell === 'lstm'
      ? opt(7) : null];
    const nOut = cell === 'lstm' ? 3 : 2;
    const computed = { hidden: H, ub: UB, ...activations(ctx, cell, D) };
    return ctx.resultFrom(`${cell}_seq`, ins, names, computed).slice(0, nOut);
  };
}

const emits = (cell: Cell): string[] => ['flatten', 'gemm', 'rnn_pack', `${cell}_seq`];

export const RNN_ROWS: readonly ConverterRow[] = [
  row('LSTM', emits('lstm'), recurrence('lstm'), 7),
  row('GRU', emits('gru'), recurrence('gru'), 7),
  row('RNN', emits('rnn'), recurrence('rnn'), 7),
];
