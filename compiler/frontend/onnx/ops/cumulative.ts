// Converters for CumSum (opset 11) and CumProd (opset 26) -> cum_sum / cum_prod [x, axis]
// (ir/ops/cumulative.ts). Requires: the declared exclusive/reverse schema. Guarantees: the axis
// tensor is passed through as is (constant or read at run time).

import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

const cumulative = (op: string) => (ctx: ConvertCtx): Value[] =>
  ctx.resultFrom(op, [ctx.input(0), ctx.input(1)], { exclusive: 'exclusive', reverse: 'reverse' });

export const CUMULATIVE_ROWS: readonly ConverterRow[] = [
  row('CumSum', ['cum_sum'], cumulative('cum_sum'), 11),
  row('CumProd', ['cum_prod'], cumulative('cum_prod'), 26),
];
