// Converter for the ONNX Attention operator (opset 23), composed of kestrel ops as the standard's
// function body defines it: 3-D inputs split into heads ([B, S, h*d] -> [B, h, S, d]), past K/V
// concatenated in front of the new ones (the present outputs), scores Q·Kᵀ·scale (scale
// 1/sqrt(head size) unless given), the mask added (a bool mask as 0 / -inf), the causal mask
// (query i sees keys up to i + past length) after the softcap, softmax over the keys (rows whose
// bias is -inf everywhere give 0, not NaN), then ·V. Grouped-query attention (q heads a multiple of kv
// heads) groups the query heads per kv head by a reshape instead of repeating K and V. The
// optional fourth output is the scores after the stage qk_matmul_output_mode names (0: scaled
// Q·Kᵀ, 1: softcapped, 2: plus the bias, 3: the probabilities).
// Requires: the kestrel matmul, transpose, reshape, concat, softmax, where, trilu ops.
// Guarantees: what the opset 24/25 additions need (nonpad_kv_seqlen, a mask shorter than the
// keys, local windows) is reported unsupported rather than approximated.

import { isStatic, type Dim } from '../../../../ir/dim.js';
import type { Value } from '../../../../ir/graph.js';
import { Codes } from '../../../diagnostics.js';
import { type ConvertCtx, int64Data } from '../context.js';
import { row, type ConverterRow } from './types.js';

const KNOWN = new Set(['is_causal', 'kv_num_heads', 'q_num_heads', 'qk_matmul_output_mode', 'scale',
  'softcap', 'softmax_precision']);

interface Att { ctx: ConvertCtx; dt: Value['type']['dtype'] }

const op1 = (a: Att, op: string, ins: (Value | null)[], attrs = {}): Value => a.ctx.emit(op, ins, attrs)[0];
const i64 = (a: Att, xs: number[]): Value => a.ctx.constant(int64Data(xs));
const scalar = (a: Att, v: number): Value => a.ctx.scalar(a.dt, v);

/** [B, S, h*d] -> [B, h, S, d]; 4-D inputs pass through. */
function heads(a: Att, x: Value, attr: string): Value {
  if (x.type.shape.length === 4) return x;
  if (x.type.shape.length !== 3) a.ctx.fail(Codes.SHAPE_INFERENCE, `Attention inputs must be 3-D or 4-D`);
  if (!a.ctx.attrs.has(attr)) a.ctx.attrs.fail(attr, 'is required for 3-D inputs');
  const h = a.ctx.attrs.int(attr);
  return op1(a, 'transpose', [op1(a, 'reshape', [x, i64(a, [0, 0, h, -1])])], { perm: [0, 2, 1, 3] });
}

/** The dim at `axis` of v as an int64 scalar tensor (a shape slice: known contents, no kernel). */
function dimScalar(a: Att, v: Value, axis: number): Value {
  return op1(a, 'reshape', [op1(a, 'shape', [v], { start: axis, end: axis + 1 }), i64(a, [])]);
}

