// Converters for ONNX Gemm, MatMul and Det. Requires: the kestrel gemm/matmul ops, whose
// declarations (ir/ops/matmul.ts) hold the attribute defaults, and det (ir/ops/det.ts).
// Guarantees: Gemm's optional C is null when absent; Det's LU workspace output is left unused.

import { row, type ConverterRow } from './types.js';

export const LINALG_ROWS: readonly ConverterRow[] = [
  row('Gemm', ['gemm'], (ctx) => ctx.resultFrom('gemm', [ctx.input(0), ctx.input(1), ctx.optInput(2)],
    { alpha: 'alpha', beta: 'beta', transA: 'transA', transB: 'transB' })),
  row('MatMul', ['matmul'], (ctx) => ctx.result('matmul', [ctx.input(0), ctx.input(1)], {})),
  row('Det', ['det'], (ctx) => [ctx.result('det', [ctx.input(0)], {})[0]!], 11),
];
