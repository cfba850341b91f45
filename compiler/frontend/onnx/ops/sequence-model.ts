// Converters for the sequence-model building blocks: RotaryEmbedding (-> rotary_embedding of
// ir/ops/rotary.ts). Requires: that declared op. Guarantees: attributes read by the declared
// schema under their ONNX names; position_ids is passed when given.

import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

function rotaryEmbedding(ctx: ConvertCtx): Value[] {
  return ctx.resultFrom('rotary_embedding', [ctx.input(0), ctx.input(1), ctx.input(2), ctx.optInput(3)],
    { interleaved: 'interleaved', rotaryDim: 'rotary_embedding_dim', numHeads: 'num_heads' });
}

export const SEQUENCE_MODEL_ROWS: readonly ConverterRow[] = [
  row('RotaryEmbedding', ['rotary_embedding'], rotaryEmbedding, 23),
];
