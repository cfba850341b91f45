// Converters for neural-network ONNX ops: Conv, BatchNormalization (training_mode = 1 and
// MeanVarianceNormalization in stats-expand.ts), pooling, LRN, Softmax and LogSoftmax.
// Requires: the kestrel conv/pool/norm/softmax ops, whose declared schemas hold every default and
// check (window attributes: WINDOW_ATTRS in ir/ops/attrs.ts).
// Guarantees: converters only map ONNX attribute names, opsets and inputs onto those ops.

import { isStatic } from '../../../../ir/dim.js';
import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { batchNormTraining, meanVarianceNorm, STATS_EMITS } from './stats-expand.js';
import { row, type ConverterRow } from './types.js';

/** kestrel window attributes (WINDOW_ATTRS in ir/ops/attrs.ts, which validates them) -> ONNX names. */
const WINDOW_NAMES = Object.freeze({
  kernel: 'kernel_shape', strides: 'strides', pads: 'pads', dilations: 'dilations', autoPad: 'auto_pad',
});

/** The ONNX names of the `conv` op's attributes (Conv, and the integer convolutions of qlinear.ts). */
export const CONV_NAMES = Object.freeze({ ...WINDOW_NAMES, group: 'group' });

/** Kernel shape from the attribute, else from the weight's static spatial dims. */
export function kernelOf(ctx: ConvertCtx, w: Value | null): number[] {
  if (ctx.attrs.has('kernel_shape')) return ctx.attrs.ints('kernel_shape');
  const dims = w?.type.shape.slice(2) ?? [];
  if (!w || !dims.every(isStatic)) {
    ctx.unsupported('Conv without kernel_shape whose weight has non-static spatial dims');
  }
  return dims as number[];
}

function conv(ctx: ConvertCtx): Value[] {
  const w = ctx.input(1);
  return ctx.resultFrom('conv', [ctx.input(0), w, ctx.optInput(2)], CONV_NAMES, { kernel: kernelOf(ctx, w) });
}

function batchNorm(ctx: ConvertCtx): (Value | null)[] {
  if (ctx.opset >= 14 && ctx.attrs.int('training_mode', 0) !== 0) return batchNormTraining(ctx);
  if (ctx.outputNames.slice(1).some((n) => n)) ctx.unsupported('BatchNormalization training outputs');
  if (ctx.opset < 9 && ctx.attrs.int('spatial', 1) !== 1) ctx.unsupported('BatchNormalization spatial = 0');
  const ins = [0, 1, 2, 3, 4].map((i) => ctx.input(i));
  return ctx.resultFrom('batch_norm', ins, { epsilon: 'epsilon' });
}

function maxPool(ctx: ConvertCtx): Value[] {
  if (ctx.outputNames[1]) {
    return ctx.resultFrom('max_pool_argmax', [ctx.input(0)],
      { ...WINDOW_NAMES, ceilMode: 'ceil_mode', storageOrder: 'storage_order' });
  }
  if (ctx.attrs.int('storage_order', 0) !== 0) ctx.unsupported('MaxPool storage_order = 1');
  return ctx.resultFrom('max_pool', [ctx.input(0)], { ...WINDOW_NAMES, ceilMode: 'ceil_mode' });
}

const avgPool = (ctx: ConvertCtx): Value[] => ctx.resultFrom('avg_pool', [ctx.input(0)],
  { ...WINDOW_NAMES, ceilMode: 'ceil_mode', countIncludePad: 'count_include_pad' });

const lrn = (ctx: ConvertCtx): Value[] => ctx.resultFrom('lrn', [ctx.input(0)],
  { size: 'size', alpha: 'alpha', beta: 'beta', bias: 'bias' });

/** Softmax family: opset < 13 flattens to 2-D at `axis` (default 1); 13+ is per-axis (default -1). */
function softmax(op: string) {
  return (ctx: ConvertCtx) => {
    const legacy = ctx.opset < 13 ? { coerce2d: 1, ...(ctx.attrs.has('axis') ? {} : { axis: 1 }) } : {};
    return ctx.resultFrom(op, [ctx.input(0)], { axis: 'axis' }, legacy);
  };
}

function deformConv(ctx: ConvertCtx): Value[] {
  const w = ctx.input(1);
  const r = ctx.rank(ctx.input(0));
  if (r !== 4) ctx.unsupported(`DeformConv on a rank-${r} input (2-D only)`);
  const ins = [ctx.input(0), w, ctx.input(2), ctx.optInput(3), ctx.optInput(4)];
  const names = { kernel: 'kernel_shape', strides: 'strides', pads: 'pads', dilations: 'dilations',
    group: 'group', offsetGroup: 'offset_group' };
  return ctx.resultFrom('deform_conv', ins, names, { kernel: kernelOf(ctx, w) });
}

export const NN_ROWS: readonly ConverterRow[] = [
  row('DeformConv', ['deform_conv'], deformConv, 19),
  row('Conv', ['conv'], conv),
  row('BatchNormalization', ['batch_norm', ...STATS_EMITS], batchNorm),
  row('MeanVarianceNormalization', STATS_EMITS, meanVarianceNorm, 9),
  row('MaxPool', ['max_pool', 'max_pool_argmax'], maxPool),
  row('AveragePool', ['avg_pool'], avgPool),
  row('GlobalAveragePool', ['global_avg_pool'], (ctx) => ctx.result('global_avg_pool', [ctx.input(0)], {})),
  row('GlobalMaxPool', ['global_max_pool'], (ctx) => ctx.result('global_max_pool', [ctx.input(0)], {})),
  row('LRN', ['lrn'], lrn),
  row('Softmax', ['softmax'], softmax('softmax')),
  row('LogSoftmax', ['log_softmax'], softmax('log_softmax')),
];
