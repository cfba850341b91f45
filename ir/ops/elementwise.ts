// Elementwise ops, written as tables: each entry gives the scalar formula once; the record
// (traits, broadcasting shape relation, lowering to a `compute`) is generated from it. Formulas
// follow the ONNX operator definitions (e.g. Relu keeps NaN, LeakyRelu uses alpha on x < 0).

import type { DType } from '../dtype.js';
import { isFloat } from '../dtype.js';
import { type Dim, dimAdd, dimEq, dimFloorDiv, dimMax, dimMin, dimMul, dimNeg, dimSub, isStatic }
  from '../dim.js';
import { knownDims } from '../values.js';
import type { Attrs, TensorType } from '../graph.js';
import * as t from '../tir-build.js';
import type { Expr } from '../tir.js';
import type { LowerCtx, Lowering } from '../te.js';
import { broadcastAt, broadcastShapes, outExtents, sameDType } from './broadcast.js';
import * as F from './elementwise-formulas.js';
import type { InferCtx, OpDef } from './registry.js';
import { ALL_DTYPES } from '../dtype.js';
import { attr, type AttrSchema } from './attr-schema.js';
import { declareOp } from './declare.js';
import { castWithSaturate } from './cast-small.js';
import { Codes } from '../../compiler/diagnostics.js';

/** A declared numeric attribute (see ATTRS for each op's attributes and defaults). */
const num = (a: Attrs, k: string): number => a[k] as number;

/**
 * The attributes of the elementwise ops that have any, with their one default (ONNX's, as float32
 * values where ONNX declares a float); every other elementwise op takes none.
 */
const ATTRS: Readonly<Record<string, AttrSchema>> = {
  leaky_relu: { alpha: attr.float(0.01) },
  elu: { alpha: attr.float(1) },
  hard_sigmoid: { alpha: attr.float(0.2), beta: attr.float(0.5) },
  selu: { alpha: attr.float(1.67326319217681884765625), gamma: attr.float(1.05070102214813232421875) },
  celu: { alpha: attr.float(1) },
  swish: { alpha: attr.float(1) },
  thresholded_relu: { alpha: attr.float(1) },
  shrink: { bias: attr.float(0), lambd: attr.float(0.5) },
  gelu: { approximate: attr.oneOf(['none', 'tanh']) },
  isinf: { detect_positive: attr.flag(1), detect_negative: attr.flag(1) },
  bit_shift: { direction: attr.oneOf(['LEFT', 'RIGHT'], null) },
  mod: { fmod: attr.flag(0) },
};
const c = (x: Expr, v: number): Expr => t.imm(v, x.dtype);
const u = (op: Parameters<typeof t.unary>[0]) => (x: Expr): Expr => t.unary(op, x);

type Unary = (x: Expr, attrs: Attrs) => Expr;

const UNARY: Readonly<Record<string, Unary>> = {
  relu: (x) => t.select(t.lt(x, c(x, 0)), c(x, 0), x),
  sigmoid: u('sigmoid'), tanh: u('tanh'), exp: u('exp'), log: u('log'), sqrt: u('sqrt'),
  abs: u('abs'), neg: u('neg'), erf: u('erf'), floor: u('floor'), ceil: u('ceil'), round: u('round'),
  reciprocal: u('reciprocal'), not: u('not'), sin: u('sin'), cos: u('cos'), sign: u('sign'),
  softplus: F.softplus, mish: F.mish, softsign: F.softsign, celu: F.celu, gelu: F.gelu,
  swish: F.swish, thresholded_relu: F.thresholdedRelu, shrink: F.shrink,
  hard_swish: (x) => t.mul(x, F.hardSigmoid(x, 1 / 6, 0.5)),
  tan: F.tan, atan: u('atan'), asin: F.asin, acos: F.acos, sinh: F.sinh, cosh: F.cosh,
  asinh: F.asinh, acosh: F.acosh, atanh: F.atanh, isnan: u('isnan'), isinf: F.isInf,
  leaky_relu: (x, a) => t.select(t.lt(x, c(x, 0)), t.mul(c(x, num(a, 'alpha')), x), x),
  elu: (x, a) => t.select(t.lt(x, c(x, 0)),
    t.mul(c(x, num(a, 'alpha')), t.sub(t.unary('exp', x), c(x, 1))), x),
  hard_sigmoid: (x, a) => F.hardSigmoid(x, num(a, 'alpha'), num(a, 'beta')),
  selu: (x, a) => t.mul(c(x, num(a, 'gamma')),
    t.select(t.le(x, c(x, 0)),
      t.mul(c(x, num(a, 'alpha')), t.sub(t.unary('exp', x), c(x, 1))), x)),
};

