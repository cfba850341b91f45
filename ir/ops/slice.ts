// Op records for cutting tensors: `slice` (inputs [data, starts, ends], attrs {axes, steps}: ONNX
// Slice; the frontend turns opset 1-9 attributes into constant inputs and resolves axes/steps) and `split`
// {axis, split: number[]|null, numOutputs} (sizes from the attribute, or from input 1, or equal
// chunks with a smaller last one).
// Requires: starts/ends/split sizes as integer tensors (ctx.values: numbers, shape arithmetic or
// data symbols read at run time); axes and steps as attributes (SLICE_ATTRS: both required, axes
// distinct and normalised by the schema): the frontend reports non-constant ones as unsupported.
// Guarantees: ONNX clamping written once over dims (negative -> + dim; clamp to [0, dim] for a
// positive step, [-1, dim-1] for a negative one; length max(0, ceil((end-start)/step))), folding to
// numbers when everything is known; huge sentinels (INT64_MAX) are clamped before any arithmetic.
// The kernels recompute the clamped start from the starts tensor with the same rules, so one
// kernel serves every shape. Slicing a tensor of known contents keeps them (TensorType.elems).

import {
  type Dim, dimAdd, dimCeilDiv, dimEq, dimMax, dimMin, dimMul, dimNeg, dimSub, isStatic,
} from '../dim.js';
import type { TensorType } from '../graph.js';
import { elementLoops } from '../te-loops.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import { add, cast, imm, lt, max, min, mul, select, seq, sub } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { ATTR_RANGE, INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

/** Integers at least this large in magnitude are "infinite" sentinels (INT64_MAX, INT_MIN). */
const HUGE = 2 ** 40;

/** Whether `d` is known to be >= 0: shape symbols are, data symbols ('@...') may not be. */
export function nonNeg(d: Dim): boolean {
  if (isStatic(d)) return d >= 0;
  if (d.constant < 0) return false;
  return d.terms.every((tm) => tm.coef > 0 && tm.atoms.every((a) => {
    switch (a.kind) {
      case 'var': return !a.name.startsWith('@');
      case 'max': return nonNeg(a.a) || nonNeg(a.b);
      case 'min': case 'floordiv': return nonNeg(a.a) && nonNeg(a.b);
      case 'mod': return nonNeg(a.b);
    }
  }));
}

/** max(d, 0), skipped when d is known non-negative. */
export const clampZero = (d: Dim): Dim => (nonNeg(d) ? d : dimMax(d, 0));

/** 1 when integer x < 0 else 0, as dim arithmetic: min(max(-x, 0), 1). */
const isNeg = (x: Dim): Dim => (nonNeg(x) ? 0 : dimMin(dimMax(dimNeg(x), 0), 1));

/** A start or end index normalised and clamped to [lo, dim + lo] (lo = 0 or -1) per ONNX. */
export function clampIndex(x: Dim, dim: Dim, lo: 0 | -1): Dim {
  const hi = dimAdd(dim, lo);
  if (isStatic(x)) {
    if (x >= HUGE) return hi;
    if (x <= -HUGE) return lo;
    if (x >= 0) return x === 0 && lo === 0 ? 0 : dimMin(x, hi);
    const w = dimAdd(dim, x);
    return isStatic(w) ? Math.max(w, lo) : dimMax(w, lo);
  }
  const w = dimAdd(x, dimMul(isNeg(x), dim));
  const low = lo === 0 && nonNeg(w) ? w : dimMax(w, lo);
  return dimEq(low, dim) && lo === 0 ? dim : dimMin(low, hi);
}

/** Number of elements of the slice [start, end) by `step` of an axis of extent `dim`. */
export function sliceLength(start: Dim, end: Dim, step: number, dim: Dim): { begin: Dim; len: Dim } {
  const begin = clampIndex(start, dim, step > 0 ? 0 : -1 as 0 | -1);
  const stop = clampIndex(end, dim, step > 0 ? 0 : -1);
  const b = step > 0 ? begin : (isStatic(begin) ? Math.max(begin, 0) : dimMax(begin, 0));
  return { begin: b, len: clampZero(dimCeilDiv(dimSub(stop, b), step)) };
}

