// Converter for the ONNX Attention operator (opsets 23 to 25), composed of kestrel ops as the
// standard's function body defines it: 3-D inputs split into heads ([B, S, h*d] -> [B, h, S, d]),
// past K/V concatenated in front of the new ones (the present outputs), scores Q·Kᵀ·scale (scale
// 1/sqrt(head size) unless given), then the bias: the mask (a bool mask as 0 / -inf; from opset
// 24 a mask shorter than the keys padded with -inf) plus the positions a query may not see
// (is_causal: keys past its position; left_window_size / right_window_size: keys farther than the
// window; nonpad_kv_seqlen: keys past the batch's valid length), the query position being its row
// plus the past length, or plus nonpad_kv_seqlen - q length for an external cache. The bias is
// added after the softcap, softmax runs over the keys (rows whose bias is -inf everywhere give 0,
// not NaN), then ·V. Grouped-query attention (q heads a multiple of kv heads) groups the query
// heads per kv head by a reshape instead of repeating K and V (head counts known only at run
// time: the reshape targets come from the shapes). The optional fourth output is the scores after
// the stage qk_matmul_output_mode names (0: scaled Q·Kᵀ, 1: softcapped, 2: plus the bias, 3: the
// probabilities).
// Requires: the kestrel matmul, transpose, reshape, concat, pad, range, softmax, where ops.
// Guarantees: the bias is built from index comparisons over the shapes, so one graph serves every
// sequence length; nonpad_kv_seqlen with past_key, a mask longer than the keys and query heads
// that are not a multiple of the kv heads fail with the node named.

import { dimEq, isStatic, type Dim } from '../../../../ir/dim.js';
import type { Value } from '../../../../ir/graph.js';
import { Codes } from '../../../diagnostics.js';
import { type ConvertCtx, int64Data } from '../context.js';
import { row, type ConverterRow } from './types.js';

const KNOWN = new Set(['is_causal', 'kv_num_heads', 'q_num_heads', 'qk_matmul_output_mode', 'scale',
  'softcap', 'softmax_precision', 'left_window_size', 'right_window_size']);

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

/**
 * The attention mask as an additive bias (bool: true -> 0, false -> -inf). From opset 24 a mask
 * whose last dim is shorter than the keys is padded with -inf up to the key count (at opset 23 a
 * last dim of 1 broadcasts instead).
 */
function maskBias(a: Att, mask: Value, presentK: Value): Value {
  let m = mask.type.dtype === 'bool' ? op1(a, 'where', [mask, scalar(a, 0), scalar(a, -Infinity)])
    : mask.type.dtype === a.dt ? mask : op1(a, 'cast', [mask], { to: a.dt });
  const r = m.type.shape.length, mS = m.type.shape[r - 1], S = presentK.type.shape[2];
  if (dimEq(mS, S) || (a.ctx.opset < 24 && mS === 1)) return m;
  if (isStatic(mS) && isStatic(S) && mS > S) {
    a.ctx.fail(Codes.SHAPE_INFERENCE, `Attention mask has ${mS} keys, more than the ${S} keys`);
  }
  const more = op1(a, 'sub', [op1(a, 'shape', [presentK], { start: 2, end: 3 }),
    op1(a, 'shape', [m], { start: r - 1, end: r })]);
  m = op1(a, 'pad', [m, scalar(a, -Infinity), op1(a, 'concat', [i64(a, [0]), more], { axis: 0 })],
    { mode: 'constant', axes: [r - 1] });
  return m;
}

/**
 * The bias of the key positions a query may not see (0 where it may, -inf where not), or null
 * when every position counts. A query at row i sits at position p = i + offset, offset being the
 * past length (past_key), nonpad_kv_seqlen[b] - q length per batch (an external cache), or 0.
 * is_causal keeps keys j <= p; left_window_size w (w >= 0) keeps p - j <= w, right_window_size
 * keeps j - p <= w; nonpad_kv_seqlen keeps j < nonpad_kv_seqlen[b].
 */
