// Converters for the sequence-model building blocks: RotaryEmbedding (-> rotary_embedding of
// ir/ops/rotary.ts) and SwiGLU (-> swish(a) * b, the ONNX function body: fuses into one
// elementwise kernel). Requires: those declared ops. Guarantees: attributes read by the declared
// schemas under their ONNX names (SwiGLU's alpha by swish's, default 1); position_ids is passed
// when given.

import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

function rotaryEmbedding(ctx: ConvertCtx): Value[] {
  return ctx.resultFrom('rotary_embedding', [ctx.input(0), ctx.input(1), ctx.input(2), ctx.optInput(3)],
    { interleaved: 'interleaved', rotaryDim: 'rotary_embedding_dim', numHeads: 'num_heads' });
}

function swiGlu(ctx: ConvertCtx): Value[] {
  const [gate] = ctx.emitFrom('swish', [ctx.input(0)], { alpha: 'alpha' });
  return ctx.result('mul', [gate, ctx.input(1)], {});
}

export const SEQUENCE_MODEL_ROWS: readonly ConverterRow[] = [
  row('RotaryEmbedding', ['rotary_embedding'], rotaryEmbedding, 23),
  row('SwiGLU', ['swish', 'mul'], swiGlu, 28),
];
