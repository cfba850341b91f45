// Converters for ONNX ops whose output shapes depend on data: NonZero, Compress, TopK and Unique.
// Requires: the kestrel select ops (ir/ops/select.ts, which documents the mechanism). Each op is
// decomposed into a counting node (its kernel writes the output size into an int64 scalar that
// the VM reads before allocating) and the op proper, which takes the count as an extra input.
// Guarantees: attributes read through the declared schemas (an absent axis of Compress/Unique
// means "flattened"); TopK's k
// comes from the attribute (opset 1-9) or input 1, passed through `to_scalar_int` when its
// length is not known at compile time (--dynamic); the extra scratch outputs of top_k and unique
// are never exposed as ONNX outputs.

import type { Value } from '../../../../ir/graph.js';
import { valuesOf } from '../../../../ir/values.js';
import { int64Data, type ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

function nonzero(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  const [count] = ctx.emit('nonzero_count', [x], {});
  return ctx.result('nonzero', [x, count], {});
}

function compress(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), cond = ctx.input(1);
  const [count] = ctx.emitFrom('compress_count', [x, cond], { axis: 'axis' });
  return ctx.resultFrom('compress', [x, cond, count], { axis: 'axis' });
}

function topK(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  let k = ctx.opset < 10 ? ctx.constant(int64Data([ctx.attrs.int('k')])) : ctx.input(1);
  if (!valuesOf(k)) [k] = ctx.emit('to_scalar_int', [k], {});
  // largest is new in opset 11 (absent before: the declared default); sorted=0 allows any order,
  // and the sorted order is one of them.
  return ctx.resultFrom('top_k', [x, k], { axis: 'axis', largest: 'largest' }).slice(0, 2);
}

function unique(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  const [perm] = ctx.emitFrom('unique_sort', [x], { axis: 'axis' });
  const [count] = ctx.emitFrom('unique_count', [x, perm], { axis: 'axis' });
  return ctx.resultFrom('unique', [x, perm, count], { axis: 'axis', sorted: 'sorted' }).slice(0, 4);
}

export const SELECT_ROWS: readonly ConverterRow[] = [
  row('NonZero', ['nonzero_count', 'nonzero'], nonzero, 9),
  row('Compress', ['compress_count', 'compress'], compress, 9),
  row('TopK', ['to_scalar_int', 'top_k'], topK),
  row('Unique', ['unique_sort', 'unique_count', 'unique'], unique, 11),
];
