// Converters for the sequence-model building blocks: RotaryEmbedding (-> rotary_embedding of
// ir/ops/rotary.ts), SwiGLU (-> swish(a) * b, the ONNX function body: fuses into one
// elementwise kernel) and CausalConvWithState (opset 27, the function body: the input with
// past_state or k-1 zeros in front, a depthwise conv without padding, an optional SiLU computed in
// float32, the last k-1 positions of the padded input as present_state). Requires: those declared
// ops; LinearAttention (opset 27) -> linear_attention (ir/ops/linear-attention.ts) with the
// heads unpacked ([B, T, H*D] -> [B, H, T, D]) and everything in float32, the output packed back
// and cast to the query's type, the state to past_state's (else the query's).
// Guarantees: attributes read by the declared schemas under their ONNX names (SwiGLU's alpha
// by swish's, default 1); position_ids is passed when given; a kernel size or channel count that
// is not static is reported unsupported (conv needs both).

import { isStatic } from '../../../../ir/dim.js';
import type { Value } from '../../../../ir/graph.js';
import { Codes } from '../../../diagnostics.js';
import { type ConvertCtx, int64Data } from '../context.js';
import { row, type ConverterRow } from './types.js';

function rotaryEmbedding(ctx: ConvertCtx): Value[] {
  return ctx.resultFrom('rotary_embedding', [ctx.input(0), ctx.input(1), ctx.input(2), ctx.optInput(3)],
    { interleaved: 'interleaved', rotaryDim: 'rotary_embedding_dim', numHeads: 'num_heads' });
}

function swiGlu(ctx: ConvertCtx): Value[] {
  const [gate] = ctx.emitFrom('swish', [ctx.input(0)], { alpha: 'alpha' });
  return ctx.result('mul', [gate, ctx.input(1)], {});
}

function causalConvWithState(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), w = ctx.input(1), bias = ctx.optInput(2), past = ctx.optInput(3);
  const act = ctx.attrs.has('activation') ? ctx.attrs.string('activation') : 'none';
  if (act !== 'none' && act !== 'silu' && act !== 'swish') {
    ctx.attrs.fail('activation', `must be 'none', 'silu' or 'swish', got '${act}'`);
  }
  if (x.type.shape.length !== 3 || w.type.shape.length !== 3) {
    ctx.fail(Codes.SHAPE_INFERENCE, 'CausalConvWithState input and weight must be rank 3');
  }
  const k = w.type.shape[2], c = isStatic(x.type.shape[1]) ? x.type.shape[1] : w.type.shape[0];
  if (!isStatic(k) || !isStatic(c)) {
    ctx.unsupported('CausalConvWithState with a kernel size or channel count that is not static');
  }
  if (k < 1) ctx.fail(Codes.SHAPE_INFERENCE, `CausalConvWithState kernel size must be >= 1, got ${k}`);
  const one = (op: string, ins: (Value | null)[], attrs = {}): Value => ctx.emit(op, ins, attrs)[0];
  const padded = past ? one('concat', [past, x], { axis: 2 })
    : k === 1 ? x : one('pad', [x], { mode: 'constant', pads: [0, 0, k - 1, 0, 0, 0] });
  const y = one('conv', [padded, w, bias], { kernel: [k], group: c });
  const out = act === 'none' ? y : x.type.dtype === 'float32'
    ? one('mul', [y, one('sigmoid', [y])])
    : (() => {
      const f = one('cast', [y], { to: 'float32' });
      return one('cast', [one('mul', [f, one('sigmoid', [f])])], { to: x.type.dtype });
    })();
  const len = one('shape', [padded], { start: 2, end: 3 });
  const start = one('sub', [len, ctx.constant(int64Data([k - 1]))]);
  const state = one('slice', [padded, start, len], { axes: [2], steps: [1] });
  return [out, state];
}

const RULES = ['linear', 'gated', 'delta', 'gated_delta'];

