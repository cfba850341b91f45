// Converters for the `com.microsoft` contrib operators that onnxruntime's quantizer emits and that
// quantized models therefore carry: QLinearConv (also registered there), QGemm, QLinearAdd,
// QLinearMul, QLinearGlobalAveragePool. Their own domain table (index.ts) keeps them apart from
// the ONNX standard. Requires: the quantization helpers (quant.ts, qlinear.ts), gemm, reduce_sum.
// Guarantees: each follows onnxruntime's arithmetic: QGemm accumulates exactly and requantises by
// alpha*sa*sb/sy; QLinearAdd/Mul compute in float32 from the centred inputs and round half to even;
// QLinearGlobalAveragePool sums exactly and requantises by sx / (sy * spatial size).

import { constValues, makeConst } from '../../../../ir/const.js';
import { isStatic } from '../../../../ir/dim.js';
import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { integerConv } from './qlinear.js';
import { centred, multiplier, requantize } from './quant.js';
import { row, type ConverterRow } from './types.js';
import { Codes } from '../../../diagnostics.js';

const f = Math.fround;

function ins(ctx: ConvertCtx, n: number, required: readonly number[]): (Value | null)[] {
  const v = Array.from({ length: n }, (_, i) => ctx.optInput(i));
  for (const i of required) if (!v[i]) ctx.fail(Codes.SHAPE_INFERENCE, `input ${i} is required`);
  return v;
}

/** s1 / s2 as a float32 scalar (a constant when both are). */
function ratio(ctx: ConvertCtx, s1: Value, s2: Value): Value {
  if (s1.data && s2.data) return ctx.scalar('float32', f(constValues(s1.data)[0] / constValues(s2.data)[0]));
  return ctx.emit('div', [s1, s2], {})[0];
}

function qgemm(ctx: ConvertCtx): Value[] {
  const [a, sa, za, b, sb, zb, c, sy, zy] = ins(ctx, 9, [0, 1, 3, 4]);
  const transA = ctx.attrs.int('transA', 0), transB = ctx.attrs.int('transB', 0);
  const alpha = ctx.attrs.float('alpha', 1);
  if (!sy) ctx.unsupported('QGemm with a float output (no y_scale)');
  const bias = c ? centred(ctx, c, null, 0) : null;
  const acc = ctx.emit('gemm', [centred(ctx, a!, za, transA ? 1 : 0), centred(ctx, b!, zb,
    transB ? 0 : 1), bias],
    { alpha: 1, beta: 1, transA, transB })[0];
  return requantize(ctx, acc, multiplier(ctx, sa!, sb!, sy!, alpha), zy, 1);
}

/** QLinearAdd / QLinearMul: the float32 result of the centred, rescaled inputs, requantised. */
function qlinearBinary(op: 'add' | 'mul') {
  return (ctx: ConvertCtx): Value[] => {
    const [a, sa, za, b, sb, zb, sc, zc] = ins(ctx, 8, [0, 1, 3, 4, 6]);
    const [ca, cb] = [centred(ctx, a!, za, 0), centred(ctx, b!, zb, 0)];
    const one = ctx.scalar('float32', 1);
    if (op === 'add') {
      const sum = ctx.emit('add', [ctx.emit('mul', [ca, ratio(ctx, sa!, sc!)], {})[0],
        ctx.emit('mul', [cb, ratio(ctx, sb!, sc!)], {})[0]], {})[0];
      return requantize(ctx, sum, one, zc, 0, zc ? undefined : a!.type.dtype);
    }
    const product = ctx.emit('mul', [ca, cb], {})[0];
    return requantize(ctx, product, multiplier(ctx, sa!, sb!, sc!), zc, 0, zc ? undefined : a!.type.dtype);
  };
}

function qlinearGlobalAveragePool(ctx: ConvertCtx): Value[] {
  const [x, sx, zx, sy, zy] = ins(ctx, 5, [0, 1, 3]);
  const last = ctx.attrs.int('channels_last', 0) !== 0, r = ctx.rank(x!);
  const axes = last ? Array.from({ length: r - 2 }, (_, i) => i + 1) : Array.from({ length: r - 2 }, (_,
    i) => i + 2);
  const size = axes.map((k) => x!.type.shape[k]);
  if (!size.every(isStatic)) ctx.unsupported('QLinearGlobalAveragePool over symbolic spatial dims');
  if (!sx!.data || !sy!.data) ctx.unsupported('QLinearGlobalAveragePool with run-time scales');
  const n = (size as number[]).reduce((p, q) => p * q, 1);
  const m = f(constValues(sx!.data)[0] / f(constValues(sy!.data)[0] * n));
  const sum = ctx.emit('reduce_sum', [centred(ctx, x!, zx, 0)], { axes, keepdims: 1,
    noopWithEmptyAxes: 0 })[0];
  return requantize(ctx, sum, ctx.constant(makeConst('float32', [], [m])), zy, 0,
    zy ? undefined : x!.type.dtype);
}

function qlinearConv(ctx: ConvertCtx): Value[] {
  const [x, sx, zx, w, sw, zw, sy, zy, b] = ins(ctx, 9, [0, 1, 3, 4, 6]);
  const acc = integerConv(ctx, x!, zx, w!, zw, b);
  return requantize(ctx, acc, multiplier(ctx, sx!, sw!, sy!), zy, 1);
}

const EMITS = ['quantize_linear', 'dequantize_linear', 'mul', 'div', 'add'];

export const MICROSOFT_ROWS: readonly ConverterRow[] = [
  row('QGemm', ['gemm', ...EMITS], qgemm),
  row('QLinearAdd', EMITS, qlinearBinary('add')),
  row('QLinearMul', EMITS, qlinearBinary('mul')),
  row('QLinearGlobalAveragePool', ['reduce_sum', ...EMITS], qlinearGlobalAveragePool),
  row('QLinearConv', ['conv', ...EMITS], qlinearConv),
];