/** trunc(x) for floats: toward zero. */
const trunc = (x: Expr): Expr => t.select(t.lt(x, c(x, 0)), t.unary('ceil', x), t.unary('floor', x));

type Binary = (a: Expr, b: Expr, attrs: Attrs) => Expr;

const BINARY: Readonly<Record<string, Binary>> = {
  add: t.add, sub: t.sub, mul: t.mul, div: t.div, max: t.max, min: t.min,
  pow: (a, b) => t.binary('pow', a, t.cast(b, a.dtype)),
  equal: t.eq, less: t.lt, less_or_equal: t.le, greater: t.gt, greater_or_equal: t.ge,
  and: t.and, or: (a, b) => t.binary('or', a, b), xor: (a, b) => t.binary('xor', a, b),
  bit_shift: F.bitShift,
  prelu: (x, slope) => t.select(t.lt(x, c(x, 0)), t.mul(slope, x), x),
  mod: (a, b, attrs) => {
    const fmod = num(attrs, 'fmod') !== 0;
    if (!isFloat(a.dtype)) return intMod(a, b, fmod);
    return fmod ? floatFmod(a, b) : floatMod(a, b);
  },
};

/**
 * Integer Mod (fmod 1: the remainder takes the dividend's sign; 0: the divisor's). Integer
 * division and remainder never trap (README, "Integer arithmetic"): a / 0 = 0 and a mod 0 = a, so
 * a = b * (a / b) + a mod b holds for every b; INT_MIN / -1 wraps to INT_MIN, INT_MIN mod -1 = 0.
 * tir's integer div gives those quotients (codegen/llvm/ops.ts emitIntDiv, ir/tir-interp.ts).
 */
function intMod(a: Expr, b: Expr, fmod: boolean): Expr {
  if (fmod) return t.sub(a, t.mul(b, t.div(a, b)));
  return t.select(t.eq(b, c(b, 0)), a, t.mod(a, b));
}

/** C fmod: the remainder with the dividend's sign; fmod(x, ±inf) = x for finite x. */
function floatFmod(a: Expr, b: Expr): Expr {
  const finiteByInf = t.and(t.unary('isinf', b), t.unary('not', t.unary('isinf', a)));
  return t.select(finiteByInf, a, t.sub(a, t.mul(b, trunc(t.div(a, b)))));
}

/** Python/numpy float mod: the remainder with the divisor's sign (mod(-1, inf) = inf). */
function floatMod(a: Expr, b: Expr): Expr {
  const r = floatFmod(a, b);
  const fix = t.and(t.binary('ne', r, c(r, 0)), t.binary('xor', t.lt(b, c(b, 0)), t.lt(r, c(r, 0))));
  return t.select(fix, t.add(r, b), r);
}

const BOOL_RESULT = new Set(['equal', 'less', 'less_or_equal', 'greater', 'greater_or_equal']);

/** Dim arithmetic for integer shape computations (elements known as dims). */
const SHAPE_ARITH: Readonly<Record<string, (a: Dim, b: Dim) => Dim | undefined>> = {
  add: dimAdd, sub: dimSub, mul: dimMul, max: dimMax, min: dimMin,
  // ONNX integer Div truncates; shape values are non-negative, where floor and trunc agree.
  div: (a, b) => (isStatic(a) && isStatic(b) ? (b === 0 ? undefined : Math.trunc(a / b)) : dimFloorDiv(a, b)),
  equal: (a, b) => {
    if (dimEq(a, b)) return 1;
    if (isStatic(a) && isStatic(b)) return 0;
    // Dims from shapes are never negative: a symbolic one cannot equal a negative number.
    if ((isStatic(a) && a < 0) || (isStatic(b) && b < 0)) return 0;
    return undefined;
  },
};

/** Elements of `where` when its condition's elements are known numbers. */
function shapeSelect(out: TensorType, ctx: InferCtx): readonly Dim[] | undefined {
  const [c, a, b] = [ctx.values(0), ctx.values(1), ctx.values(2)];
  if (!c || !a || !b || isFloat(out.dtype) || out.shape.length > 1) return undefined;
  if (![c, a, b].every((x) => knownDims(x)) || !c.every(isStatic)) return undefined;
  const n = Math.max(c.length, a.length, b.length);
  if ([c, a, b].some((x) => x.length !== n && x.length !== 1)) return undefined;
  const at = (x: readonly Dim[], i: number) => x[x.length === 1 ? 0 : i];
  return Array.from({ length: n }, (_, i) => (at(c, i) !== 0 ? at(a, i) : at(b, i)));
}


/**
 * Elements of an integer binary op's result when both inputs' elements are known from shape
 * computations (scalars broadcast); undefined otherwise.
 */
