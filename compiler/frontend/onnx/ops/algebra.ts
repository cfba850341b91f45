// Converters for tensor algebra: Einsum (-> einsum of ir/ops/einsum.ts, which parses and checks
// the equation). Requires: that declared op. Guarantees: every operand is passed in order; the
// equation is read by the declared schema (a missing one fails with KC0401).

import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

function einsum(ctx: ConvertCtx): Value[] {
  const ins = ctx.inputs.map((_, i) => ctx.input(i));
  return ctx.resultFrom('einsum', ins, { equation: 'equation' });
}

export const ALGEBRA_ROWS: readonly ConverterRow[] = [
  row('Einsum', ['einsum'], einsum, 12),
];
