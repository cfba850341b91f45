// Reductions whose axes are a tensor read at run time (ONNX ReduceSum from opset 13, the other
// reductions from 18, when the `axes` input is neither a constant nor shape arithmetic), in two
// ops: `reduce_axes_plan {keepdims}` [x, axes] -> (mask, shape), a small serial kernel that checks
// the axes and writes which input axes are reduced (int64 [r], 1 or 0) and the output shape
// (int64, length r with keepdims, r - k without); then `reduce_sum_axes, reduce_mean_axes, ...`
// (one per reducer of ir/ops/reduce.ts) [x, mask, shape], whose output dims are the shape's
// contents (data symbols the VM reads once the plan has run, before allocating).
// Requires: x of static rank r; axes a 1-D int32/int64 tensor of k >= 1 elements (an empty axes
// tensor is static and the frontend takes the attribute path of reduce.ts); k static without
// keepdims (the output rank depends on it), symbolic allowed with keepdims (k = 0 at run time
// then reduces every axis, or none with noopWithEmptyAxes).
// Guarantees: an axis outside [-r, r) or repeated fails the run with status AXES_INVALID before
// anything is allocated from the shape. Identity, per-element map, accumulation type and final
// map are those of the static reductions, so both forms give the same results.
//
// Schedule: the reduction runs parallel over output elements; each walks its reduced elements in
// row-major order: the output coordinate p (over the keepdims shape: 1 on reduced axes) plus the
// reduced coordinate l (extent 1 on kept axes) is the input coordinate. No knobs (the generic
// family: the `reduction` trait would give it the reduce family's knobs, which it does not read).

import { isStatic } from '../dim.js';
import type { TensorType } from '../graph.js';
import { KernelStatus } from '../kernel-status.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, alloc, and, binary, cast, eq, ge, ifThen, imm, load, loop, lt, select, seq, store,
  unflatten } from '../tir-build.js';
import type { Stmt } from '../tir.js';
import { INPUT_MISMATCH, prodExpr } from './attrs.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import { REDUCERS, accType, elemValue, finalValue, identityValue, type Reducer } from './reduce.js';
import type { InferCtx, OpDef } from './registry.js';

/** Kernel status of run-time reduction axes out of range or repeated. */
export const AXES_INVALID = KernelStatus.AXES_INVALID;

const ATTRS = { keepdims: attr.flag(1), noopWithEmptyAxes: attr.flag(0) };
type Attrs = AttrValues<typeof ATTRS>;

function inferPlan(ins: readonly (TensorType | null)[], a: Attrs, ctx: InferCtx): TensorType[] {
  const [x, axes] = ins;
  if (!x || !axes) return ctx.fail(INPUT_MISMATCH, 'reduction with run-time axes needs x and axes');
  if ((axes.dtype !== 'int64' && axes.dtype !== 'int32') || axes.shape.length !== 1) {
    ctx.fail(INPUT_MISMATCH, `axes must be a 1-D int32 or int64 tensor, not ${axes.dtype} of rank `
      + `${axes.shape.length}`);
  }
  const r = x.shape.length, k = axes.shape[0];
  if (!a.keepdims && !isStatic(k)) {
    ctx.fail(INPUT_MISMATCH, 'without keepdims the number of axes must be static');
  }
  if (isStatic(k) && k > r) ctx.fail(INPUT_MISMATCH, `${k} axes for an input of rank ${r}`);
  const outRank = a.keepdims ? r : r - (k as number);
  return [{ dtype: 'int64', shape: [r] }, { dtype: 'int64', shape: [outRank] }];
}

