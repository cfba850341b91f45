// Op records that move elements along one axis by a per-batch amount read at run time:
// `reverse_sequence {batchAxis, timeAxis}` [x, lens] (ONNX ReverseSequence: the first lens[b]
// steps of each batch entry reversed, the rest copied) and `tensor_scatter {axis, mode}`
// [past, update, writeIndices?] (ONNX TensorScatter, opset 24: update's steps written into the
// cache from writeIndices[b] on, modulo the cache length when circular).
// Requires: lens / writeIndices int32 or int64 of length batch (axis 0 for tensor_scatter).
// Guarantees: every output element is a gather (one pass, no copy first); a length outside
// [0, T], or a linear write past the cache end, fails the run with INDEX_OUT_OF_RANGE, and every
// load uses a clamped index.

import type { TensorType } from '../graph.js';
import { KernelStatus } from '../kernel-status.js';
import { elementLoops } from '../te-loops.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, and, cast, ge, imm, le, lt, max, min, mod, select, seq, sub } from '../tir-build.js';
import type { Expr, Stmt } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { checkDimEq, INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const REVERSE_ATTRS = {
  batchAxis: attr.int(1, { min: 0, max: 1 }), timeAxis: attr.int(0, { min: 0, max: 1 }),
};
const SCATTER_ATTRS = { axis: attr.axis(-2), mode: attr.oneOf(['linear', 'circular']) };

/** A 1-D integer per-batch input of length `batch`. */
function perBatch(t: TensorType | null, batch: TensorType['shape'][number], what: string, i: number,
  ctx: InferCtx): void {
  if (!t || t.shape.length !== 1 || (t.dtype !== 'int64' && t.dtype !== 'int32')) {
    ctx.fail(INPUT_MISMATCH, `${what} must be a 1-D int32/int64 tensor`);
  }
  checkDimEq(t.shape[0], batch, `${what} length and batch`, ctx, [i]);
}

function inferReverse(ins: readonly (TensorType | null)[], a: AttrValues<typeof REVERSE_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const x = ins[0]!;
  if (x.shape.length < 2) ctx.fail(INPUT_MISMATCH, `reverse_sequence input must have rank >= 2`);
  if (a.batchAxis === a.timeAxis) ctx.fail(INPUT_MISMATCH, 'reverse_sequence batch and time axis coincide');
  perBatch(ins[1], x.shape[a.batchAxis], 'sequence_lens', 1, ctx);
  return [{ dtype: x.dtype, shape: x.shape }];
}

const assertIn = (cond: Expr): Stmt => ({ kind: 'assert', cond, code: KernelStatus.INDEX_OUT_OF_RANGE });

function lowerReverse(ctx: LowerCtx, a: AttrValues<typeof REVERSE_ATTRS>): Lowering {
  const x = ctx.inputs[0]!, lens = ctx.inputs[1]!, out = ctx.outputs[0];
  const T = x.shape[a.timeAxis];
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  return { kind: 'kernel', body: elementLoops(env, out.shape, (idx) => {
    const len = cast(lens.at([idx[a.batchAxis]]), 'int64');
    const safe = max(min(len, T), 0), t = idx[a.timeAxis];
    const src = select(lt(t, safe), sub(sub(safe, 1), t), t);
    return seq(assertIn(and(ge(len, 0), le(len, T))),
      out.store(idx, x.at(idx.map((e, i) => (i === a.timeAxis ? src : e)))));
  }) };
}

function inferTensorScatter(ins: readonly (TensorType | null)[], a: AttrValues<typeof SCATTER_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const past = ins[0]!, upd = ins[1];
  if (!upd || upd.dtype !== past.dtype || upd.shape.length !== past.shape.length) {
    return ctx.fail(INPUT_MISMATCH, 'tensor_scatter update must have the dtype and rank of the cache');
  }
  if (a.axis === 0) ctx.fail(INPUT_MISMATCH, 'tensor_scatter axis must not be the batch axis 0');
  past.shape.forEach((d, i) => {
    if (i !== a.axis) checkDimEq(upd.shape[i], d, `update and cache dim ${i}`, ctx, [1, 0]);
  });
  if (ins[2]) perBatch(ins[2], past.shape[0], 'write_indices', 2, ctx);
  return [{ dtype: past.dtype, shape: past.shape }];
}

function lowerTensorScatter(ctx: LowerCtx, a: AttrValues<typeof SCATTER_ATTRS>): Lowering {
  const [past, upd, w] = ctx.inputs, out = ctx.outputs[0];
  const M = past!.shape[a.axis], S = upd!.shape[a.axis];
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  return { kind: 'kernel', body: elementLoops(env, out.shape, (idx) => {
    const start = w ? cast(w.at([idx[0]]), 'int64') : imm(0), circular = a.mode === 'circular';
    const d = sub(idx[a.axis], start);
    const rel = circular ? mod(add(mod(d, M), M), M) : d;
    const inUpd = and(ge(rel, 0), lt(rel, S));
    const safe = max(min(rel, sub(S, 1)), 0);
    const v = select(inUpd, upd!.at(idx.map((e, i) => (i === a.axis ? safe : e))), past!.at(idx));
    const ok = circular ? and(ge(start, 0), lt(start, M)) : and(ge(start, 0), le(add(start, S), M));
    return seq(assertIn(ok), out.store(idx, v));
  }) };
}

export const INDEX_MAP_OPS: readonly OpDef[] = [
  declareOp({ name: 'reverse_sequence', traits: ['anchor'], attrs: REVERSE_ATTRS, infer: inferReverse,
    lower: lowerReverse }),
  declareOp({ name: 'tensor_scatter', traits: ['anchor'], attrs: SCATTER_ATTRS, infer: inferTensorScatter,
    lower: lowerTensorScatter }),
];