function attention(ctx: ConvertCtx): (Value | null)[] {
  for (const n of ctx.attrs.names()) if (!KNOWN.has(n)) ctx.unsupported(`Attention attribute ${n}`);
  if (ctx.optInput(6)) ctx.unsupported('Attention nonpad_kv_seqlen');
  // float16 and bfloat16 are computed in float32 (as the standard's body does for the softmax)
  // and cast back.
  const q0 = ctx.input(0), io = q0.type.dtype;
  const a: Att = { ctx, dt: io === 'float16' || io === 'bfloat16' ? 'float32' : io };
  const up = (v: Value): Value => (v.type.dtype === a.dt ? v : op1(a, 'cast', [v], { to: a.dt }));
  const down = (v: Value): Value => (io === a.dt ? v : op1(a, 'cast', [v], { to: io }));
  const Q = heads(a, q0, 'q_num_heads'), K = heads(a, ctx.input(1), 'kv_num_heads');
  const V = heads(a, ctx.input(2), 'kv_num_heads');
  const pastK = ctx.optInput(4), pastV = ctx.optInput(5);
  const presentK = pastK ? op1(a, 'concat', [pastK, K], { axis: 2 }) : K;
  const presentV = pastV ? op1(a, 'concat', [pastV, V], { axis: 2 }) : V;
  const [qh, kvh, d] = [Q.type.shape[1], K.type.shape[1], Q.type.shape[3]];
  if (!isStatic(qh) || !isStatic(kvh) || qh % kvh !== 0) {
    ctx.unsupported('Attention with head counts that are not static multiples');
  }
  const group = (qh as number) / (kvh as number);

  // Scores [B, qh, L, S], scaled.
  const kT = op1(a, 'transpose', [up(presentK)], { perm: [0, 1, 3, 2] });
  const qg = group > 1 ? op1(a, 'reshape', [up(Q), i64(a, [0, kvh as number, -1, 0])]) : up(Q);
  let qk = op1(a, 'matmul', [qg, kT]);
  if (group > 1) qk = op1(a, 'reshape', [qk, i64(a, [0, qh as number, -1, 0])]);
  const scale = ctx.attrs.has('scale') ? scalar(a, ctx.attrs.float('scale'))
    : isStatic(d) ? scalar(a, 1 / Math.sqrt(d))
      : op1(a, 'reciprocal', [op1(a, 'sqrt', [op1(a, 'cast', [dimScalar(a, Q, 3)], { to: a.dt })])]);
  qk = op1(a, 'mul', [qk, scale]);
  const stages: Value[] = [qk];

  // Bias: the mask (bool -> 0 / -inf) plus the causal mask.
  let bias: Value | null = null;
  const mask = ctx.optInput(3);
  if (mask) {
    const mS: Dim = mask.type.shape[mask.type.shape.length - 1], S = presentK.type.shape[2];
    if (isStatic(mS) && isStatic(S) && mS !== S && mS !== 1) {
      ctx.unsupported('Attention mask shorter than the keys');
    }
    bias = mask.type.dtype === 'bool' ? op1(a, 'where', [mask, scalar(a, 0), scalar(a, -Infinity)])
      : mask.type.dtype === a.dt ? mask : op1(a, 'cast', [mask], { to: a.dt });
  }
  if (ctx.attrs.has('is_causal') && ctx.attrs.int('is_causal') !== 0) {
    const shape = op1(a, 'concat', [op1(a, 'shape', [Q], { start: 2, end: 3 }),
      op1(a, 'shape', [presentK], { start: 2, end: 3 })], { axis: 0 });
    const ones = op1(a, 'constant_of_shape', [shape],
      { value: { dtype: 'float32', shape: [1], bytes: new Uint8Array(new Float32Array([1]).buffer) } });
    const tri = op1(a, 'trilu', [ones, pastK ? dimScalar(a, pastK, 2) : null], { upper: 0 });
    const causal = op1(a, 'where', [op1(a, 'equal', [tri, ctx.scalar('float32', 0)]), scalar(a, -Infinity),
      scalar(a, 0)]);
    bias = bias ? op1(a, 'add', [bias, causal]) : causal;
  }
  // Softcap before the bias, so masked scores stay -inf.
  if (ctx.attrs.has('softcap') && ctx.attrs.float('softcap') > 0) {
    const c = ctx.attrs.float('softcap');
    qk = op1(a, 'mul', [op1(a, 'tanh', [op1(a, 'div', [qk, scalar(a, c)])]), scalar(a, c)]);
  }
  stages.push(qk);
  if (bias) qk = op1(a, 'add', [qk, bias]);
  stages.push(qk);
  let probs = op1(a, 'softmax', [qk], { axis: 3 });
  if (bias) {
    const rowMax = op1(a, 'reduce_max', [bias], { axes: [bias.type.shape.length - 1], keepdims: 1 });
    probs = op1(a, 'where', [op1(a, 'equal', [rowMax, scalar(a, -Infinity)]), scalar(a, 0), probs]);
  }
  stages.push(probs);

  // Y [B, qh, L, dv] (3-D inputs: back to [B, L, qh*dv]).
  const pg = group > 1 ? op1(a, 'reshape', [probs, i64(a, [0, kvh as number, -1, 0])]) : probs;
  let y = op1(a, 'matmul', [pg, up(presentV)]);
  if (group > 1) y = op1(a, 'reshape', [y, i64(a, [0, qh as number, -1, 0])]);
  if (q0.type.shape.length === 3) {
    y = op1(a, 'reshape', [op1(a, 'transpose', [y], { perm: [0, 2, 1, 3] }), i64(a, [0, 0, -1])]);
  }
  const mode = ctx.attrs.has('qk_matmul_output_mode') ? ctx.attrs.int('qk_matmul_output_mode') : 0;
  if (mode < 0 || mode > 3) ctx.attrs.fail('qk_matmul_output_mode', `must be 0 to 3, got ${mode}`);
  const outs = [down(y), presentK, presentV, down(stages[mode])];
  return ctx.outputNames.map((n, i) => (n ? outs[i] : null));
}

export const ATTENTION_ROWS: readonly ConverterRow[] = [
  row('Attention', ['transpose', 'reshape', 'concat', 'matmul', 'mul', 'add', 'where', 'equal', 'shape',
    'constant_of_shape', 'trilu', 'tanh', 'div', 'softmax', 'reduce_max', 'cast', 'sqrt', 'reciprocal'],
    attention, 23),
];
