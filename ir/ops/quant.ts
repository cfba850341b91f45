// Op records for linear quantization: `quantize_linear` [x, scale, zp | null] {axis, block, to, mul}
// and `dequantize_linear` [x, scale, zp | null] {axis, block}.
// Requires: scale (and zp) per tensor (one element), per axis (1-D, the length of x's `axis`) or
// blocked (x's rank, ceil(dim / block) on `axis`); `to` an integer or float8 dtype;
// frontend-normalised axis.
// Guarantees: quantize is saturate(roundHalfEven(x / scale) + zp) in float32, as the ONNX reference
// and onnxruntime compute it; with `mul` the scale is a multiplier (x * scale: the requantisation of
// an integer accumulator by sx*sw/sy, as onnxruntime's QLinearConv does it); dequantize is
// (x - zp) * scale in the scale's dtype. A float8 target is x / scale + zp rounded to it by Cast's
// rule with the node's `saturate` (ir/ops/cast-small.ts), no integer rounding. Both are
// `elementwise`: element i of the output reads element i of x (the parameters are indexed by i's
// coordinate on `axis`), so they join an anchor's epilogue (a convolution's requantisation runs in
// its stores) and fuse with neighbours.

import { isStatic, type Dim } from '../dim.js';
import { ALL_DTYPES, dtypeInfo, isFloat, packedBits, type DType } from '../dtype.js';
import { constFromFloat32, constValues } from '../const.js';
import type { ConstData, TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import { cast, div, floordiv, imm, max, min, mul, sub, unary, add } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { isSmallFloat } from '../small-floats.js';
import { castWithSaturate } from './cast-small.js';
import { attr, type AttrValues } from './attr-schema.js';
import { ATTR_RANGE, INPUT_MISMATCH, bcastCoord, checkBroadcastTo } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const F32: DType = 'float32';
const isFloat8 = (d: DType): boolean => isSmallFloat(d) && d !== 'bfloat16';

/**
 * Float32 (v - zp) of a constant integer tensor, zp per tensor or along `axis`: exact integers
 * held in float32, what the quantized convolutions and matmuls accumulate.
 */
export function centredConst(v: ConstData, zp: ConstData | undefined, axis: number): ConstData {
  const xs = constValues(v), zs = zp ? constValues(zp) : [0];
  const inner = v.shape.slice(axis + 1).reduce((a, b) => a * b, 1), len = v.shape[axis] ?? 1;
  const out = new Float32Array(xs.length);
  for (let i = 0, k = 0; i < xs.length; k = (k + 1) % len) {
    const z = zs.length === 1 ? zs[0] : zs[k];
    for (const end = i + inner; i < end; i++) out[i] = xs[i] - z;
  }
  return constFromFloat32(v.shape, out);
}

/** The requantisation multipliers alpha * sa * sb[i] / sy, in onnxruntime's float32 steps. */
export function requantMultipliers(sa: number, sb: readonly number[], sy: number, alpha = 1): number[] {
  const f = Math.fround;
  return sb.map((b) => f(f(f(sa * b) * alpha) / sy));
}

/** The representable range of an integer dtype. */
export function intRange(d: DType): [number, number] {
  const bits = packedBits(d) ?? dtypeInfo(d).bytes * 8;
  return dtypeInfo(d).isSigned ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
}

/** A rounded float32 value clamped to `to`'s range and converted (quantize_linear's last steps). */
export function saturateTo(q: Expr, to: DType): Expr {
  const [lo, hi] = intRange(to);
  return cast(min(max(q, imm(lo, F32)), imm(hi, F32)), to);
}

/**
 * The attribute schemas. `axis` is normalised by the frontend against x's rank (a per-tensor
 * parameter ignores it, so a scalar x keeps the default); `to` is absent on dequantize.
 */
const QUANT_COMMON = { axis: attr.int(1), block: attr.int(0, { min: 0 }) };
export const QUANTIZE_ATTRS = {
  ...QUANT_COMMON,
  to: attr.optional(attr.oneOf(ALL_DTYPES, null)),
  mul: attr.flag(0),
  saturate: attr.flag(1),
};
export const DEQUANTIZE_ATTRS = QUANT_COMMON;
type QuantAttrs = AttrValues<typeof QUANT_COMMON>;

/** Element count of a parameter, -1 when symbolic. */
const numel = (t: TensorType): Dim =>
  t.shape.reduce<Dim>((a, d) => (isStatic(a) && isStatic(d) ? a * d : -1), 1);

function checkParam(x: TensorType, p: TensorType, attrs: QuantAttrs, what: string, ctx: InferCtx): void {
  const { axis, block } = attrs;
  if (numel(p) === 1 && block === 0) return;
  if (axis < 0 || axis >= x.shape.length) ctx.fail(ATTR_RANGE,
    `axis ${axis} out of range for rank ${x.shape.length}`);
  if (block === 0) {
    if (p.shape.length !== 1) ctx.fail(INPUT_MISMATCH,
      `per-axis ${what} must be 1-D, got rank ${p.shape.length}`);
    // A symbolic length (dynamic-shape compiles) may still be 1 at run time: it broadcasts.
    checkBroadcastTo(p.shape[0], x.shape[axis], `${what} length on input axis ${axis}`, ctx);
    return;
  }
  if (p.shape.length !== x.shape.length) ctx.fail(INPUT_MISMATCH,
    `blocked ${what} must have the input's rank`);
  const d = x.shape[axis], want = isStatic(d) ? Math.ceil(d / block) : undefined;
  const got = p.shape[axis];
  if (want !== undefined && isStatic(got) && got !== want) {
    ctx.fail(INPUT_MISMATCH, `blocked ${what} has ${got} blocks on axis ${axis}, expected ${want}`);
  }
}

/** `to`: the quantize target as declared (undefined: from the zero point); null for dequantize. */
function inferQuant(ins: readonly (TensorType | null)[], attrs: QuantAttrs, ctx: InferCtx,
  to0: DType | undefined | null): TensorType[] {
  const quant = to0 !== null;
  const [x, scale, zp] = ins;
  if (!x || !scale) return ctx.fail(INPUT_MISMATCH, 'needs an input and a scale');
  if (!isFloat(scale.dtype)) ctx.fail(INPUT_MISMATCH, `scale must be a float tensor, got ${scale.dtype}`);
  checkParam(x, scale, attrs, 'scale', ctx);
  if (zp) checkParam(x, zp, attrs, 'zero point', ctx);
  if (!quant) {
    if (isFloat(x.dtype) && !isSmallFloat(x.dtype)) ctx.fail(INPUT_MISMATCH,
      `dequantize input must be an integer tensor, got ${x.dtype}`);
    if (zp && zp.dtype !== x.dtype) ctx.fail(INPUT_MISMATCH,
      `zero point ${zp.dtype} differs from input ${x.dtype}`);
    return [{ dtype: scale.dtype, shape: x.shape }];
  }
  const to = to0 ?? zp?.dtype ?? 'uint8';
  if ((isFloat(to) && !isFloat8(to)) || to === 'bool') ctx.fail(INPUT_MISMATCH,
    `quantize target must be an integer or float8 dtype, got ${to}`);
  if (zp && zp.dtype !== to) ctx.fail(INPUT_MISMATCH, `zero point ${zp.dtype} differs from the target ${to}`);
  return [{ dtype: to, shape: x.shape }];
}

/** Element of a scale or zero point for output index `idx`. */
function paramAt(p: TensorAccess, idx: readonly Expr[], attrs: QuantAttrs): Expr {
  const { axis, block } = attrs;
  if (block > 0) return p.at(idx.map((e, k) => (k === axis ? floordiv(e, block) : e)));
  if (p.shape.length === 1) return p.at([bcastCoord(idx[axis], p.shape[0])]);
  return p.at(p.shape.map(() => imm(0)));
}

function lowerQuant(ctx: LowerCtx, a: AttrValues<typeof QUANTIZE_ATTRS>): Lowering {
  const [x, scale, zp] = ctx.inputs, to = ctx.outTypes[0].dtype;
  if (isFloat8(to)) return lowerQuantFloat8(ctx, a);
  const multiply = a.mul !== 0;
  return {
    kind: 'compute',
    at: (idx) => {
      const v = cast(x!.at(idx), F32), s = cast(paramAt(scale!, idx, a), F32);
      const z = zp ? cast(paramAt(zp, idx, a), F32) : imm(0, F32);
      const q = add(unary('round', multiply ? mul(v, s) : div(v, s)), z);
      return saturateTo(q, to);
    },
  };
}

function lowerQuantFloat8(ctx: LowerCtx, a: AttrValues<typeof QUANTIZE_ATTRS>): Lowering {
  const [x, scale, zp] = ctx.inputs, to = ctx.outTypes[0].dtype;
  const saturate = a.saturate !== 0;
  return {
    kind: 'compute',
    at: (idx) => {
      const q = div(cast(x!.at(idx), F32), cast(paramAt(scale!, idx, a), F32));
      return castWithSaturate(zp ? add(q, cast(paramAt(zp, idx, a), F32)) : q, to, saturate);
    },
  };
}

function lowerDequant(ctx: LowerCtx, a: QuantAttrs): Lowering {
  const [x, scale, zp] = ctx.inputs, dt = ctx.outTypes[0].dtype;
  return {
    kind: 'compute',
    at: (idx) => {
      const v = cast(x!.at(idx), F32);
      const centred = zp ? sub(v, cast(paramAt(zp, idx, a), F32)) : v;
      return cast(mul(centred, cast(paramAt(scale!, idx, a), F32)), dt);
    },
  };
}


export const QUANT_OPS: readonly OpDef[] = [
  declareOp({ name: 'quantize_linear', traits: ['elementwise'], attrs: QUANTIZE_ATTRS,
    infer: (i, a, c) => inferQuant(i, a, c, a.to), lower: (ctx, a) => lowerQuant(ctx, a) }),
  declareOp({ name: 'dequantize_linear', traits: ['elementwise'], attrs: DEQUANTIZE_ATTRS,
    infer: (i, a, c) => inferQuant(i, a, c, null), lower: (ctx, a) => lowerDequant(ctx, a) }),
];