function linearAttention(ctx: ConvertCtx): Value[] {
  const rule = ctx.attrs.has('update_rule') ? ctx.attrs.string('update_rule') : 'gated_delta';
  if (!RULES.includes(rule)) {
    ctx.attrs.fail('update_rule', `must be one of ${RULES.join(', ')}, got '${rule}'`);
  }
  for (const n of ['q_num_heads', 'kv_num_heads']) if (!ctx.attrs.has(n)) ctx.attrs.fail(n, 'is required');
  const hq = ctx.attrs.int('q_num_heads'), hkv = ctx.attrs.int('kv_num_heads');
  if (hq <= 0 || hkv <= 0 || hq % hkv !== 0) {
    ctx.attrs.fail('q_num_heads', `must be a positive multiple of kv_num_heads (${hkv}), got ${hq}`);
  }
  const [query, key, value] = [0, 1, 2].map((i) => ctx.input(i));
  const past = ctx.optInput(3), decay = ctx.optInput(4), beta = ctx.optInput(5);
  const gated = rule === 'gated' || rule === 'gated_delta';
  const delta = rule === 'delta' || rule === 'gated_delta';
  for (const [v, want, n] of [[decay, gated, 'decay'], [beta, delta, 'beta']] as const) {
    if (!v !== !want) {
      ctx.fail(Codes.SHAPE_INFERENCE,
        `LinearAttention update_rule '${rule}' ${want ? 'requires' : 'forbids'} ${n}`);
    }
  }
  for (const v of [query, key, value, decay, beta]) {
    if (v && v.type.shape.length !== 3) {
      ctx.fail(Codes.SHAPE_INFERENCE, 'LinearAttention query, key, value, decay and beta must be rank 3');
    }
  }
  const one = (op: string, ins: (Value | null)[], attrs = {}): Value => ctx.emit(op, ins, attrs)[0];
  const f32 = (v: Value): Value => (v.type.dtype === 'float32' ? v : one('cast', [v], { to: 'float32' }));
  const i64 = (xs: number[]): Value => ctx.constant(int64Data(xs));
  /** [B, T, h*x] -> [B, h, T, x] in float32. */
  const unpack = (v: Value, h: number): Value =>
    one('transpose', [one('reshape', [f32(v), i64([0, 0, h, -1])])], { perm: [0, 2, 1, 3] });
  const [qw, dw, bw] = [query.type.shape[2], decay?.type.shape[2], beta?.type.shape[2]];
  if (isStatic(qw) && qw % hq !== 0) {
    ctx.fail(Codes.SHAPE_INFERENCE,
      `LinearAttention query width ${qw} is not a multiple of q_num_heads ${hq}`);
  }
  const dk = isStatic(qw) ? qw / hq : undefined;
  if (dw !== undefined && isStatic(dw) && dk !== undefined && dw !== hkv && dw !== hkv * dk) {
    ctx.fail(Codes.SHAPE_INFERENCE, 'LinearAttention decay width must be kv_num_heads or kv_num_heads*d_k');
  }
  if (bw !== undefined && isStatic(bw) && bw !== hkv && bw !== 1) {
    ctx.fail(Codes.SHAPE_INFERENCE, 'LinearAttention beta width must be kv_num_heads or 1');
  }
  // scale 0 (the default) means 1/sqrt(d_k); a d_k known only at run time gives a scale input.
  const given = ctx.attrs.has('scale') ? ctx.attrs.float('scale') : 0;
  const scaleIn = given !== 0 || dk !== undefined ? null : one('reciprocal', [one('sqrt', [one('div',
    [one('cast', [one('shape', [query], { start: 2, end: 3 })], { to: 'float32' }),
      ctx.scalar('float32', hq)])])]);
  const scale = given !== 0 ? given : dk !== undefined ? 1 / Math.sqrt(dk) : 1;
  const gate = decay ? unpack(decay, hkv) : null;
  // beta [B, T, Hkv | 1] -> [B, Hkv | 1, T, 1].
  const rate = beta
    ? one('transpose', [one('reshape', [f32(beta), i64([0, 0, -1, 1])])], { perm: [0, 2, 1, 3] }) : null;
  const [y, st] = ctx.emit('linear_attention', [unpack(query, hq), unpack(key, hkv), unpack(value, hkv),
    past ? f32(past) : null, gate, rate, scaleIn && one('reshape', [scaleIn, i64([])])], { scale });
  const io = query.type.dtype, sdt = past ? past.type.dtype : io;
  const packed = one('reshape', [one('transpose', [y], { perm: [0, 2, 1, 3] }), i64([0, 0, -1])]);
  return [io === 'float32' ? packed : one('cast', [packed], { to: io }),
    sdt === 'float32' ? st : one('cast', [st], { to: sdt })];
}

export const SEQUENCE_MODEL_ROWS: readonly ConverterRow[] = [
  row('RotaryEmbedding', ['rotary_embedding'], rotaryEmbedding, 23),
  row('SwiGLU', ['swish', 'mul'], swiGlu, 28),
  row('CausalConvWithState', ['concat', 'pad', 'conv', 'mul', 'sigmoid', 'cast', 'shape', 'sub', 'slice'],
    causalConvWithState, 27),
  row('LinearAttention', ['linear_attention', 'cast', 'reshape', 'transpose', 'shape', 'div', 'sqrt',
    'reciprocal'], linearAttention, 27),
];
