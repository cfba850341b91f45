// Converters for ONNX indexing ops: Gather, GatherElements, Slice and Split. Requires: the kestrel
// gather/slice ops (ir/ops/gather.ts, ir/ops/slice.ts). Guarantees: axes are normalised; Slice's
// opset 1-9 attributes become constant inputs and its axes/steps attributes (known numbers, else
// unsupported); Split gets its sizes from the attribute (opset < 13), a known input (as the
// `split` attribute) or a run-time input (passed through), or num_outputs / the output count.

import type { Value } from '../../../../ir/graph.js';
import { valuesOf } from '../../../../ir/values.js';
import { int64Data, type ConvertCtx } from '../context.js';
import { knownInts } from './reduce.js';
import { row, type ConverterRow } from './types.js';
import { Codes } from '../../../diagnostics.js';

function gather(op: string) {
  return (ctx: ConvertCtx): Value[] => {
    const x = ctx.input(0);
    return ctx.result(op, [x, ctx.input(1)], { axis: ctx.axis(ctx.attrs.int('axis', 0), ctx.rank(x)) });
  };
}

function slice(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), r = ctx.rank(x);
  const legacy = ctx.opset < 10;
  const starts = legacy ? ctx.constant(int64Data(ctx.attrs.ints('starts'))) : ctx.input(1);
  const ends = legacy ? ctx.constant(int64Data(ctx.attrs.ints('ends'))) : ctx.input(2);
  const n = valuesOf(starts)?.length ?? ctx.unsupported('Slice starts of unknown length');
  const axes = (legacy ? (ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : undefined)
    : knownInts(ctx, 3, 'axes')) ?? [...Array(n).keys()];
  const steps = (legacy ? undefined : knownInts(ctx, 4, 'steps')) ?? axes.map(() => 1);
  const norm = axes.map((a) => ctx.axis(a, r, 'axes'));
  if (new Set(norm).size !== norm.length) ctx.fail(Codes.ATTRIBUTE, `axes [${axes}] repeat an axis`);
  return ctx.result('slice', [x, starts, ends], { axes: norm, steps });
}

function split(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  const axis = ctx.axis(ctx.attrs.int('axis', 0), ctx.rank(x));
  const outs = ctx.outputNames.length;
  const sizesIn = ctx.opset >= 13 ? ctx.optInput(1) : null;
  const known = sizesIn && (sizesIn.data || sizesIn.type.elems) ? knownInts(ctx, 1, 'split') : undefined;
  const attr = ctx.opset < 13 && ctx.attrs.has('split') ? ctx.attrs.ints('split') : known;
  const numOutputs = ctx.attrs.int('num_outputs', outs);
  const runtime = sizesIn && !known ? sizesIn : null;
  if (runtime && !valuesOf(runtime)) ctx.unsupported('Split sizes of run-time length');
  return ctx.result('split', runtime ? [x, runtime] : [x], { axis, split: attr ?? [], numOutputs });
}

export const INDEXING_ROWS: readonly ConverterRow[] = [
  row('Gather', ['gather'], gather('gather')),
  row('GatherElements', ['gather_elements'], gather('gather_elements')),
  row('Slice', ['slice'], slice),
  row('Split', ['split'], split),
];
