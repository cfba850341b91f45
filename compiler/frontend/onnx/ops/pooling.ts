// Converters for the pooling forms built from other ops: LpPool (-> |x|^p, avg_pool counting the
// padding, times the window size, ^(1/p): the sum of |x|^p over each window, padding adding 0).
// Requires: the elementwise ops and avg_pool. Guarantees: window attributes are read by
// avg_pool's declared schema under their ONNX names; p must be a positive integer (KC0401);
// LpPool with ceil_mode is reported unsupported (a clipped last window would be scaled by the
// full window size). MaxUnpool maps onto max_unpool (ir/ops/max-unpool.ts).

import type { Value } from '../../../../ir/graph.js';
import { isStatic } from '../../../../ir/dim.js';
import { type ConvertCtx, int64Data } from '../context.js';
import { row, type ConverterRow } from './types.js';

const WINDOW = Object.freeze({
  kernel: 'kernel_shape', strides: 'strides', pads: 'pads', dilations: 'dilations', autoPad: 'auto_pad',
});

function lpPool(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), dt = x.type.dtype;
  const p = ctx.attrs.has('p') ? ctx.attrs.int('p') : 2;
  if (p < 1) ctx.attrs.fail('p', `must be a positive integer, got ${p}`);
  if (ctx.attrs.has('ceil_mode') && ctx.attrs.int('ceil_mode') !== 0) {
    ctx.unsupported('LpPool with ceil_mode = 1');
  }
  const taps = ctx.attrs.ints('kernel_shape').reduce((a, b) => a * b, 1);
  const [ax] = ctx.emit('abs', [x], {});
  const [powered] = p === 1 ? [ax] : p === 2 ? ctx.emit('mul', [ax, ax], {})
    : ctx.emit('pow', [ax, ctx.scalar(dt, p)], {});
  const [mean] = ctx.emitFrom('avg_pool', [powered], WINDOW, { countIncludePad: 1 });
  const [sum] = ctx.emit('mul', [mean, ctx.scalar(dt, taps)], {});
  if (p === 1) return ctx.result('identity', [sum], {});
  if (p === 2) return ctx.result('sqrt', [sum], {});
  return ctx.result('pow', [sum, ctx.scalar(dt, 1 / p)], {});
}

/** MaxUnpool; an output_shape of symbolic length (it must be one per axis) is viewed as that length. */
function maxUnpool(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  let shape = ctx.optInput(2);
  if (shape && shape.type.shape.length === 1 && !isStatic(shape.type.shape[0])) {
    [shape] = ctx.emit('reshape', [shape, ctx.constant(int64Data([ctx.rank(x)]))], {});
  }
  return ctx.resultFrom('max_unpool', [x, ctx.input(1), shape],
    { kernel: 'kernel_shape', strides: 'strides', pads: 'pads' });
}

export const POOLING_ROWS: readonly ConverterRow[] = [
  row('MaxUnpool', ['max_unpool', 'reshape'], maxUnpool, 9),
  row('LpPool', ['abs', 'mul', 'pow', 'avg_pool', 'sqrt', 'identity'], lpPool, 2),
];
