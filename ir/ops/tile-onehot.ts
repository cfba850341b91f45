// Op records that build tensors by repeating or marking positions: `tile` [x, repeats] (ONNX
// Tile), `eye_like {k, to}` [x] (ONNX EyeLike), `one_hot {axis}` [indices, depth, values] (ONNX
// OneHot) and `hardmax {axis, coerce2d}` [x] (ONNX Hardmax).
// Requires: repeats and depth as integer tensors (ctx.values: constants, shape arithmetic or data
// symbols read at run time); eye_like's input 2-D; one_hot's values a 2-element [off, on] tensor.
// Guarantees: tile's dims are x's dims times the repeats, one_hot's the indices' dims with depth
// inserted at axis: one kernel serves every run-time size. one_hot: an index in [-depth, depth)
// (negative wraps) marks its position with `on`; anything else gives a row of `off`, as ONNX
// says. hardmax: 1 at the first maximum of each line along axis (coerce2d, opsets < 13: of each
// row of the input flattened at axis), 0 elsewhere.
//
// Schedule: tile, eye_like and one_hot are `compute`s (they fuse with their consumers); hardmax is
// parallel over lines, each read twice (find the maximum, then write). No knobs (generic family).

import { type Dim, dimMul } from '../dim.js';
import { ALL_DTYPES } from '../dtype.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, alloc, cast, eq, floordiv, gt, imm, load, loop, lt, mod, mul, select, seq, store, sub,
  unflatten } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { INPUT_MISMATCH, prodExpr } from './attrs.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const INT_TYPES = new Set(['int64', 'int32', 'int16', 'int8', 'uint8', 'uint16', 'uint32', 'uint64']);

function inferTile(ins: readonly (TensorType | null)[], _a: unknown, ctx: InferCtx): TensorType[] {
  const [x, reps] = ins;
  if (!x || !reps) return ctx.fail(INPUT_MISMATCH, 'tile needs x and repeats');
  const r = ctx.values(1);
  if (!r || !INT_TYPES.has(reps.dtype)) {
    return ctx.fail(INPUT_MISMATCH, 'repeats must be a 1-D integer tensor of static length');
  }
  if (r.length !== x.shape.length) {
    ctx.fail(INPUT_MISMATCH, `repeats has ${r.length} entries for an input of rank ${x.shape.length}`);
  }
  for (const v of r) if (typeof v === 'number' && v < 0) ctx.fail(INPUT_MISMATCH, `repeat ${v} is negative`);
  return [{ dtype: x.dtype, shape: x.shape.map((d, i) => dimMul(d, r[i])) }];
}

const lowerTile = (ctx: LowerCtx): Lowering => {
  const x = ctx.inputs[0]!;
  return { kind: 'compute', at: (idx) => x.at(idx.map((c, i) => mod(c, x.shape[i]))) };
};

const EYE_ATTRS = { k: attr.int(0), to: attr.optional(attr.oneOf(ALL_DTYPES, null)) };

function inferEye(ins: readonly (TensorType | null)[], a: AttrValues<typeof EYE_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const x = ins[0];
  if (!x || x.shape.length !== 2) return ctx.fail(INPUT_MISMATCH, 'eye_like needs a 2-D input');
  return [{ dtype: a.to ?? x.dtype, shape: x.shape }];
}

const lowerEye = (ctx: LowerCtx, a: AttrValues<typeof EYE_ATTRS>): Lowering => {
  const dt = ctx.outputs[0].dtype;
  return { kind: 'compute', at: (idx) => select(eq(sub(idx[1], idx[0]), a.k), imm(1, dt), imm(0, dt)) };
};

const ONE_HOT_ATTRS = { axis: attr.axis(-1, 0, 1) };