/** The sliced axes of the data (distinct, normalised) and one non-zero step per axis. */
const SLICE_ATTRS = { axes: attr.axisList(), steps: attr.ints() };
type SliceAttrs = AttrValues<typeof SLICE_ATTRS>;

interface SliceSpec {
  axes: readonly number[]; steps: readonly number[]; starts: readonly Dim[]; ends: readonly Dim[];
}

function sliceSpec({ axes, steps }: SliceAttrs, ctx: InferCtx): SliceSpec {
  const starts = ctx.values(1), ends = ctx.values(2);
  if (!starts || !ends) return ctx.fail(INPUT_MISMATCH, 'slice starts/ends must be 1-D integer tensors');
  if (starts.length !== ends.length) ctx.fail(INPUT_MISMATCH, 'slice starts and ends differ in length');
  if (axes.length !== starts.length || steps.length !== starts.length) {
    ctx.fail(INPUT_MISMATCH, 'slice axes/steps differ in length from starts');
  }
  if (steps.some((s) => s === 0)) ctx.fail(ATTR_RANGE, 'slice step 0');
  return { axes, steps, starts, ends };
}

function inferSlice(ins: readonly (TensorType | null)[], a: SliceAttrs, ctx: InferCtx): TensorType[] {
  const x = ins[0]!, spec = sliceSpec(a, ctx);
  const shape = [...x.shape];
  const begins = new Map<number, { begin: Dim; step: number }>();
  spec.axes.forEach((a, k) => {
    const { begin, len } = sliceLength(spec.starts[k], spec.ends[k], spec.steps[k], x.shape[a]);
    shape[a] = len;
    begins.set(a, { begin, step: spec.steps[k] });
  });
  const elems = sliceElems(x, shape, begins.get(0), ctx);
  return [elems ? { dtype: x.dtype, shape, elems } : { dtype: x.dtype, shape }];
}

/** Known contents of a slice of a known 1-D tensor when every bound is a number. */
function sliceElems(x: TensorType, shape: Dim[], b: { begin: Dim; step: number } | undefined,
  ctx: InferCtx): Dim[] | undefined {
  if (x.shape.length !== 1 || (!x.elems && !ctx.constant(0))) return undefined;
  const xs = ctx.values(0), len = shape[0];
  if (!xs || !isStatic(len)) return undefined;
  if (!b) return [...xs];
  if (!isStatic(b.begin)) return undefined;
  return Array.from({ length: len }, (_, i) => xs[(b.begin as number) + i * b.step]);
}

/** Clamped start of a slice axis from the starts tensor, with the rules of clampIndex. */
function startExpr(starts: TensorAccess, k: number, dim: Expr, step: number): Expr {
  const s = cast(starts.at(starts.shape.length ? [imm(k)] : []), 'int64');
  const hi = step > 0 ? dim : sub(dim, 1);
  return max(select(lt(s, 0), add(max(s, sub(imm(0), dim)), dim), min(s, hi)), 0);
}

function lowerSlice(ctx: LowerCtx, { axes, steps }: SliceAttrs): Lowering {
  const x = ctx.inputs[0]!, starts = ctx.inputs[1]!;
  const src = new Map<number, { begin: Expr; step: number }>();
  axes.forEach((a, k) => src.set(a, { begin: startExpr(starts, k, x.shape[a], steps[k]), step: steps[k] }));
  return {
    kind: 'compute',
    at: (idx) => x.at(idx.map((e, i) => {
      const s = src.get(i);
      return s ? add(s.begin, mul(e, s.step)) : e;
    })),
  };
}

/**
 * `slice_strided` (inputs [data, begin, len, step], each int64 [rank], and optionally [invalid], a
 * count that must be 0 at run time): output dim j is len[j], element i of it reads data at
 * begin[j] + i * step[j]. The ONNX frontend computes the three
 * vectors with the clamping rules when Slice's axes or steps are known only at run time
 * (compiler/frontend/onnx/ops/slice-runtime.ts), so no sign of a step is needed here.
 */