function shapeArith(name: string, out: TensorType, ctx: InferCtx): readonly Dim[] | undefined {
  const f = SHAPE_ARITH[name];
  const [a, b] = [ctx.values(0), ctx.values(1)];
  if (!f || !a || !b || isFloat(out.dtype) || !knownDims(a) || !knownDims(b)) return undefined;
  const n = Math.max(a.length, b.length);
  if ((a.length !== n && a.length !== 1) || (b.length !== n && b.length !== 1)
    || out.shape.length > 1) return undefined;
  const elems: Dim[] = [];
  for (let i = 0; i < n; i++) {
    const r = f(a[a.length === 1 ? 0 : i], b[b.length === 1 ? 0 : i]);
    if (r === undefined) return undefined;
    elems.push(r);
  }
  return elems;
}

function elementwiseInfer(outDType?: (ins: DType) => DType) {
  return (inputs: readonly (TensorType | null)[], _attrs: Attrs, ctx: InferCtx): TensorType[] => {
    const present = inputs.flatMap((x, k) => (x ? [{ x, k }] : []));
    const dtype = sameDType(present.map((p) => p.x), ctx);
    const shape = broadcastShapes(present.map((p) => p.x.shape), ctx, present.map((p) => p.k));
    return [{ dtype: outDType ? outDType(dtype) : dtype, shape }];
  };
}

/** Unary ops whose result is a bool tensor (IsNaN, IsInf). */
const BOOL_UNARY = new Set(['isnan', 'isinf']);

/** Ops defined on integers (and bool) only: bitwise logic and shifts. */
const INTEGER_ONLY = new Set(['not', 'and', 'or', 'xor', 'bit_shift']);

/** Ops defined on floats only whose formulas would give silently wrong integer results. */
const FLOAT_ONLY = new Set(['softplus', 'mish', 'softsign', 'celu', 'gelu', 'swish', 'thresholded_relu',
  'hard_swish', 'tan', 'atan', 'asin', 'acos', 'sinh', 'cosh', 'asinh', 'acosh', 'atanh', 'isnan', 'isinf']);

/** Elementwise inference plus the dtype family check of `name`. */
function checkedInfer(name: string, outDType?: (ins: DType) => DType) {
  const infer = elementwiseInfer(outDType);
  return (inputs: readonly (TensorType | null)[], attrs: Attrs, ctx: InferCtx): TensorType[] => {
    const out = infer(inputs, attrs, ctx);
    const d = inputs[0]!.dtype;
    if (INTEGER_ONLY.has(name) && isFloat(d)) {
      ctx.fail(Codes.SHAPE_INFERENCE, `${name} needs integer or bool inputs, got ${d}`);
    }
    if (FLOAT_ONLY.has(name) && !isFloat(d)) ctx.fail(Codes.SHAPE_INFERENCE,
        `${name} needs float inputs, got ${d}`);
    if (name === 'bit_shift' && d === 'bool') ctx.fail(Codes.SHAPE_INFERENCE,
        'bit_shift needs integer inputs, got bool');
    return out;
  };
}

/** Dim arithmetic of the integer unary ops that shape computations use (Neg of an axis count). */
const SHAPE_UNARY: Readonly<Record<string, (a: Dim) => Dim | undefined>> = {
  neg: dimNeg,
  abs: (a) => {
    if (isStatic(a)) return Math.abs(a);
    // Over variables that are dims (never negative), a sum whose coefficients all share a sign
    // has that sign; anything else is read at run time.
    const signs = [...a.terms.map((t) => t.coef), ...(a.constant !== 0 ? [a.constant] : [])];
    if (!a.terms.every((t) => t.atoms.every((x) => x.kind === 'var'))) return undefined;
    if (signs.every((c) => c > 0)) return a;
    return signs.every((c) => c < 0) ? dimNeg(a) : undefined;
  },
};

/** Elements of an integer unary op's result when its input's elements are known dims. */
function shapeUnary(name: string, out: TensorType, ctx: InferCtx): readonly Dim[] | undefined {
  const f = SHAPE_UNARY[name];
  const a = ctx.values(0);
  if (!f || !a || isFloat(out.dtype) || !knownDims(a) || out.shape.length > 1) return undefined;
  const elems = a.map(f);
  return elems.every((d): d is Dim => d !== undefined) ? elems : undefined;
}

function unaryDef(name: string, f: Unary): OpDef {
  const infer = checkedInfer(name, BOOL_UNARY.has(name) ? () => 'bool' : undefined);
  return declareOp({
    name, traits: ['elementwise'], attrs: ATTRS[name] ?? {},
    infer: (ins, a, ctx) => {
      const [out] = infer(ins, a as Attrs, ctx);
      const elems = shapeUnary(name, out, ctx);
      return [elems ? { ...out, elems } : out];
    },
    lower: (ctx: LowerCtx, a): Lowering =>
      ({ kind: 'compute', at: (idx) => f(ctx.inputs[0]!.at(idx), a as Attrs) }),
  });
}