function inferOneHot(ins: readonly (TensorType | null)[], a: AttrValues<typeof ONE_HOT_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const [ind, depth, values] = ins;
  if (!ind || !depth || !values) return ctx.fail(INPUT_MISMATCH, 'one_hot needs indices, depth and values');
  const d = ctx.values(1);
  if (!d || d.length !== 1) return ctx.fail(INPUT_MISMATCH, 'depth must be an integer tensor of one element');
  if (values.shape.length !== 1) {
    ctx.fail(INPUT_MISMATCH, 'values must be a 1-D tensor of 2 elements [off, on]');
  }
  ctx.require([[values.shape[0], 2]], 'values has %0 elements, expected 2 [off, on]', [], [values.shape[0]]);
  const shape: Dim[] = [...ind.shape];
  shape.splice(a.axis, 0, d[0]);
  return [{ dtype: values.dtype, shape }];
}

const lowerOneHot = (ctx: LowerCtx, a: AttrValues<typeof ONE_HOT_ATTRS>): Lowering => {
  const [ind, , values] = ctx.inputs, depth = ctx.outputs[0].shape[a.axis];
  return { kind: 'compute', at: (idx) => {
    const raw = ind!.at(idx.filter((_, k) => k !== a.axis));
    const i0 = cast(raw, 'int64'); // float indices (OneHot allows them) truncate
    const i = select(lt(i0, 0), add(i0, depth), i0);
    return select(eq(i, idx[a.axis]), values!.at([imm(1)]), values!.at([imm(0)]));
  } };
};

const HARDMAX_ATTRS = { axis: attr.axis(-1), coerce2d: attr.flag(0) };

function inferHardmax(ins: readonly (TensorType | null)[], _a: AttrValues<typeof HARDMAX_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const x = ins[0];
  if (!x || x.shape.length === 0) return ctx.fail(INPUT_MISMATCH, 'hardmax needs an input of rank >= 1');
  if (!x.dtype.startsWith('float')) ctx.fail(INPUT_MISMATCH, `hardmax needs a float input, not ${x.dtype}`);
  return [{ dtype: x.dtype, shape: x.shape }];
}

function lowerHardmax(ctx: LowerCtx, a: AttrValues<typeof HARDMAX_ATTRS>): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0], s = x.shape, dt = x.dtype;
  const L = a.coerce2d ? prodExpr(s.slice(a.axis)) : s[a.axis];
  const inner = a.coerce2d ? imm(1) : prodExpr(s.slice(a.axis + 1));
  const lines = mul(prodExpr(s.slice(0, a.axis)), inner);
  const p = ctx.fresh('line'), l = ctx.fresh('l'), l2 = ctx.fresh('l');
  const best = ctx.scratch('best', dt), bi = ctx.scratch('bi', 'int64');
  const flat = (k: Expr) => add(add(mul(mul(floordiv(p, inner), L), inner), mod(p, inner)), mul(k, inner));
  const xv = x.at(unflatten(flat(l), s));
  const body = seq(
    store(best, 0, x.at(unflatten(flat(imm(0)), s))), store(bi, 0, imm(0)),
    loop(l, sub(L, 1), seq(
      store(bi, 0, select(gt(xv, load(best, 0)), l, load(bi, 0))),
      store(best, 0, select(gt(xv, load(best, 0)), xv, load(best, 0)))), 'serial', 1),
    loop(l2, L, out.store(unflatten(flat(l2), out.shape),
      select(eq(l2, load(bi, 0)), imm(1, dt), imm(0, dt)))),
  );
  return { kind: 'kernel', body: loop(p, select(eq(L, 0), imm(0), lines), alloc(best, 1, alloc(bi, 1, body)),
    'parallel') };
}

export const TILE_ONEHOT_OPS: readonly OpDef[] = [
  declareOp({ name: 'tile', traits: ['injective'], attrs: {}, infer: inferTile, lower: lowerTile }),
  declareOp({ name: 'eye_like', traits: ['injective'], attrs: EYE_ATTRS, infer: inferEye, lower: lowerEye }),
  declareOp({ name: 'one_hot', traits: ['injective'], attrs: ONE_HOT_ATTRS, infer: inferOneHot,
    lower: lowerOneHot }),
  declareOp({ name: 'hardmax', traits: ['opaque'], attrs: HARDMAX_ATTRS, infer: inferHardmax,
    lower: lowerHardmax }),
];
