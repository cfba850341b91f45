// Converters for ONNX ops that make tensors from shapes and scalars (Range, ConstantOfShape,
// Expand, Trilu) and for ONNX ops whose kestrel record lives elsewhere but had no converter:
// LayerNormalization (-> layer_norm), RMSNormalization (-> rms_norm) and CastLike (-> cast).
// Requires: ir/ops/generate.ts, ir/ops/norm.ts, ir/ops/elementwise.ts. Guarantees: attributes
// complete and normalised; a float Range with run-time bounds becomes an int64 range whose length a
// kernel computes; LayerNormalization's Mean/InvStdDev outputs with a stash_type other than float
// and RMSNormalization with a stash_type other than float are reported unsupported.

import { makeConst } from '../../../../ir/const.js';
import { isFloat } from '../../../../ir/dtype.js';
import type { Value } from '../../../../ir/graph.js';
import { valuesOf } from '../../../../ir/values.js';
import type { ConvertCtx } from '../context.js';
import { tensorFromMsg } from '../tensor.js';
import { row, type ConverterRow } from './types.js';

function range(ctx: ConvertCtx): Value[] {
  const ins = [0, 1, 2].map((i) => ctx.input(i));
  if (isFloat(ins[0]!.type.dtype) && ins.some((v) => !v.data)) return floatRange(ctx, ins);
  return ctx.result('range', ins, {});
}

/**
 * A float Range with run-time bounds: its length ceil((limit - start) / delta) is computed by a
 * kernel and read back as a data symbol; the elements are start + i * delta over an int64 range.
 */
function floatRange(ctx: ConvertCtx, bounds: Value[]): Value[] {
  // Bounds of symbolic shape (dynamic-shape compiles) hold one element: make them scalars.
  const noDims = ctx.constant(makeConst('int64', [0], []));
  const [start, limit, delta] = bounds.map((v) =>
    (v.type.shape.length === 0 ? v : ctx.emit('reshape', [v, noDims], { allowzero: 0 })[0]));
  const span = ctx.emit('div', [ctx.emit('sub', [limit, start], {})[0], delta], {})[0];
  const n = ctx.emit('cast', [ctx.emit('ceil', [span], {})[0]], { to: 'int64' })[0];
  const i = ctx.emit('range', [ctx.scalar('int64', 0), n, ctx.scalar('int64', 1)], {})[0];
  const steps = ctx.emit('mul', [ctx.emit('cast', [i], { to: start.type.dtype })[0], delta], {})[0];
  return ctx.result('add', [steps, start], {});
}

/** Input i as a shape: its length must be known at compile time (it fixes the output rank). */
function shapeInput(ctx: ConvertCtx, i: number): Value {
  const v = ctx.input(i);
  if (!valuesOf(v)) ctx.unsupported(`${ctx.node.opType} with a shape input of run-time length`);
  return v;
}

function constantOfShape(ctx: ConvertCtx): Value[] {
  shapeInput(ctx, 0);
  const t = ctx.attrs.tensor('value');
  if (!t) return ctx.result('constant_of_shape', [ctx.input(0)], {});
  const { dtype, shape, bytes } = tensorFromMsg(t, {}, 'value');
  if (dtype === 'float16') ctx.unsupported('ConstantOfShape with a float16 value');
  return ctx.result('constant_of_shape', [ctx.input(0)], { value: { dtype, shape, bytes } });
}

function layerNorm(ctx: ConvertCtx): Value[] {
  const stats = ctx.outputNames.slice(1).some((n) => n) ? 1 : 0;
  if (stats && ctx.attrs.int('stash_type', 1) !== 1) {
    ctx.unsupported('LayerNormalization stash_type other than float');
  }
  return ctx.resultFrom('layer_norm', [ctx.input(0), ctx.input(1), ctx.optInput(2)],
    { axis: 'axis', epsilon: 'epsilon' }, { stats });
}

function rmsNorm(ctx: ConvertCtx): Value[] {
  if (ctx.attrs.int('stash_type', 1) !== 1) ctx.unsupported('RMSNormalization stash_type other than float');
  return ctx.resultFrom('rms_norm', [ctx.input(0), ctx.input(1)], { axis: 'axis', epsilon: 'epsilon' });
}

function castLike(ctx: ConvertCtx): Value[] {
  const saturate = ctx.attrs.int('saturate', 1);
  return ctx.result('cast', [ctx.input(0)], { to: ctx.input(1).type.dtype, saturate });
}

export const GENERATE_ROWS: readonly ConverterRow[] = [
  row('Range', ['range', 'div', 'sub', 'ceil', 'cast', 'mul', 'add', 'reshape'], range),
  row('ConstantOfShape', ['constant_of_shape'], constantOfShape),
  row('Expand', ['expand'], (ctx) => ctx.result('expand', [ctx.input(0), shapeInput(ctx, 1)], {})),
  row('Trilu', ['trilu'], (ctx) => ctx.resultFrom('trilu', [ctx.input(0), ctx.optInput(1)],
    { upper: 'upper' })),
  row('LayerNormalization', ['layer_norm'], layerNorm),
  row('RMSNormalization', ['rms_norm'], rmsNorm, 23),
  row('CastLike', ['cast'], castLike),
];