function binaryDef(name: string, f: Binary): OpDef {
  return declareOp({
    name, traits: ['elementwise'], attrs: ATTRS[name] ?? {},
    infer: name === 'pow'
      ? (inputs, _a, ctx) =>
        [{ dtype: inputs[0]!.dtype, shape: broadcastShapes(inputs.map((x) => x!.shape), ctx) }]
      : (inputs, attrs, ctx) => {
        const toBool = BOOL_RESULT.has(name) ? () => 'bool' as const : undefined;
        const [out] = checkedInfer(name, toBool)(inputs, attrs as Attrs, ctx);
        const elems = shapeArith(name, out, ctx);
        return [elems ? { ...out, elems } : out];
      },
    lower: (ctx: LowerCtx, a): Lowering => ({
      kind: 'compute',
      at: (idx) => {
        const out = outExtents(ctx);
        return f(broadcastAt(ctx.inputs[0]!, idx, out), broadcastAt(ctx.inputs[1]!, idx, out), a as Attrs);
      },
    }),
  });
}

const clip: OpDef = declareOp({
  name: 'clip', traits: ['elementwise'], attrs: {},
  infer: (inputs, _attrs, ctx) => {
    const x = inputs[0]!;
    for (const b of inputs.slice(1)) {
      if (b && b.dtype !== x.dtype) ctx.fail(Codes.SHAPE_INFERENCE,
          `clip bound dtype ${b.dtype} differs from ${x.dtype}`);
    }
    return [{ dtype: x.dtype, shape: x.shape }];
  },
  lower: (ctx) => ({
    kind: 'compute',
    at: (idx) => {
      let v = ctx.inputs[0]!.at(idx);
      const [lo, hi] = [ctx.inputs[1], ctx.inputs[2]]
        .map((b) => (b ? b.at(b.shape.map(() => t.imm(0))) : null));
      if (lo) v = t.select(t.lt(v, lo), lo, v);
      if (hi) v = t.select(t.gt(v, hi), hi, v);
      return v;
    },
  }),
});

const where: OpDef = declareOp({
  name: 'where', traits: ['elementwise'], attrs: {},
  infer: (inputs, _attrs, ctx) => {
    const [cond, a, b] = inputs as TensorType[];
    if (cond.dtype !== 'bool') ctx.fail(Codes.SHAPE_INFERENCE,
        `where condition must be bool, got ${cond.dtype}`);
    const dtype = sameDType([a, b], ctx);
    const out = { dtype, shape: broadcastShapes([cond.shape, a.shape, b.shape], ctx) };
    const elems = shapeSelect(out, ctx);
    return [elems ? { ...out, elems } : out];
  },
  lower: (ctx) => ({
    kind: 'compute',
    at: (idx) => {
      const out = outExtents(ctx);
      const [cond, a, b] = ctx.inputs.map((x) => broadcastAt(x!, idx, out));
      return t.select(cond, a, b);
    },
  }),
});

const cast: OpDef = declareOp({
  name: 'cast', traits: ['elementwise'],
  // saturate: ONNX Cast's rule for float8 targets (ir/ops/cast-small.ts); no effect on others.
  attrs: { to: attr.oneOf(ALL_DTYPES, null), saturate: attr.flag(1) },
  infer: (inputs, a, ctx) => {
    const elems = a.to === 'int64' || a.to === 'int32' ? ctx.values(0) : undefined;
    return [{ dtype: a.to, shape: inputs[0]!.shape, ...(elems && knownDims(elems) ? { elems } : {}) }];
  },
  lower: (ctx, a) => ({
    kind: 'compute', at: (idx) => castWithSaturate(ctx.inputs[0]!.at(idx), a.to, a.saturate === 1),
  }),
});

/**
 * The elementwise mean of one or more broadcast inputs (ONNX Mean), decomposed when emitted: the
 * inputs added left to right, then divided by their count, so it fuses as adds and a divide do.
 */
const mean = declareOp({
  name: 'mean', traits: ['elementwise'], attrs: {},
  decompose: (b, ins) => {
    const xs = ins.filter((v) => v !== null);
    if (xs.length === 0) b.fail(Codes.SHAPE_INFERENCE, 'needs at least one input');
    let sum = xs[0]!;
    for (const x of xs.slice(1)) sum = b.emit('add', [sum, x])[0]!;
    return b.result('div', [sum, b.scalar(sum.type.dtype, xs.length)]);
  },
});

export const ELEMENTWISE_OPS: readonly OpDef[] = [
  ...Object.entries(UNARY).map(([n, f]) => unaryDef(n, f)),
  ...Object.entries(BINARY).map(([n, f]) => binaryDef(n, f)),
  clip, where, cast, mean,
];
