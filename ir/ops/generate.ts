// Op records that make tensors from shapes and scalars: `range` [start, limit, delta],
// `constant_of_shape {value?: ConstData}` [shape], `expand` [x, shape] and `trilu {upper}`
// [x, k|null].
// Requires: shapes, k and integer range bounds as integer tensors (ctx.values: numbers for
// constants, symbolic dims for shape arithmetic, data symbols the VM reads at run time otherwise);
// float range bounds as constants.
// Guarantees: output shapes are dim arithmetic over those values (range length
// max(ceil((limit - start) / delta), 0)), so one kernel serves every shape; all four lower to
// `compute`s that read their scalars through the input accesses at run time; small integer
// results whose elements are known (range over known bounds, constant_of_shape of a short shape)
// carry them in TensorType.elems.

import { constValues } from '../const.js';
import { type Dim, dimAdd, dimCeilDiv, dimMul, dimSub, isStatic } from '../dim.js';
import { isFloat, type DType } from '../dtype.js';
import type { Attrs, ConstData, TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import { add, cast, ge, imm, le, mul, select, sub } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { ATTR_RANGE, INPUT_MISMATCH, bcastCoord } from './attrs.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import { broadcastShapes } from './broadcast.js';
import type { InferCtx, OpDef } from './registry.js';
import { clampZero } from './slice.js';

/** Longest integer result whose elements are tracked (matches ir/values.ts). */
const MAX_ELEMS = 64;

const scalarAt = (a: TensorAccess): Expr => a.at(a.shape.map(() => imm(0)));

/** A scalar input's value as a dim (integers) or a number (float constants). */
function scalarValue(ctx: InferCtx, i: number, what: string): Dim | undefined {
  const v = ctx.values(i);
  if (v) return v.length === 1 ? v[0] : ctx.fail(INPUT_MISMATCH, `range ${what} must be a scalar`);
  const c = ctx.constant(i);
  return c ? constValues(c)[0] : undefined;
}

function inferRange(ins: readonly (TensorType | null)[], _attrs: Attrs, ctx: InferCtx): TensorType[] {
  const dtype = ins[0]!.dtype;
  if (ins.some((x) => !x || x.dtype !== dtype)) ctx.fail(INPUT_MISMATCH, 'range inputs must share one dtype');
  if (ins.some((x) => x!.shape.length > 1 || (x!.shape.length === 1 && x!.shape[0] !== 1))) {
    ctx.fail(INPUT_MISMATCH, 'range inputs must be scalars');
  }
  const [start, limit, delta] = ['start', 'limit', 'delta'].map((w, i) => scalarValue(ctx, i, w));
  if (start === undefined || limit === undefined || delta === undefined) {
    return ctx.fail(INPUT_MISMATCH, 'range with float bounds needs constant bounds');
  }
  if (delta === 0) ctx.fail(ATTR_RANGE, 'range delta is 0');
  const len = isStatic(start) && isStatic(limit) && isStatic(delta)
    ? Math.max(Math.ceil((limit - start) / delta), 0)
    : clampZero(dimCeilDiv(dimSub(limit, start), delta));
  const known = !isFloat(dtype) && isStatic(len) && len <= MAX_ELEMS;
  const elems = known ? Array.from({ length: len as number }, (_, i) => dimAdd(start, dimMul(delta, i)))
    : undefined;
  return [elems ? { dtype, shape: [len], elems } : { dtype, shape: [len] }];
}

function lowerRange(ctx: LowerCtx): Lowering {
  const [start, , delta] = ctx.inputs.map((a) => scalarAt(a!));
  const dt = ctx.outTypes[0].dtype;
  return { kind: 'compute', at: ([i]) => add(start, mul(cast(i, dt), delta)) };
}

/** ConstantOfShape's `value`: a one-element tensor (absent: float32 zero). */
const FILL_ATTRS = { value: attr.optional(attr.internal<ConstData>()) };
type FillAttrs = AttrValues<typeof FILL_ATTRS>;

function fillValue(a: FillAttrs): { dtype: DType; value: number } {
  const v = a.value;
  if (!v) return { dtype: 'float32', value: 0 };
  return { dtype: v.dtype, value: constValues(v)[0] ?? 0 };
}

function inferConstantOfShape(ins: readonly (TensorType | null)[], attrs: FillAttrs,
  ctx: InferCtx): TensorType[] {
  const shape = ctx.values(0);
  if (!shape) return ctx.fail(INPUT_MISMATCH, 'constant_of_shape needs a 1-D int64 shape of static length');
  if (shape.some((d) => isStatic(d) && d < 0)) ctx.fail(ATTR_RANGE, `negative dim in shape`);
  const v = attrs.value;
  if (v && v.shape.reduce((a, b) => a * b, 1) !== 1) ctx.fail(ATTR_RANGE, 'value must have one element');
  const { dtype, value } = fillValue(attrs);
  const n = shape.length === 1 ? shape[0] : undefined;
  if (!isFloat(dtype) && n !== undefined && isStatic(n) && n <= MAX_ELEMS && ins[0]) {
    return [{ dtype, shape: [...shape], elems: new Array<Dim>(n).fill(value) }];
  }
  return [{ dtype, shape: [...shape] }];
}

function lowerConstantOfShape(_ctx: LowerCtx, a: FillAttrs): Lowering {
  const { dtype, value } = fillValue(a);
  return { kind: 'compute', at: () => imm(value, dtype) };
}

function inferExpand(ins: readonly (TensorType | null)[], _attrs: Attrs, ctx: InferCtx): TensorType[] {
  const x = ins[0]!;
  const shape = ctx.values(1);
  if (!shape) return ctx.fail(INPUT_MISMATCH, 'expand needs a 1-D int64 shape of static length');
  const operands = [0, { input: 1, dims: shape }];
  const out = broadcastShapes([x.shape, shape], ctx, operands, 'input $0 cannot be expanded to shape $1');
  return [{ dtype: x.dtype, shape: out }];
}

/** Reads x at an output index of the broadcast result (symbolic dims are 1 or the output's). */
function lowerExpand(ctx: LowerCtx): Lowering {
  const x = ctx.inputs[0]!;
  return {
    kind: 'compute',
    at: (idx) => {
      const lead = idx.length - x.shape.length;
      return x.at(x.shape.map((d, k) => bcastCoord(idx[lead + k], d)));
    },
  };
}

function inferTrilu(ins: readonly (TensorType | null)[], _attrs: Attrs, ctx: InferCtx): TensorType[] {
  const x = ins[0]!;
  if (x.shape.length < 2) ctx.fail(INPUT_MISMATCH, 'trilu input must have rank >= 2');
  const k = ins[1];
  if (k && (k.dtype !== 'int64' || k.shape.length > 1)) ctx.fail(INPUT_MISMATCH,
    'trilu k must be an int64 scalar');
  return [{ dtype: x.dtype, shape: x.shape }];
}

/** upper keeps col - row >= k, lower keeps col - row <= k; the rest is zero. */
function lowerTrilu(ctx: LowerCtx, a: { readonly upper: number }): Lowering {
  const x = ctx.inputs[0]!, kIn = ctx.inputs[1];
  const k = kIn ? cast(scalarAt(kIn), 'int64') : imm(0);
  const upper = a.upper !== 0;
  return {
    kind: 'compute',
    at: (idx) => {
      const r = idx.length;
      const d = sub(idx[r - 1], idx[r - 2]);
      return select(upper ? ge(d, k) : le(d, k), x.at(idx), imm(0, x.dtype));
    },
  };
}

export const GENERATE_OPS: readonly OpDef[] = [
  declareOp({ name: 'range', traits: ['injective'], attrs: {}, infer: inferRange, lower: lowerRange }),
  declareOp({ name: 'constant_of_shape', traits: ['injective'], attrs: FILL_ATTRS,
    infer: inferConstantOfShape, lower: lowerConstantOfShape }),
  declareOp({ name: 'expand', traits: ['injective'], attrs: {}, infer: inferExpand, lower: lowerExpand }),
  declareOp({ name: 'trilu', traits: ['injective'], attrs: { upper: attr.flag(1) }, infer: inferTrilu,
    lower: lowerTrilu }),
];
