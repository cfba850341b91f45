// Op records for indexed writes and N-d gathers: `scatter_elements {axis, reduction}` [data,
// indices, updates] (ONNX ScatterElements, and Scatter before it), `scatter_nd {reduction}`
// [data, indices, updates] (ONNX ScatterND) and `gather_nd {batchDims}` [data, indices] (ONNX
// GatherND).
// Requires: indices int32/int64; scatter_elements: indices and updates of one shape, of data's
// rank; scatter_nd: indices [..., k] with k <= rank(data), updates indices.shape[:-1] +
// data.shape[k:]; gather_nd: the first batchDims dims of data and indices equal.
// Guarantees: negative indices wrap once; an index still outside its dim fails the run with
// INDEX_OUT_OF_RANGE, and every load or store uses a clamped index. Scatters copy data to the
// output, then apply the updates serially in row-major order of the updates (later duplicates win
// with reduction 'none', as onnxruntime does; add/mul/max/min combine), so results do not depend
// on the thread count.
//
// Schedule: the copy and gather_nd run over the output's elements (the default element loop);
// the update pass is serial. No knobs (generic family).

import { Codes } from '../../compiler/diagnostics.js';
import { isStatic, type Dim } from '../dim.js';
import type { TensorType } from '../graph.js';
import { KernelStatus } from '../kernel-status.js';
import { elementLoops } from '../te-loops.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, and, cast, flatIndex, ge, load, loop, lt, max, min, mul, select, seq, store, sub,
  unflatten } from '../tir-build.js';
import type { Expr, Stmt } from '../tir.js';
import { INPUT_MISMATCH, prodExpr, sinkBuffer } from './attrs.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const REDUCTIONS = ['none', 'add', 'mul', 'max', 'min'] as const;
type Reduction = typeof REDUCTIONS[number];

const ELEMENTS_ATTRS = { axis: attr.axis(0), reduction: attr.oneOf(REDUCTIONS) };
const ND_ATTRS = { reduction: attr.oneOf(REDUCTIONS) };
const GATHER_ND_ATTRS = { batchDims: attr.int(0, { min: 0 }) };

function indicesOf(t: TensorType | null, ctx: InferCtx): TensorType {
  if (!t) return ctx.fail(INPUT_MISMATCH, 'missing indices');
  if (t.dtype !== 'int64' && t.dtype !== 'int32') ctx.fail(INPUT_MISMATCH, `indices must be int32 or int64`);
  return t;
}

/** The static last dim k of indices; a symbolic one makes the output rank unknown (KC0305). */
function lastDim(ind: TensorType, ctx: InferCtx): number {
  const k: Dim | undefined = ind.shape[ind.shape.length - 1];
  if (k === undefined) return ctx.fail(INPUT_MISMATCH, 'indices must have rank >= 1');
  if (!isStatic(k)) {
    return ctx.fail(Codes.SYMBOLIC_RANK, 'the last dim of indices is symbolic, so the output rank is not '
      + 'known at compile time');
  }
  return k;
}

function need(t: TensorType | null, what: string, ctx: InferCtx): TensorType {
  return t ?? ctx.fail(INPUT_MISMATCH, `missing ${what}`);
}

function checkUpdates(data: TensorType, upd: TensorType, ctx: InferCtx): void {
  if (upd.dtype !== data.dtype) {
    ctx.fail(INPUT_MISMATCH, `updates dtype ${upd.dtype} differs from ${data.dtype}`);
  }
}

/** Requires `a` and `b` equal dim by dim (the VM checks what cannot be proven). */
function sameDims(a: readonly TensorType['shape'][number][], b: readonly TensorType['shape'][number][],
  what: string, ctx: InferCtx): void {
  if (a.length !== b.length) ctx.fail(INPUT_MISMATCH, `${what}: rank ${b.length} differs from ${a.length}`);
  a.forEach((d, i) => ctx.require([[d, b[i]]], `${what}: dim ${i} is %0, expected %1`, [], [b[i], d]));
}

function inferScatterElements(ins: readonly (TensorType | null)[], _a: AttrValues<typeof ELEMENTS_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const data = need(ins[0], 'data', ctx), ind = indicesOf(ins[1], ctx), upd = need(ins[2], 'updates', ctx);
  checkUpdates(data, upd, ctx);
  if (ind.shape.length !== data.shape.length) {
    ctx.fail(INPUT_MISMATCH, `indices rank ${ind.shape.length} differs from data rank ${data.shape.length}`);
  }
  sameDims(ind.shape, upd.shape, 'updates vs indices', ctx);
  return [{ dtype: data.dtype, shape: data.shape }];
}

function inferScatterNd(ins: readonly (TensorType | null)[], _a: AttrValues<typeof ND_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const data = need(ins[0], 'data', ctx), ind = indicesOf(ins[1], ctx), upd = need(ins[2], 'updates', ctx);
  checkUpdates(data, upd, ctx);
  const k = lastDim(ind, ctx);
  if (k > data.shape.length || k < 1) {
    ctx.fail(INPUT_MISMATCH, 'indices must be [..., k] with a static k in [1, rank(data)]');
  }
  sameDims([...ind.shape.slice(0, -1), ...data.shape.slice(k)], upd.shape, 'updates', ctx);
  return [{ dtype: data.dtype, shape: data.shape }];
}

