// Converters for ONNX indexing ops: Gather, GatherElements, Slice, Split and ReverseSequence.
// Requires: the kestrel gather/slice/reverse_sequence ops (ir/ops/gather.ts, slice.ts, index-maps.ts).
// Guarantees: axes are normalised; Slice's
// opset 1-9 attributes become constant inputs and its axes/steps attributes (known numbers, else
// the run-time expansion of slice-runtime.ts); Split gets its sizes from the attribute (opset
// < 13), a known input (as the `split` attribute) or a run-time input (passed through), or
// num_outputs / the output count.

import type { Value } from '../../../../ir/graph.js';
import { isStatic } from '../../../../ir/dim.js';
import { valuesOf } from '../../../../ir/values.js';
import { int64Data, type ConvertCtx } from '../context.js';
import { knownInts } from './reduce.js';
import { RUNTIME_SLICE_EMITS, sliceRuntime } from './slice-runtime.js';
import { row, type ConverterRow } from './types.js';

const gather = (op: string) => (ctx: ConvertCtx): Value[] =>
  ctx.resultFrom(op, [ctx.input(0), ctx.input(1)], { axis: 'axis' });

/** Whether optional input i is absent or has contents known at compile time. */
function knownOrAbsent(ctx: ConvertCtx, i: number): boolean {
  const v = ctx.optInput(i);
  const xs = v ? valuesOf(v) : [];
  return !v || (!!xs && xs.every(isStatic) && (!!v.data || !!v.type.elems));
}

function slice(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  const legacy = ctx.opset < 10;
  const starts = legacy ? ctx.constant(int64Data(ctx.attrs.ints('starts'))) : ctx.input(1);
  const ends = legacy ? ctx.constant(int64Data(ctx.attrs.ints('ends'))) : ctx.input(2);
  const n = valuesOf(starts)?.length;
  if (!legacy && (n === undefined || !knownOrAbsent(ctx, 3) || !knownOrAbsent(ctx, 4))) {
    return sliceRuntime(ctx, starts, ends);
  }
  if (n === undefined) return ctx.unsupported('Slice starts of unknown length');
  const axes = (legacy ? (ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : undefined)
    : knownInts(ctx, 3, 'axes')) ?? [...Array(n).keys()];
  const steps = (legacy ? undefined : knownInts(ctx, 4, 'steps')) ?? axes.map(() => 1);
  return ctx.resultFrom('slice', [x, starts, ends], {}, { axes, steps });
}

function split(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  const outs = ctx.outputNames.length;
  const sizesIn = ctx.opset >= 13 ? ctx.optInput(1) : null;
  // Sizes whose contents are all known numbers act as the attribute; sizes known only as symbols
  // (a shape slice of a symbolic dim) or not at all go to the kernel as a run-time input.
  const xs = sizesIn ? valuesOf(sizesIn) : undefined;
  const known = xs?.every(isStatic) ? knownInts(ctx, 1, 'split') : undefined;
  const attr = ctx.opset < 13 && ctx.attrs.has('split') ? ctx.attrs.ints('split') : known;
  const runtime = sizesIn && !known ? sizesIn : null;
  if (runtime && !valuesOf(runtime)) ctx.unsupported('Split sizes of run-time length');
  // Without num_outputs (before opset 18) the ONNX node's output count gives the chunks.
  return ctx.resultFrom('split', runtime ? [x, runtime] : [x], { axis: 'axis', numOutputs: 'num_outputs' },
    { ...(attr ? { split: attr } : {}), ...(ctx.attrs.has('num_outputs') ? {} : { numOutputs: outs }) });
}

const reverseSequence = (ctx: ConvertCtx): Value[] => ctx.resultFrom('reverse_sequence',
  [ctx.input(0), ctx.input(1)], { batchAxis: 'batch_axis', timeAxis: 'time_axis' });

export const INDEXING_ROWS: readonly ConverterRow[] = [
  row('Gather', ['gather'], gather('gather')),
  row('GatherElements', ['gather_elements'], gather('gather_elements')),
  row('Slice', ['slice', ...RUNTIME_SLICE_EMITS], slice),
  row('Split', ['split'], split),
  row('ReverseSequence', ['reverse_sequence'], reverseSequence, 10),
];