/** Checks each axis (in range, not seen before), marks it in the mask, then writes the shape. */
function lowerPlan(ctx: LowerCtx, a: Attrs): Lowering {
  const x = ctx.inputs[0]!, ax = ctx.inputs[1]!, [mask, shape] = ctx.outputs, r = x.shape.length;
  const flags = ctx.scratch('flags', 'int64'), pos = ctx.scratch('pos', 'int64');
  const j = ctx.fresh('j'), v = ctx.fresh('axis');
  const raw = cast(ax.at([j]), 'int64'), norm = select(lt(v, 0), add(v, r), v);
  const mark = Array.from({ length: r }, (_, i) => ifThen(eq(norm, i), seq(
    { kind: 'assert', cond: eq(load(flags, i), 0), code: AXES_INVALID },
    store(flags, i, imm(1)))));
  const writes = Array.from({ length: r }, (_, i): Stmt => {
    const f = load(flags, i);
    const out = a.keepdims ? shape.store([imm(i)], select(eq(f, 1), imm(1), x.shape[i]))
      : ifThen(eq(f, 0), seq(shape.store([load(pos, 0)], x.shape[i]), store(pos, 0, add(load(pos, 0), 1))));
    return seq(mask.store([imm(i)], f), out);
  });
  const body = seq(
    ...Array.from({ length: r }, (_, i) => store(flags, i, imm(0))), store(pos, 0, imm(0)),
    loop(j, ax.shape[0], { kind: 'let', var: v, value: raw, body: seq(
      { kind: 'assert', cond: and(ge(v, -r), lt(v, r)), code: AXES_INVALID }, ...mark) }),
    ...(a.noopWithEmptyAxes ? [] : [ifThen(eq(ax.shape[0], 0),
      seq(...Array.from({ length: r }, (_, i) => store(flags, i, imm(1)))))]),
    ...writes);
  return { kind: 'kernel', body: alloc(flags, Math.max(r, 1), alloc(pos, 1, body)) };
}

function infer(ins: readonly (TensorType | null)[], _a: unknown, ctx: InferCtx): TensorType[] {
  const [x, mask, shape] = ins;
  if (!x || !mask || !shape) return ctx.fail(INPUT_MISMATCH, 'needs x, mask and shape (reduce_axes_plan)');
  const dims = ctx.values(2);
  if (!dims) {
    return ctx.fail(INPUT_MISMATCH, 'the output shape must be a 1-D integer tensor of static length');
  }
  return [{ dtype: x.dtype, shape: [...dims] }];
}

function lower(ctx: LowerCtx, r0: Reducer): Lowering {
  const x = ctx.inputs[0]!, mask = ctx.inputs[1]!, out = ctx.outputs[0], dt = accType(x.dtype);
  const red = x.shape.map((_, i) => binary('ne', mask.at([imm(i)]), imm(0)));
  const keptShape = x.shape.map((d, i) => select(red[i], imm(1), d));
  const redShape = x.shape.map((d, i) => select(red[i], d, imm(1)));
  const p = ctx.fresh('p'), l = ctx.fresh('l'), acc = ctx.scratch('acc', dt);
  const pc = unflatten(p, keptShape), lc = unflatten(l, redShape);
  const n = prodExpr(redShape);
  const body = seq(
    store(acc, 0, imm(identityValue(r0, dt), dt)),
    loop(l, n, store(acc, 0, r0.combine(load(acc, 0),
      elemValue(r0, x.at(pc.map((c, i) => add(c, lc[i]))), dt)))),
    out.store(unflatten(p, out.shape), finalValue(r0, load(acc, 0), n, x.dtype)),
  );
  return { kind: 'kernel', body: loop(p, prodExpr(keptShape), alloc(acc, 1, body), 'parallel') };
}

/** The run-time-axes form of each static reduction: `reduce_sum` -> `reduce_sum_axes`. */
export const axesFormOf = (op: string): string => `${op}_axes`;

export const REDUCE_AXES_OPS: readonly OpDef[] = [
  declareOp({ name: 'reduce_axes_plan', traits: ['opaque'], attrs: ATTRS, infer: inferPlan,
    lower: lowerPlan }),
  ...Object.entries(REDUCERS).map(([name, r]) => declareOp({
    name: axesFormOf(name), traits: ['anchor'], attrs: {}, infer, lower: (ctx) => lower(ctx, r),
  })),
];
