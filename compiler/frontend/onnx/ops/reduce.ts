// Converters for ONNX reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare and
// ArgMax/ArgMin. Requires: the kestrel reduce ops (ir/ops/reduce.ts). Guarantees: axes are
// normalised (non-negative, sorted, distinct: the declared schema does it) whether ONNX gives them
// as an attribute (old opsets) or as an input (ReduceSum from 13, the others from 18); axes that
// read at run time go to ./reduce-axes.ts.

import { isStatic } from '../../../../ir/dim.js';
import type { Attrs, Value } from '../../../../ir/graph.js';
import { valuesOf } from '../../../../ir/values.js';
import type { ConvertCtx } from '../context.js';
import { emptyAxes, reduceRunTimeAxes, runTimeAxes } from './reduce-axes.js';
import { row, type ConverterRow } from './types.js';

/** ONNX name, kestrel name, first opset taking axes as an input. */
const REDUCTIONS: readonly (readonly [string, string, number])[] = [
  ['ReduceSum', 'reduce_sum', 13], ['ReduceMean', 'reduce_mean', 18], ['ReduceMax', 'reduce_max', 18],
  ['ReduceMin', 'reduce_min', 18], ['ReduceProd', 'reduce_prod', 18], ['ReduceL1', 'reduce_l1', 18],
  ['ReduceL2', 'reduce_l2', 18], ['ReduceLogSum', 'reduce_log_sum', 18],
  ['ReduceLogSumExp', 'reduce_log_sum_exp', 18], ['ReduceSumSquare', 'reduce_sum_square', 18],
];

/** Known integer list of input i (constant or known contents); unsupported otherwise. */
export function knownInts(ctx: ConvertCtx, i: number, what: string): number[] | undefined {
  const v = ctx.optInput(i);
  if (!v) return undefined;
  const xs = valuesOf(v);
  if (!xs || !xs.every(isStatic) || (!v.data && !v.type.elems)) {
    return ctx.unsupported(`${ctx.node.opType} with non-constant ${what}`);
  }
  return xs as number[];
}

/** Axes from the `axes` input (from opset `axesInputSince`) or attribute; the schema normalises them. */
function reduce(op: string, axesInputSince: number) {
  return (ctx: ConvertCtx): Value[] => {
    const fromInput = ctx.opset >= axesInputSince;
    if (fromInput && runTimeAxes(ctx, 1)) return reduceRunTimeAxes(ctx, op);
    const set: Attrs = fromInput ? { axes: emptyAxes(ctx, 1) ? [] : knownInts(ctx, 1, 'axes') ?? [] } : {};
    return ctx.resultFrom(op, [ctx.input(0)],
      { axes: 'axes', keepdims: 'keepdims', noopWithEmptyAxes: 'noop_with_empty_axes' }, set);
  };
}

const arg = (op: string) => (ctx: ConvertCtx): Value[] => ctx.resultFrom(op, [ctx.input(0)],
  { axis: 'axis', keepdims: 'keepdims', selectLastIndex: 'select_last_index' });

export const REDUCE_ROWS: readonly ConverterRow[] = [
  ...REDUCTIONS.map(([onnx, op, since]) => row(onnx, [op], reduce(op, since))),
  row('ArgMax', ['arg_max'], arg('arg_max')),
  row('ArgMin', ['arg_min'], arg('arg_min')),
];
