// Converters for neural-network ONNX ops: Conv, BatchNormalization (inference form), pooling,
// LRN, Softmax and LogSoftmax. Requires: the kestrel conv/pool/norm/softmax ops. Guarantees: window
// attributes are complete (kernel, strides, pads as all begins then all ends, dilations, autoPad)
// and validated: strides/dilations/group > 0, pads >= 0, lengths matching the kernel rank.

import { isStatic } from '../../../../ir/dim.js';
import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'];

export interface Window {
  kernel: number[]; strides: number[]; pads: number[]; dilations: number[]; autoPad: string;
}

/** Kernel shape from the attribute, else from the weight's static spatial dims. */
export function kernelOf(ctx: ConvertCtx, w: Value | null): number[] {
  if (ctx.attrs.has('kernel_shape')) return ctx.attrs.ints('kernel_shape');
  const dims = w?.type.shape.slice(2) ?? [];
  if (!w || !dims.every(isStatic)) {
    ctx.unsupported('Conv without kernel_shape whose weight has non-static spatial dims');
  }
  return dims as number[];
}

export function windowAttrs(ctx: ConvertCtx, kernel: number[], x: Value): Window {
  const n = kernel.length, a = ctx.attrs;
  if (n !== ctx.rank(x) - 2) {
    a.fail('kernel_shape', `has ${n} dims but the input has rank ${ctx.rank(x)} `
      + `(expected ${ctx.rank(x) - 2})`);
  }
  const w: Window = {
    kernel, strides: a.ints('strides', ones(n)), pads: a.ints('pads', zeros(2 * n)),
    dilations: a.ints('dilations', ones(n)), autoPad: a.string('auto_pad', 'NOTSET'),
  };
  checkLen(ctx, 'strides', w.strides, n);
  checkLen(ctx, 'pads', w.pads, 2 * n);
  checkLen(ctx, 'dilations', w.dilations, n);
  if (kernel.some((k) => k <= 0)) a.fail('kernel_shape', `has a non-positive value [${kernel}]`);
  if (w.strides.some((s) => s <= 0)) a.fail('strides', `has a non-positive value [${w.strides}]`);
  if (w.dilations.some((d) => d <= 0)) a.fail('dilations', `has a non-positive value [${w.dilations}]`);
  if (w.pads.some((p) => p < 0 || p > 1 << 20)) a.fail('pads', `has a negative or huge value [${w.pads}]`);
  if (!AUTO_PADS.includes(w.autoPad)) a.fail('auto_pad', `has unknown value '${w.autoPad}'`);
  return w;
}

function checkLen(ctx: ConvertCtx, name: string, v: readonly number[], n: number): void {
  if (v.length !== n) ctx.attrs.fail(name, `has ${v.length} values, expected ${n}`);
}

const ones = (n: number) => new Array<number>(n).fill(1);
const zeros = (n: number) => new Array<number>(n).fill(0);

function conv(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), w = ctx.input(1);
  const win = windowAttrs(ctx, kernelOf(ctx, w), x);
  const group = ctx.attrs.int('group', 1);
  if (group <= 0) ctx.attrs.fail('group', `must be positive, got ${group}`);
  return ctx.result('conv', [x, w, ctx.optInput(2)], { ...win, group });
}

function batchNorm(ctx: ConvertCtx): Value[] {
  if (ctx.outputNames.slice(1).some((n) => n)) ctx.unsupported('BatchNormalization training outputs');
  if (ctx.opset >= 14 && ctx.attrs.int('training_mode', 0) !== 0) ctx.unsupported('training_mode = 1');
  if (ctx.opset < 9 && ctx.attrs.int('spatial', 1) !== 1) ctx.unsupported('BatchNormalization spatial = 0');
  const ins = [0, 1, 2, 3, 4].map((i) => ctx.input(i));
  return ctx.result('batch_norm', ins, { epsilon: ctx.attrs.float('epsilon', 1e-5) });
}

function maxPool(ctx: ConvertCtx): Value[] {
  if (ctx.outputNames[1]) ctx.unsupported('MaxPool indices output');
  if (ctx.attrs.int('storage_order', 0) !== 0) ctx.unsupported('MaxPool storage_order = 1');
  const x = ctx.input(0);
  const win = windowAttrs(ctx, ctx.attrs.ints('kernel_shape'), x);
  return ctx.result('max_pool', [x], { ...win, ceilMode: ctx.attrs.int('ceil_mode', 0) });
}

function avgPool(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  const win = windowAttrs(ctx, ctx.attrs.ints('kernel_shape'), x);
  return ctx.result('avg_pool', [x], {
    ...win, ceilMode: ctx.attrs.int('ceil_mode', 0), countIncludePad: ctx.attrs.int('count_include_pad', 0),
  });
}

function lrn(ctx: ConvertCtx): Value[] {
  const size = ctx.attrs.int('size');
  if (size <= 0) ctx.attrs.fail('size', `must be positive, got ${size}`);
  return ctx.result('lrn', [ctx.input(0)], {
    size, alpha: ctx.attrs.float('alpha', 1e-4), beta: ctx.attrs.float('beta', 0.75),
    bias: ctx.attrs.float('bias', 1.0),
  });
}

/** Softmax family: opset < 13 flattens to 2-D at `axis` (default 1); 13+ is per-axis (default -1). */
function softmax(op: string) {
  return (ctx: ConvertCtx) => {
    const x = ctx.input(0);
    const legacy = ctx.opset < 13;
    const axis = ctx.axis(ctx.attrs.int('axis', legacy ? 1 : -1), ctx.rank(x));
    return ctx.result(op, [x], { axis, coerce2d: legacy ? 1 : 0 });
  };
}

export const NN_ROWS: readonly ConverterRow[] = [
  row('Conv', ['conv'], conv),
  row('BatchNormalization', ['batch_norm'], batchNorm),
  row('MaxPool', ['max_pool'], maxPool),
  row('AveragePool', ['avg_pool'], avgPool),
  row('GlobalAveragePool', ['global_avg_pool'], (ctx) => ctx.result('global_avg_pool', [ctx.input(0)], {})),
  row('GlobalMaxPool', ['global_max_pool'], (ctx) => ctx.result('global_max_pool', [ctx.input(0)], {})),
  row('LRN', ['lrn'], lrn),
  row('Softmax', ['softmax'], softmax('softmax')),
  row('LogSoftmax', ['log_softmax'], softmax('log_softmax')),
];
