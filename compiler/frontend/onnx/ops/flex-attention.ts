// Converter for ai.onnx.preview FlexAttention (domain opset 1), composed of kestrel ops as the
// standard defines it: Q and K each scaled by sqrt(scale) (scale 1/sqrt(head size) unless given)
// in the input type, scores = Q·Kᵀ cast to the softmax type (softmax_precision, else float64 for
// float64 inputs and float32 otherwise), the score_mod body applied to the scores, softmax over
// the keys, the prob_mod body applied to the probabilities, ·V (V cast to the softmax type) and
// the result cast to V's type. Grouped-query heads (q heads a multiple of kv heads; query head h
// reads kv head h / group) group the query heads per kv head by a reshape, as Attention does.
// Requires: the kestrel matmul, transpose, reshape, mul, softmax, cast ops; the modifier bodies'
// ops (they are inlined, their one input bound to the scores / probabilities).
// Guarantees: rank-4 inputs; static head counts that are not multiples fail with the node named;
// modifier bodies with control flow inside are reported unsupported; anything else about a body
// (its input count, its ops) is checked as any graph is.

import { dimEq, isStatic, type Dim } from '../../../../ir/dim.js';
import type { DType } from '../../../../ir/dtype.js';
import type { Value } from '../../../../ir/graph.js';
import { Codes } from '../../../diagnostics.js';
import { type ConvertCtx, int64Data, isBody } from '../context.js';
import { dtypeOf } from '../tensor.js';
import { row, type ConverterRow } from './types.js';

function flexAttention(ctx: ConvertCtx): Value[] {
  const [Q, K, V] = [0, 1, 2].map((i) => ctx.input(i));
  if ([Q, K, V].some((v) => v.type.shape.length !== 4)) {
    ctx.fail(Codes.SHAPE_INFERENCE, 'FlexAttention inputs must be rank 4');
  }
  const one = (op: string, ins: (Value | null)[], attrs = {}): Value => ctx.emit(op, ins, attrs)[0];
  const io = Q.type.dtype;
  const sm: DType = ctx.attrs.has('softmax_precision')
    ? dtypeOf(ctx.attrs.int('softmax_precision'), 'softmax_precision')
    : io === 'float64' ? 'float64' : 'float32';
  const to = (v: Value, dt: DType): Value => (v.type.dtype === dt ? v : one('cast', [v], { to: dt }));
  const [qh, kvh, E] = [Q.type.shape[1], K.type.shape[1], Q.type.shape[3]];
  if (isStatic(qh) && isStatic(kvh) && qh % kvh !== 0) {
    ctx.fail(Codes.SHAPE_INFERENCE,
      `FlexAttention query heads (${qh}) must be a multiple of kv heads (${kvh})`);
  }
  // sqrt(scale) in float32, then in the input type; a head size known only at run time computes it.
  const given = ctx.attrs.has('scale') ? ctx.attrs.float('scale') : undefined;
  const s = given !== undefined || isStatic(E)
    ? ctx.scalar(io, Math.sqrt(Math.fround(given ?? 1 / Math.sqrt(E as number))))
    : to(one('sqrt', [one('reciprocal', [one('sqrt', [one('cast', [one('reshape', [one('shape', [Q],
      { start: 3, end: 4 }), ctx.constant(int64Data([]))])], { to: 'float32' })])])]), io);
  // [B, qh, L, x] <-> [B, kvh, (qh/kvh)*L, x]; head counts known only at run time from the shapes.
  const grouped = !dimEq(qh, kvh);
  const heads = (v: Value, h: Dim, src: Value): Value => (!grouped ? v : one('reshape', [v, isStatic(h)
    ? ctx.constant(int64Data([0, h, -1, 0]))
    : one('concat', [ctx.constant(int64Data([0])), one('shape', [src], { start: 1, end: 2 }),
      ctx.constant(int64Data([-1, 0]))], { axis: 0 })]));
  const kT = one('transpose', [one('mul', [K, s])], { perm: [0, 1, 3, 2] });
  let scores = to(heads(one('matmul', [heads(one('mul', [Q, s]), kvh, K), kT]), qh, Q), sm);
  scores = modify(ctx, 'score_mod', scores);
  const probs = modify(ctx, 'prob_mod', one('softmax', [scores], { axis: 3 }));
  const y = heads(one('matmul', [heads(probs, kvh, K), to(V, sm)]), qh, Q);
  return [to(y, V.type.dtype)];
}

/** The modifier body `attr` applied to x (x itself when the attribute is absent). */
function modify(ctx: ConvertCtx, attr: string, x: Value): Value {
  if (!ctx.attrs.has(attr)) return x;
  const f = ctx.subgraph(attr, [x.type]);
  if (f.outputs.length !== 1) ctx.attrs.fail(attr, `must have one output, has ${f.outputs.length}`);
  if (f.nodes.some((n) => Object.values(n.attrs).some(isBody))) {
    ctx.unsupported(`FlexAttention ${attr} with control flow inside`);
  }
  const [out] = ctx.inline(f, [x]);
  if (out.type.dtype !== x.type.dtype || out.type.shape.length !== 4) {
    ctx.attrs.fail(attr, `must give a rank-4 ${x.type.dtype} tensor, gives ${out.type.dtype}`);
  }
  return out;
}

export const FLEX_ATTENTION_ROWS: readonly ConverterRow[] = [
  row('FlexAttention', ['transpose', 'reshape', 'matmul', 'mul', 'softmax', 'cast', 'concat', 'shape', 'sqrt',
    'reciprocal'], flexAttention, 1),
];
