// Converter for ONNX BitCast (opset 26) -> kestrel `bitcast` (ir/ops/bitcast.ts). Requires: the
// `to` attribute names an element type kestrel has. Guarantees: an ONNX type kestrel lacks is
// reported unsupported, naming its code; a width mismatch fails in the op's infer (KC0402).

import { dtypeFromOnnx } from '../../../../ir/dtype.js';
import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

function bitcast(ctx: ConvertCtx): Value[] {
  const code = ctx.attrs.int('to');
  const to = dtypeFromOnnx(code);
  if (!to) ctx.unsupported(`BitCast to ONNX data type ${code}`);
  return ctx.result('bitcast', [ctx.input(0)], { to });
}

export const BITCAST_ROWS: readonly ConverterRow[] = [
  row('BitCast', ['bitcast'], bitcast, 26),
];
