// Op records for indexing by tensors: `gather {axis}` (ONNX Gather) and `gather_elements {axis}`
// (ONNX GatherElements).
// Requires: indices int32 or int64. The axis is declared once (GATHER_ATTRS: default 0,
// normalised against the data's rank).
// Guarantees: negative indices wrap once (i + dim); an index still outside [0, dim) fails the
// run cleanly with a tir `assert` (status INDEX_OUT_OF_RANGE), and the index used for the load is
// clamped into range so speculative or masked loads never leave the buffer. Gather on a tensor of
// known contents (a shape) with constant indices gets known contents too (TensorType.elems), so
// Shape -> Gather -> Unsqueeze -> Concat -> Reshape chains stay shape arithmetic, never kernels.
// Both lower to a `kernel` (the asserts need statements) over the output's elements with the
// default element loop; fused elementwise consumers run in its stores.

import { type Dim, dimMin, isStatic } from '../dim.js';
import type { TensorType } from '../graph.js';
import { elementLoops } from '../te-loops.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, and, cast, ge, lt, max, min, select, seq, sub } from '../tir-build.js';
import type { Expr, Stmt } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { ATTR_RANGE, INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';
import { KernelStatus } from '../kernel-status.js';

/** Kernel status of a gather whose index is out of range after wrapping. */
export const INDEX_OUT_OF_RANGE = KernelStatus.INDEX_OUT_OF_RANGE;

const INDEX_TYPES = new Set(['int32', 'int64']);

/** The gathered axis of the data (input 0). */
const GATHER_ATTRS = { axis: attr.axis(0) };
type GatherAttrs = AttrValues<typeof GATHER_ATTRS>;

function indicesOf(ins: readonly (TensorType | null)[], ctx: InferCtx): [TensorType, TensorType] {
  const [x, ind] = ins;
  if (!x || !ind) return ctx.fail(INPUT_MISMATCH, 'needs data and indices');
  if (!INDEX_TYPES.has(ind.dtype)) ctx.fail(INPUT_MISMATCH, `indices must be int32/int64, got ${ind.dtype}`);
  if (x.shape.length === 0) ctx.fail(INPUT_MISMATCH, 'data must have rank >= 1');
  return [x, ind];
}

/** Known contents of gather(x, indices) when x is a known 1-D tensor and the indices constant. */
function gatherElems(x: TensorType, ind: TensorType, ctx: InferCtx): Dim[] | undefined {
  if (x.shape.length !== 1 || ind.shape.length > 1) return undefined;
  if (!x.elems && !ctx.constant(0)) return undefined;
  const xs = ctx.values(0), is = ctx.values(1);
  if (!xs || !is || !is.every(isStatic)) return undefined;
  return (is as number[]).map((i) => {
    const k = i < 0 ? i + xs.length : i;
    if (k < 0 || k >= xs.length) ctx.fail(ATTR_RANGE, `index ${i} out of range for length ${xs.length}`);
    return xs[k];
  });
}

function inferGather(ins: readonly (TensorType | null)[], { axis }: GatherAttrs,
  ctx: InferCtx): TensorType[] {
  const [x, ind] = indicesOf(ins, ctx);
  const shape = [...x.shape.slice(0, axis), ...ind.shape, ...x.shape.slice(axis + 1)];
  const elems = axis === 0 ? gatherElems(x, ind, ctx) : undefined;
  return [elems ? { dtype: x.dtype, shape, elems } : { dtype: x.dtype, shape }];
}

function inferGatherElements(ins: readonly (TensorType | null)[], { axis }: GatherAttrs,
  ctx: InferCtx): TensorType[] {
  const [x, ind] = indicesOf(ins, ctx);
  if (ind.shape.length !== x.shape.length) {
    ctx.fail(INPUT_MISMATCH, `indices rank ${ind.shape.length} differs from data rank ${x.shape.length}`);
  }
  // Off the axis the kernel reads data at the output's coordinates: indices may not be larger.
  ind.shape.forEach((d, k) => {
    if (k === axis) return;
    ctx.require([[dimMin(d, x.shape[k]), d]], `indices $1 exceed data $0 on axis ${k}`, [0, 1]);
  });
  return [{ dtype: x.dtype, shape: ind.shape }];
}

/** The wrapped index, an assert that it is in [0, dim), and a clamped copy safe to load with. */
function checkedIndex(raw: Expr, dim: Expr): { check: Stmt; safe: Expr } {
  const i0 = cast(raw, 'int64');
  const i = select(lt(i0, 0), add(i0, dim), i0);
  const check: Stmt = { kind: 'assert', cond: and(ge(i, 0), lt(i, dim)), code: INDEX_OUT_OF_RANGE };
  return { check, safe: max(min(i, sub(dim, 1)), 0) };
}

function lowerGather(ctx: LowerCtx, { axis }: GatherAttrs): Lowering {
  const [x, ind] = [ctx.inputs[0]!, ctx.inputs[1]!], out = ctx.outputs[0];
  const q = ind.shape.length;
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  const body = elementLoops(env, out.shape, (idx) => {
    const { check, safe } = checkedIndex(ind.at(idx.slice(axis, axis + q)), x.shape[axis]);
    const src = [...idx.slice(0, axis), safe, ...idx.slice(axis + q)];
    return seq(check, out.store(idx, x.at(src)));
  });
  return { kind: 'kernel', body };
}

function lowerGatherElements(ctx: LowerCtx, { axis }: GatherAttrs): Lowering {
  const [x, ind] = [ctx.inputs[0]!, ctx.inputs[1]!], out = ctx.outputs[0];
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  const body = elementLoops(env, out.shape, (idx) => {
    const { check, safe } = checkedIndex(ind.at(idx), x.shape[axis]);
    return seq(check, out.store(idx, x.at(idx.map((e, k) => (k === axis ? safe : e)))));
  });
  return { kind: 'kernel', body };
}

export const GATHER_OPS: readonly OpDef[] = [
  declareOp({ name: 'gather', traits: ['anchor'], attrs: GATHER_ATTRS, infer: inferGather,
    lower: lowerGather }),
  declareOp({ name: 'gather_elements', traits: ['anchor'], attrs: GATHER_ATTRS, infer: inferGatherElements,
    lower: lowerGatherElements }),
];