function inferSliceStrided(ins: readonly (TensorType | null)[], _a: object, ctx: InferCtx): TensorType[] {
  const x = ins[0]!, r = x.shape.length;
  const parts = [1, 2, 3].map((i) => ctx.values(i));
  if (parts.some((v) => !v || v.length !== r)) {
    ctx.fail(INPUT_MISMATCH, `slice_strided begin/len/step must be 1-D integer tensors of length ${r}`);
  }
  const bad = ins[4] ? ctx.values(4) : [0];
  if (bad?.length !== 1) return ctx.fail(INPUT_MISMATCH, 'slice_strided check must be one integer');
  ctx.require([[bad[0], 0]], 'slice axes: %0 out of range, repeated or with step 0', [], [bad[0]]);
  return [{ dtype: x.dtype, shape: [...parts[1]!] }];
}

function lowerSliceStrided(ctx: LowerCtx): Lowering {
  const [x, begin, , step] = ctx.inputs as TensorAccess[];
  const at = (v: TensorAccess, j: number): Expr => cast(v.at([imm(j)]), 'int64');
  return {
    kind: 'compute',
    at: (idx) => x.at(idx.map((e, j) => add(at(begin, j), mul(e, at(step, j))))),
  };
}

/**
 * The split axis; the sizes when known at compile time (empty: from input 1, or `numOutputs`
 * equal chunks).
 */
const SPLIT_ATTRS = { axis: attr.axis(0), split: attr.ints([]), numOutputs: attr.int(0, { min: 0 }) };
type SplitAttrs = AttrValues<typeof SPLIT_ATTRS>;

/** Split sizes along an axis of extent `dim`: given, or `n` equal chunks (the last smaller). */
function splitSizes(ins: readonly (TensorType | null)[], a: SplitAttrs, dim: Dim, ctx: InferCtx): Dim[] {
  if (a.split.length) return [...a.split];
  if (ins[1]) return [...(ctx.values(1)
    ?? ctx.fail(INPUT_MISMATCH, 'split sizes must be a 1-D integer tensor'))];
  const n = a.numOutputs;
  if (n < 1) ctx.fail(ATTR_RANGE, `split into ${n} outputs`);
  const chunk = dimCeilDiv(dim, n);
  return [...new Array<Dim>(n - 1).fill(chunk), dimSub(dim, dimMul(chunk, n - 1))];
}

function inferSplit(ins: readonly (TensorType | null)[], a: SplitAttrs, ctx: InferCtx): TensorType[] {
  const x = ins[0]!, axis = a.axis;
  const sizes = splitSizes(ins, a, x.shape[axis], ctx);
  const total = sizes.reduce<Dim>((a, b) => dimAdd(a, b), 0);
  if (sizes.some((d) => isStatic(d) && d < 0)) ctx.fail(ATTR_RANGE, 'negative split size');
  if (isStatic(total) && isStatic(x.shape[axis]) && total !== x.shape[axis]) {
    ctx.fail(INPUT_MISMATCH, `split sizes sum to ${total}, axis has ${x.shape[axis]}`);
  }
  // Sizes read at run time (or an extent known only then) must still cover the axis exactly.
  ctx.require([[total, x.shape[axis]]], `input $0: split sizes add up to %0, axis ${axis} has %1`, [0],
    [total, x.shape[axis]]);
  return sizes.map((d) => ({ dtype: x.dtype, shape: x.shape.map((e, i) => (i === axis ? d : e)) }));
}

function lowerSplit(ctx: LowerCtx, { axis }: SplitAttrs): Lowering {
  const x = ctx.inputs[0]!;
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  let offset: Expr = imm(0);
  const parts = ctx.outputs.map((out) => {
    const off = offset;
    offset = add(offset, out.shape[axis]);
    return elementLoops(env, out.shape, (idx) =>
      out.store(idx, x.at(idx.map((e, i) => (i === axis ? add(e, off) : e)))));
  });
  return { kind: 'kernel', body: seq(...parts) };
}

export const SLICE_OPS: readonly OpDef[] = [
  declareOp({ name: 'slice', traits: ['injective'], attrs: SLICE_ATTRS, infer: inferSlice,
    lower: lowerSlice }),
  declareOp({ name: 'slice_strided', traits: ['injective'], attrs: {}, infer: inferSliceStrided,
    lower: lowerSliceStrided }),
  declareOp({ name: 'split', traits: ['opaque'], attrs: SPLIT_ATTRS, infer: inferSplit, lower: lowerSplit }),
];
