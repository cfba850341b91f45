// Converters for ONNX QuantizeLinear, DequantizeLinear (10, 13, 19, 21: per tensor, per axis,
// blocked) and DynamicQuantizeLinear, and the helpers the quantized-operator converters share
// (qlinear.ts, contrib.ts): centring an integer tensor by its zero point, the requantisation
// multiplier and the requantisation itself.
// Requires: quantize_linear, dequantize_linear (ir/ops/quant.ts), reduce_min/max, min, max, sub, div.
// Guarantees: attributes are complete (axis normalised, block 0 unless blocked, the target dtype
// chosen as ONNX chooses it: the zero point's, else output_dtype, else uint8); targets kestrel has
// no dtype for (int4, ...) are reported unsupported. Integer arithmetic of the quantized
// operators is carried out exactly on integer-valued float32 tensors: (x - zp) is exact, products
// of two such values are exact, and sums stay exact while below 2^24 — the accumulators of
// realistic 8-bit layers (their requantised results fit 8 bits) stay well below that.

import { constValues, makeConst } from '../../../../ir/const.js';
import { dtypeFromOnnx, type DType } from '../../../../ir/dtype.js';
import type { AttrValue, Value } from '../../../../ir/graph.js';
import { centredConst, requantMultipliers } from '../../../../ir/ops/quant.js';
import { isSmallFloat } from '../../../../ir/small-floats.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

/** The normalised axis of a per-axis or blocked scale (irrelevant, 0, for a per-tensor one). */
function axisOf(ctx: ConvertCtx, x: Value, scale: Value, block: number): number {
  const perTensor = scale.type.shape.every((d) => d === 1) && block === 0;
  return perTensor ? 0 : ctx.axis(ctx.opset >= 13 ? ctx.attrs.int('axis', 1) : 1, ctx.rank(x));
}

/** Float32 (v - zp), zp per tensor or along `axis`; computed here when both are constants. */
export function centred(ctx: ConvertCtx, v: Value, zp: Value | null, axis: number): Value {
  if (v.data && (!zp || zp.data)) return ctx.constant(centredConst(v.data, zp?.data, axis));
  return ctx.emit('dequantize_linear', [v, ctx.scalar('float32', 1), zp], { axis, block: 0 })[0];
}

/**
 * The requantisation multiplier alpha * sa * sb / sy (sb per tensor or per output channel), in the
 * float32 steps onnxruntime takes; computed here when the scales are constants.
 */
export function multiplier(ctx: ConvertCtx, sa: Value, sb: Value, sy: Value, alpha = 1): Value {
  if (sa.data && sb.data && sy.data) {
    const bs = constValues(sb.data);
    const m = requantMultipliers(constValues(sa.data)[0], bs, constValues(sy.data)[0], alpha);
    return ctx.constant(makeConst('float32', bs.length === 1 ? [] : [bs.length], m));
  }
  if (alpha !== 1) ctx.unsupported(`${ctx.node.opType} with alpha != 1 and run-time scales`);
  return ctx.emit('div', [ctx.emit('mul', [sa, sb], {})[0], sy], {})[0];
}

/** saturate(round(acc * m) + zp): an integer-valued accumulator back to the zero point's dtype. */
export function requantize(ctx: ConvertCtx, acc: Value, m: Value, zp: Value | null, axis: number,
  to?: DType): Value[] {
  return ctx.result('quantize_linear', [acc, m, zp], { axis, block: 0, mul: 1,
    to: to ?? zp?.type.dtype ?? 'uint8' });
}

function blockOf(ctx: ConvertCtx): number {
  const b = ctx.opset >= 21 ? ctx.attrs.int('block_size', 0) : 0;
  if (b < 0) ctx.attrs.fail('block_size', `must be >= 0, got ${b}`);
  return b;
}

function targetOf(ctx: ConvertCtx, zp: Value | null): DType {
  if (zp) return zp.type.dtype;
  if (ctx.opset < 21 || !ctx.attrs.has('output_dtype')) return 'uint8';
  const code = ctx.attrs.int('output_dtype');
  return code === 0 ? 'uint8' : dtypeFromOnnx(code) ?? ctx.unsupported(`QuantizeLinear to ONNX type ${code}`);
}

function quantizeLinear(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), s = ctx.input(1), zp = ctx.optInput(2), block = blockOf(ctx);
  const to = targetOf(ctx, zp);
  // saturate (opset 19) matters for float8 targets only; integer targets keep their attributes.
  const attrs: Record<string, AttrValue> = { axis: axisOf(ctx, x, s, block), block, to, mul: 0 };
  if (isSmallFloat(to)) attrs.saturate = ctx.attrs.int('saturate', 1);
  return ctx.result('quantize_linear', [x, s, zp], attrs);
}

function dequantizeLinear(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), s = ctx.input(1), block = blockOf(ctx);
  return ctx.result('dequantize_linear', [x, s, ctx.optInput(2)], { axis: axisOf(ctx, x, s, block), block });
}

/**
 * DynamicQuantizeLinear: scale (max(0, max x) - min(0, min x)) / 255, zero point
 * saturate(round(-min / scale)) (itself a quantisation), then y = quantize(x, scale, zp).
 */
function dynamicQuantizeLinear(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), all = Array.from({ length: ctx.rank(x) }, (_, i) => i);
  const reduce = (op: string) => ctx.emit(op, [x], { axes: all, keepdims: 0, noopWithEmptyAxes: 0 })[0];
  const zero = ctx.scalar('float32', 0);
  const hi = ctx.emit('max', [reduce('reduce_max'), zero], {})[0];
  const lo = ctx.emit('min', [reduce('reduce_min'), zero], {})[0];
  const names = ctx.outputNames;
  const scale = ctx.emit('div', [ctx.emit('sub', [hi, lo], {})[0], ctx.scalar('float32', 255)], {},
    [names[1] ?? ''])[0];
  const negLo = ctx.emit('sub', [zero, lo], {})[0];
  const attrs = { axis: 0, block: 0, to: 'uint8', mul: 0 };
  const zp = ctx.emit('quantize_linear', [negLo, scale, null], attrs, [names[2] ?? ''])[0];
  const y = ctx.emit('quantize_linear', [x, scale, zp], attrs, [names[0] ?? ''])[0];
  return [y, scale, zp];
}

const QDQ_EMITS = ['quantize_linear', 'dequantize_linear'];

export const QUANT_ROWS: readonly ConverterRow[] = [
  row('QuantizeLinear', QDQ_EMITS, quantizeLinear, 10),
  row('DequantizeLinear', QDQ_EMITS, dequantizeLinear, 10),
  row('DynamicQuantizeLinear', [...QDQ_EMITS, 'reduce_max', 'reduce_min', 'max', 'min', 'sub', 'div'],
    dynamicQuantizeLinear, 11),
];
