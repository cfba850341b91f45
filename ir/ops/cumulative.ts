// Op records for running sums and products along an axis: `cum_sum {exclusive, reverse}` and
// `cum_prod {exclusive, reverse}` [x, axis] (ONNX CumSum, CumProd). The axis is a scalar tensor
// read by the kernel at run time (a constant one becomes an immediate), so one kernel serves every
// axis.
// Requires: x of static rank >= 1; axis an int32/int64 tensor of one element.
// Guarantees: out has x's shape and dtype; element k of a line is the sum (product) of elements
// 0..k (exclusive: 0..k-1, the first being 0 or 1), counted from the end with reverse. An axis
// outside [-r, r) fails the run with AXES_INVALID. float16 accumulates in float32.
//
// Schedule: parallel over the lines along the axis (outer x inner positions), each scanned
// serially with a running accumulator: one pass over the data. No knobs (generic family).

import type { TensorType } from '../graph.js';
import { KernelStatus } from '../kernel-status.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, alloc, and, cast, eq, floordiv, ge, imm, load, loop, lt, mod, mul, select, seq,
  store, sub, unflatten } from '../tir-build.js';
import type { BinOp, Expr } from '../tir.js';
import { INPUT_MISMATCH, prodExpr } from './attrs.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const ATTRS = { exclusive: attr.flag(0), reverse: attr.flag(0) };
type CumAttrs = AttrValues<typeof ATTRS>;

const TYPES = new Set(['float32', 'float64', 'float16', 'int32', 'int64', 'uint32', 'uint64']);

function infer(ins: readonly (TensorType | null)[], _a: CumAttrs, ctx: InferCtx): TensorType[] {
  const [x, axis] = ins;
  if (!x || !axis) return ctx.fail(INPUT_MISMATCH, 'needs x and axis');
  if (!TYPES.has(x.dtype)) ctx.fail(INPUT_MISMATCH, `x of dtype ${x.dtype} is not supported`);
  if (x.shape.length === 0) ctx.fail(INPUT_MISMATCH, 'x must have rank >= 1');
  if ((axis.dtype !== 'int32' && axis.dtype !== 'int64') || axis.shape.length > 1
    || (axis.shape.length === 1 && axis.shape[0] !== 1)) {
    ctx.fail(INPUT_MISMATCH, 'axis must be an int32 or int64 scalar');
  }
  return [{ dtype: x.dtype, shape: x.shape }];
}

/** `pick(i)` of the axis i that `a` (normalised) names, as a select chain over the static rank. */
const byAxis = (a: Expr, r: number, pick: (i: number) => Expr): Expr => {
  let e = pick(r - 1);
  for (let i = r - 2; i >= 0; i--) e = select(eq(a, i), pick(i), e);
  return e;
};

function lower(ctx: LowerCtx, a: CumAttrs, op: BinOp): Lowering {
  const x = ctx.inputs[0]!, ax = ctx.inputs[1]!, out = ctx.outputs[0], r = x.shape.length;
  const dt = x.dtype === 'float16' ? 'float32' : x.dtype;
  const p = ctx.fresh('line'), k = ctx.fresh('k');
  const raw = cast(ax.at(ax.shape.map(() => imm(0))), 'int64');
  const norm = select(lt(raw, 0), add(raw, r), raw);
  const L = byAxis(norm, r, (i) => x.shape[i]);
  const inner = byAxis(norm, r, (i) => prodExpr(x.shape.slice(i + 1)));
  const total = prodExpr(x.shape);
  const lines = floordiv(total, select(eq(L, 0), imm(1), L));
  const base = add(mul(mul(floordiv(p, inner), L), inner), mod(p, inner));
  const pos = a.reverse ? sub(sub(L, 1), k) : k;
  const flat = add(base, mul(pos, inner));
  const acc = ctx.scratch('acc', dt);
  const xv = cast(x.at(unflatten(flat, x.shape)), dt);
  const step = op === 'add' ? add(load(acc, 0), xv) : mul(load(acc, 0), xv);
  const body = seq(
    store(acc, 0, imm(op === 'add' ? 0 : 1, dt)),
    loop(k, L, a.exclusive
      ? seq(out.store(unflatten(flat, out.shape), cast(load(acc, 0), out.dtype)), store(acc, 0, step))
      : seq(store(acc, 0, step), out.store(unflatten(flat, out.shape), cast(load(acc, 0), out.dtype)))),
  );
  const lineLoop = loop(p, select(eq(total, 0), imm(0), lines), alloc(acc, 1, body), 'parallel');
  return { kind: 'kernel', body: seq(
    { kind: 'assert', cond: and(ge(raw, -r), lt(raw, r)), code: KernelStatus.AXES_INVALID }, lineLoop) };
}

export const CUMULATIVE_OPS: readonly OpDef[] = [
  declareOp({ name: 'cum_sum', traits: ['opaque'], attrs: ATTRS, infer,
    lower: (ctx, a) => lower(ctx, a, 'add') }),
  declareOp({ name: 'cum_prod', traits: ['opaque'], attrs: ATTRS, infer,
    lower: (ctx, a) => lower(ctx, a, 'mul') }),
];
