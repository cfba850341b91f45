// Converters for ONNX reductions: ReduceSum/Mean/Max/Min/Prod/L1/L2/LogSum/LogSumExp/SumSquare and
// ArgMax/ArgMin. Requires: the kestrel reduce ops (ir/ops/reduce.ts). Guarantees: axes are
// normalised (non-negative, sorted, distinct) whether ONNX gives them as an attribute (old opsets)
// or as an input (ReduceSum from 13, the others from 18); axes that are not known numbers at
// compile time are reported unsupported; attributes are complete (ONNX defaults filled in).

import { isStatic } from '../../../../ir/dim.js';
import type { Value } from '../../../../ir/graph.js';
import { valuesOf } from '../../../../ir/values.js';
import type { ConvertCtx } from '../context.js';
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

function normAxes(ctx: ConvertCtx, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => ctx.axis(a, rank, 'axes'));
  if (new Set(out).size !== out.length) ctx.attrs.fail('axes', `repeats an axis [${axes}]`);
  return out.sort((a, b) => a - b);
}

function reduce(op: string, axesInputSince: number) {
  return (ctx: ConvertCtx): Value[] => {
    const x = ctx.input(0);
    const given = ctx.opset >= axesInputSince ? knownInts(ctx, 1, 'axes') : ctx.attrs.ints('axes', []);
    return ctx.result(op, [x], {
      axes: normAxes(ctx, given ?? [], ctx.rank(x)), keepdims: ctx.attrs.int('keepdims', 1),
      noopWithEmptyAxes: ctx.attrs.int('noop_with_empty_axes', 0),
    });
  };
}

function arg(op: string) {
  return (ctx: ConvertCtx): Value[] => {
    const x = ctx.input(0);
    return ctx.result(op, [x], {
      axis: ctx.axis(ctx.attrs.int('axis', 0), ctx.rank(x)), keepdims: ctx.attrs.int('keepdims', 1),
      selectLastIndex: ctx.attrs.int('select_last_index', 0),
    });
  };
}

export const REDUCE_ROWS: readonly ConverterRow[] = [
  ...REDUCTIONS.map(([onnx, op, since]) => row(onnx, [op], reduce(op, since))),
  row('ArgMax', ['arg_max'], arg('arg_max')),
  row('ArgMin', ['arg_min'], arg('arg_min')),
];
