// Converters for ONNX Gemm and MatMul. Requires: the kestrel gemm/matmul ops, whose declarations
// (ir/ops/matmul.ts) hold the attribute defaults. Guarantees: Gemm's optional C is null when absent.

import { row, type ConverterRow } from './types.js';

export const LINALG_ROWS: readonly ConverterRow[] = [
  row('Gemm', ['gemm'], (ctx) => ctx.resultFrom('gemm', [ctx.input(0), ctx.input(1), ctx.optInput(2)],
    { alpha: 'alpha', beta: 'beta', transA: 'transA', transB: 'transB' })),
  row('MatMul', ['matmul'], (ctx) => ctx.result('matmul', [ctx.input(0), ctx.input(1)], {})),
];
