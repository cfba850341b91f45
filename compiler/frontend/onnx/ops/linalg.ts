// Converters for ONNX Gemm and MatMul. Requires: the kestrel gemm/matmul ops. Guarantees: Gemm
// attributes are complete (alpha, beta, transA, transB) and its optional C is null when absent.

import { row, type ConverterRow } from './types.js';

export const LINALG_ROWS: readonly ConverterRow[] = [
  row('Gemm', ['gemm'], (ctx) => ctx.result('gemm', [ctx.input(0), ctx.input(1), ctx.optInput(2)], {
    alpha: ctx.attrs.float('alpha', 1), beta: ctx.attrs.float('beta', 1),
    transA: ctx.attrs.int('transA', 0), transB: ctx.attrs.int('transB', 0),
  })),
  row('MatMul', ['matmul'], (ctx) => ctx.result('matmul', [ctx.input(0), ctx.input(1)], {})),
];