function positionBias(a: Att, Q: Value, presentK: Value, pastK: Value | null): Value | null {
  const { ctx } = a;
  const int = (n: string, d: number): number => (ctx.attrs.has(n) ? ctx.attrs.int(n) : d);
  const causal = int('is_causal', 0) !== 0, left = int('left_window_size', -1);
  const right = int('right_window_size', -1);
  for (const [n, w] of [['left_window_size', left], ['right_window_size', right]] as const) {
    if (w < -1) ctx.attrs.fail(n, `must be -1 or nonnegative, got ${w}`);
  }
  const nonpad0 = ctx.optInput(6);
  if (!causal && left < 0 && right < 0 && !nonpad0) return null;
  if (nonpad0 && pastK) ctx.fail(Codes.SHAPE_INFERENCE, 'Attention nonpad_kv_seqlen cannot be combined '
    + 'with past_key / past_value');
  const i64s = (v: number): Value => ctx.scalar('int64', v);
  const qLen = dimScalar(a, Q, 2);
  const qi = op1(a, 'reshape', [op1(a, 'range', [i64s(0), qLen, i64s(1)]), i64(a, [-1, 1])]);
  const kj = op1(a, 'range', [i64s(0), dimScalar(a, presentK, 2), i64s(1)]);
  const nonpad = nonpad0 ? op1(a, 'reshape', [nonpad0.type.dtype === 'int64' ? nonpad0
    : op1(a, 'cast', [nonpad0], { to: 'int64' }), i64(a, [-1, 1, 1, 1])]) : null;
  const offset = nonpad ? op1(a, 'sub', [nonpad, qLen]) : pastK ? dimScalar(a, pastK, 2) : null;
  const pos = offset ? op1(a, 'add', [qi, offset]) : qi;
  const keep: Value[] = [];
  if (causal) keep.push(op1(a, 'less_or_equal', [kj, pos]));
  if (left >= 0) keep.push(op1(a, 'less_or_equal', [op1(a, 'sub', [pos, kj]), i64s(left)]));
  if (right >= 0) keep.push(op1(a, 'less_or_equal', [op1(a, 'sub', [kj, pos]), i64s(right)]));
  if (nonpad) keep.push(op1(a, 'less', [kj, nonpad]));
  const ok = keep.reduce((x, y) => op1(a, 'and', [x, y]));
  return op1(a, 'where', [ok, scalar(a, 0), scalar(a, -Infinity)]);
}

/** The mask bias plus the position bias, or null when neither applies. */
function attentionBias(a: Att, Q: Value, presentK: Value, pastK: Value | null): Value | null {
  const mask = a.ctx.optInput(3);
  const m = mask ? maskBias(a, mask, presentK) : null, p = positionBias(a, Q, presentK, pastK);
  return m && p ? op1(a, 'add', [m, p]) : m ?? p;
}

function attention(ctx: ConvertCtx): (Value | null)[] {
  for (const n of ctx.attrs.names()) if (!KNOWN.has(n)) ctx.unsupported(`Attention attribute ${n}`);
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
  if (isStatic(qh) && isStatic(kvh) && qh % kvh !== 0) {
    ctx.fail(Codes.SHAPE_INFERENCE, `Attention query heads (${qh}) must be a multiple of kv heads (${kvh})`);
  }
  // Query heads grouped per kv head: [B, qh, L, x] <-> [B, kvh, (qh/kvh)*L, x]. Head counts known
  // only at run time take the reshape targets from the shapes (a group of 1 reshapes in place).
  const grouped = !dimEq(qh, kvh);
  const heads4 = (h: Dim, src: Value): Value => (isStatic(h) ? i64(a, [0, h, -1, 0]) : op1(a, 'concat',
    [i64(a, [0]), op1(a, 'shape', [src], { start: 1, end: 2 }), i64(a, [-1, 0])], { axis: 0 }));
  const toKv = (v: Value): Value => (grouped ? op1(a, 'reshape', [v, heads4(kvh, K)]) : v);
  const toQ = (v: Value): Value => (grouped ? op1(a, 'reshape', [v, heads4(qh, Q)]) : v);

  // Scores [B, qh, L, S], scaled.
  const kT = op1(a, 'transpose', [up(presentK)], { perm: [0, 1, 3, 2] });
  let qk = toQ(op1(a, 'matmul', [toKv(up(Q)), kT]));
  const scale = ctx.attrs.has('scale') ? scalar(a, ctx.attrs.float('scale'))
    : isStatic(d) ? scalar(a, 1 / Math.sqrt(d))
      : op1(a, 'reciprocal', [op1(a, 'sqrt', [op1(a, 'cast', [dimScalar(a, Q, 3)], { to: a.dt })])]);
  qk = op1(a, 'mul', [qk, scale]);
  const stages: Value[] = [qk];

  const bias = attentionBias(a, Q, presentK, pastK);
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
  let y = toQ(op1(a, 'matmul', [toKv(probs), up(presentV)]));
  if (q0.type.shape.length === 3) {
    y = op1(a, 'reshape', [op1(a, 'transpose', [y], { perm: [0, 2, 1, 3] }), i64(a, [0, 0, -1])]);
  }
  const mode = ctx.attrs.has('qk_matmul_output_mode') ? ctx.attrs.int('qk_matmul_output_mode') : 0;
  if (mode < 0 || mode > 3) ctx.attrs.fail('qk_matmul_output_mode', `must be 0 to 3, got ${mode}`);
  const outs = [down(y), presentK, presentV, down(stages[mode])];
  return ctx.outputNames.map((n, i) => (n ? outs[i] : null));
}

export const ATTENTION_ROWS: readonly ConverterRow[] = [
  row('Attention', ['transpose', 'reshape', 'concat', 'matmul', 'mul', 'add', 'sub', 'where', 'equal',
    'shape', 'range', 'less', 'less_or_equal', 'and', 'pad', 'tanh', 'div', 'softmax', 'reduce_max', 'cast',
    'sqrt', 'reciprocal'],
    attention, 23),
];
