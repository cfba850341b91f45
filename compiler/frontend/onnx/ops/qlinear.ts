// Converters for the ONNX quantized operators QLinearConv, QLinearMatMul, ConvInteger and
// MatMulInteger. Requires: conv, matmul, cast and the quantization helpers of quant.ts.
// Guarantees: each accumulates (x - zx) * (w - zw) (+ bias) exactly, as integers held in float32
// (see quant.ts), with the same window attributes Conv takes (nn.ts); the *Integer ops return that
// accumulator as int32, the QLinear ops requantise it with sx*sw/sy per tensor or per output
// channel, rounding half to even and saturating, as onnxruntime does. Constant weights are centred
// at compile time.

import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { CONV_NAMES, kernelOf } from './nn.js';
import { centred, multiplier, requantize } from './quant.js';
import { row, type ConverterRow } from './types.js';
import { Codes } from '../../../diagnostics.js';

/** The exact accumulator of a convolution of centred x and w (+ int32 bias), float32. */
export function integerConv(ctx: ConvertCtx, x: Value, zx: Value | null, w: Value, zw: Value | null,
  bias: Value | null): Value {
  const b = bias ? centred(ctx, bias, null, 0) : null;
  return ctx.emitFrom('conv', [centred(ctx, x, zx, 1), centred(ctx, w, zw, 0), b], CONV_NAMES,
    { kernel: kernelOf(ctx, w) })[0];
}

/** Zero point axes of a matmul: per row of A (axis -2) and per column of B (axis -1). */
function integerMatMul(ctx: ConvertCtx, a: Value, za: Value | null, b: Value, zb: Value | null): Value {
  const rowAxis = Math.max(ctx.rank(a) - 2, 0), colAxis = Math.max(ctx.rank(b) - 1, 0);
  return ctx.emit('matmul', [centred(ctx, a, za, rowAxis), centred(ctx, b, zb, colAxis)], {})[0];
}

function qlinearConv(ctx: ConvertCtx): Value[] {
  const [x, sx, zx, w, sw, zw, sy, zy] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ctx.optInput(i));
  if (!x || !sx || !w || !sw || !sy) return ctx.fail(Codes.SHAPE_INFERENCE,
    'QLinearConv needs x, scales and w');
  const acc = integerConv(ctx, x, zx, w, zw, ctx.optInput(8));
  return requantize(ctx, acc, multiplier(ctx, sx, sw, sy), zy, 1);
}

function qlinearMatMul(ctx: ConvertCtx): Value[] {
  const [a, sa, za, b, sb, zb, sy, zy] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => ctx.optInput(i));
  if (!a || !sa || !b || !sb || !sy) return ctx.fail(Codes.SHAPE_INFERENCE,
    'QLinearMatMul needs a, b and their scales');
  const acc = integerMatMul(ctx, a, za, b, zb);
  return requantize(ctx, acc, multiplier(ctx, sa, sb, sy), zy, Math.max(ctx.rank(acc) - 1, 0));
}

function convInteger(ctx: ConvertCtx): Value[] {
  const acc = integerConv(ctx, ctx.input(0), ctx.optInput(2), ctx.input(1), ctx.optInput(3), null);
  return ctx.result('cast', [acc], { to: 'int32' });
}

function matMulInteger(ctx: ConvertCtx): Value[] {
  const acc = integerMatMul(ctx, ctx.input(0), ctx.optInput(2), ctx.input(1), ctx.optInput(3));
  return ctx.result('cast', [acc], { to: 'int32' });
}

const EMITS = ['quantize_linear', 'dequantize_linear', 'mul', 'div', 'cast'];

export const QLINEAR_ROWS: readonly ConverterRow[] = [
  row('QLinearConv', ['conv', ...EMITS], qlinearConv, 10),
  row('QLinearMatMul', ['matmul', ...EMITS], qlinearMatMul, 10),
  row('ConvInteger', ['conv', ...EMITS], convInteger, 10),
  row('MatMulInteger', ['matmul', ...EMITS], matMulInteger, 10),
];