function inferGatherNd(ins: readonly (TensorType | null)[], a: AttrValues<typeof GATHER_ND_ATTRS>,
  ctx: InferCtx): TensorType[] {
  const data = need(ins[0], 'data', ctx), ind = indicesOf(ins[1], ctx), b = a.batchDims;
  const k = lastDim(ind, ctx);
  if (ind.shape.length < b + 1 || data.shape.length < b) {
    ctx.fail(INPUT_MISMATCH, `batch_dims ${b} too large`);
  }
  if (k < 1 || b + k > data.shape.length) {
    ctx.fail(INPUT_MISMATCH, 'indices must be [..., k] with a static k in [1, rank(data) - batch_dims]');
  }
  sameDims(data.shape.slice(0, b), ind.shape.slice(0, b), 'batch dims of indices', ctx);
  return [{ dtype: data.dtype, shape: [...ind.shape.slice(0, -1), ...data.shape.slice(b + k)] }];
}

/** The wrapped index, an assert that it is in [0, dim), and a clamped copy safe to use. */
function checkedIndex(raw: Expr, dim: Expr): { check: Stmt; safe: Expr } {
  const i0 = cast(raw, 'int64');
  const i = select(lt(i0, 0), add(i0, dim), i0);
  const check: Stmt = { kind: 'assert', cond: and(ge(i, 0), lt(i, dim)),
    code: KernelStatus.INDEX_OUT_OF_RANGE };
  return { check, safe: max(min(i, sub(dim, 1)), 0) };
}

function combine(r: Reduction, old: Expr, v: Expr): Expr {
  switch (r) {
    case 'none': return v;
    case 'add': return add(old, v);
    case 'mul': return mul(old, v);
    case 'max': return max(old, v);
    case 'min': return min(old, v);
  }
}

/** Copies data into the output buffer (which the update pass then reads and writes). */
function copyData(ctx: LowerCtx): Stmt {
  const data = ctx.inputs[0]!, out = ctx.outputs[0];
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  return elementLoops(env, out.shape, (idx) => out.store(idx, data.at(idx)));
}

function lowerScatterElements(ctx: LowerCtx, a: AttrValues<typeof ELEMENTS_ATTRS>): Lowering {
  const ind = ctx.inputs[1]!, upd = ctx.inputs[2]!, out = ctx.outputs[0], buf = sinkBuffer(out);
  const u = ctx.fresh('u'), uc = unflatten(u, ind.shape);
  const { check, safe } = checkedIndex(ind.at(uc), out.shape[a.axis]);
  const at = flatIndex(uc.map((c, i) => (i === a.axis ? safe : c)), out.shape);
  const update = store(buf, at, combine(a.reduction, load(buf, at), upd.at(uc)));
  return { kind: 'kernel', body: seq(copyData(ctx), loop(u, prodExpr(ind.shape), seq(check, update))) };
}

function lowerScatterNd(ctx: LowerCtx, a: AttrValues<typeof ND_ATTRS>): Lowering {
  const ind = ctx.inputs[1]!, upd = ctx.inputs[2]!, out = ctx.outputs[0], buf = sinkBuffer(out);
  const q = ind.shape.length, k = ctx.inTypes[1]!.shape[q - 1] as number;
  const lead = ind.shape.slice(0, -1), rest = out.shape.slice(k);
  const m = ctx.fresh('m'), s = ctx.fresh('s'), mc = unflatten(m, lead), sc = unflatten(s, rest);
  const idx = Array.from({ length: k }, (_, j) => checkedIndex(ind.at([...mc, imm64(j)]), out.shape[j]));
  const at = flatIndex([...idx.map((c) => c.safe), ...sc], out.shape);
  const update = store(buf, at, combine(a.reduction, load(buf, at), upd.at([...mc, ...sc])));
  const body = loop(m, prodExpr(lead), seq(...idx.map((c) => c.check), loop(s, prodExpr(rest), update)));
  return { kind: 'kernel', body: seq(copyData(ctx), body) };
}

function lowerGatherNd(ctx: LowerCtx, a: AttrValues<typeof GATHER_ND_ATTRS>): Lowering {
  const data = ctx.inputs[0]!, ind = ctx.inputs[1]!, out = ctx.outputs[0], b = a.batchDims;
  const q = ind.shape.length, k = ctx.inTypes[1]!.shape[q - 1] as number;
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  const body = elementLoops(env, out.shape, (o) => {
    const lead = o.slice(0, q - 1);
    const idx = Array.from({ length: k },
      (_, j) => checkedIndex(ind.at([...lead, imm64(j)]), data.shape[b + j]));
    const src = [...o.slice(0, b), ...idx.map((c) => c.safe), ...o.slice(q - 1)];
    return seq(...idx.map((c) => c.check), out.store(o, data.at(src)));
  });
  return { kind: 'kernel', body };
}

const imm64 = (v: number): Expr => ({ kind: 'const', dtype: 'int64', value: v });

export const SCATTER_OPS: readonly OpDef[] = [
  declareOp({ name: 'scatter_elements', traits: ['opaque'], attrs: ELEMENTS_ATTRS,
    infer: inferScatterElements, lower: lowerScatterElements }),
  declareOp({ name: 'scatter_nd', traits: ['opaque'], attrs: ND_ATTRS, infer: inferScatterNd,
    lower: lowerScatterNd }),
  declareOp({ name: 'gather_nd', traits: ['anchor'], attrs: GATHER_ND_ATTRS, infer: inferGatherNd,
    lower: lowerGatherNd }),
];
