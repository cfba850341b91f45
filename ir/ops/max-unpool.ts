// Op record `max_unpool {kernel, strides, pads}` [x, indices, outputShape?] (ONNX MaxUnpool):
// zeros, with each x[e] written at indices[e], a flat index into the unpooled tensor [N, C,
// (X_i - 1) * stride_i + kernel_i - pad_begin_i - pad_end_i ...] (MaxPool's Indices of it). A
// given outputShape (it may be larger: the extra rows and columns stay 0) places each index at
// the same coordinates in the larger tensor, as onnxruntime does.
// Requires: indices int64 of x's shape. Guarantees: an index outside the unpooled tensor, or
// coordinates outside outputShape, fail the run with INDEX_OUT_OF_RANGE; every store is clamped
// into the output. Later duplicates win (serial, in x's order).
//
// Schedule: a parallel zero fill over the output, then one serial scatter pass. No knobs.

import { type Dim, dimAdd, dimMul, dimSub } from '../dim.js';
import type { TensorType } from '../graph.js';
import { KernelStatus } from '../kernel-status.js';
import { elementLoops } from '../te-loops.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, and, cast, flatIndex, ge, imm, loop, lt, max, min, mul, seq, store, sub, unflatten }
  from '../tir-build.js';
import type { Expr } from '../tir.js';
import type { AttrValues } from './attr-schema.js';
import { checkDimEq, INPUT_MISMATCH, prodExpr, sinkBuffer, WINDOW_ATTRS } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const UNPOOL_ATTRS = { kernel: WINDOW_ATTRS.kernel, strides: WINDOW_ATTRS.strides, pads: WINDOW_ATTRS.pads };
type UnpoolAttrs = AttrValues<typeof UNPOOL_ATTRS>;

/** The unpooled shape of x's dims (numbers, dims or expressions, by `ops`). */
function unpooled<T>(xs: readonly T[], a: UnpoolAttrs, ops: { add: (p: T, q: number) => T;
  mulSub: (p: T, s: number) => T }): T[] {
  const k = a.kernel.length;
  return xs.map((d, i) => (i < 2 ? d : ops.add(ops.mulSub(d, a.strides[i - 2]),
    a.kernel[i - 2] - a.pads[i - 2] - a.pads[i - 2 + k])));
}

function inferUnpool(ins: readonly (TensorType | null)[], a: UnpoolAttrs, ctx: InferCtx): TensorType[] {
  const x = ins[0]!, ind = ins[1];
  const r = x.shape.length;
  if (r < 3 || a.kernel.length !== r - 2 || a.strides.length !== r - 2 || a.pads.length !== 2 * (r - 2)) {
    return ctx.fail(INPUT_MISMATCH, `max_unpool window attributes must span the ${r - 2} spatial axes`);
  }
  if (!ind || ind.dtype !== 'int64' || ind.shape.length !== r) {
    return ctx.fail(INPUT_MISMATCH, 'max_unpool indices must be int64 of the input\'s rank');
  }
  ind.shape.forEach((d, i) => checkDimEq(d, x.shape[i], `indices and input dim ${i}`, ctx, [1, 0]));
  if (ins[2]) {
    const given = ctx.values(2);
    if (given?.length !== r) return ctx.fail(INPUT_MISMATCH, `max_unpool output_shape must have ${r} values`);
    return [{ dtype: x.dtype, shape: [...given] }];
  }
  const shape = unpooled<Dim>(x.shape, a,
    { add: (p, q) => dimAdd(p, q), mulSub: (p, s) => dimMul(dimSub(p, 1), s) });
  return [{ dtype: x.dtype, shape }];
}

function lowerUnpool(ctx: LowerCtx, a: UnpoolAttrs): Lowering {
  const x = ctx.inputs[0]!, ind = ctx.inputs[1]!, out = ctx.outputs[0], buf = sinkBuffer(out);
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  const zero = elementLoops(env, out.shape, (idx) => out.store(idx, imm(0, out.dtype)));
  const inner = unpooled<Expr>(x.shape, a, { add: (p, q) => add(p, q), mulSub: (p, s) => mul(sub(p, 1), s) });
  const e = ctx.fresh('e'), ec = unflatten(e, x.shape);
  const flat = cast(ind.at(ec), 'int64');
  const total = prodExpr(inner);
  const coords = unflatten(max(min(flat, sub(total, 1)), 0), inner);
  const fits = coords.map((c, i) => lt(c, out.shape[i])).reduce((p, q) => and(p, q));
  const ok = and(and(ge(flat, 0), lt(flat, total)), fits);
  const at = flatIndex(coords.map((c, i) => min(c, sub(out.shape[i], 1))), out.shape);
  const check = { kind: 'assert' as const, cond: ok, code: KernelStatus.INDEX_OUT_OF_RANGE };
  const scatter = loop(e, prodExpr(x.shape), seq(check, store(buf, at, x.at(ec))));
  return { kind: 'kernel', body: seq(zero, scatter) };
}

export const MAX_UNPOOL_OPS: readonly OpDef[] = [
  declareOp({ name: 'max_unpool', traits: ['opaque'], attrs: UNPOOL_ATTRS, infer: inferUnpool,
    lower: lowerUnpool }),
];
