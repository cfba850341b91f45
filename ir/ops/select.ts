// Op records for operators whose output shapes depend on data: NonZero, Compress, TopK (k given
// as a run-time tensor) and Unique.
//
// Mechanism — shape function before allocation, as a separate kernel (DESIGN.md decision 2).
// The ONNX frontend (compiler/frontend/onnx/ops/select.ts) splits each op into
//   (1) a counting node whose kernel writes the data-dependent size into an int64 scalar tensor
//       (`nonzero_count`, `compress_count`, `unique_count`; for TopK the k input itself, or
//       `to_scalar_int` of it when its length is not known at compile time), and
//   (2) the op proper, which takes that count as an extra input. Its `infer` reads it with
//       ctx.values(i): a number for a constant, otherwise a data symbol (`@<id>.0`, ir/dim.ts),
//       so the output shape is e.g. [rank(x), @count]. The VM reads the count with `load_int`
//       right after the counting kernel (compiler/lower/program.ts), allocates every output at
//       exactly its size, and the op's kernel fills it. Nothing is allocated for an upper bound.
// Kernels never trust the count blindly: every write into a count-sized output is guarded by
// `pos < count`, so a disagreement could only leave elements unwritten, never write outside.
//
// Sorting is a real O(n log n) stable bottom-up merge sort of int64 *indices* (keys are compared
// through loads of x), ping-ponging between two index buffers: Unique sorts all n slices; TopK
// first selects the k best of each row with a binary heap (O(L log k), one comparison per
// element in the common case) and merge-sorts only those k. tir has no
// kernel-local buffers of run-time size, so both index buffers are extra outputs of the sorting
// op (graph values the VM allocates at the input's size; the frontend never exposes them). They
// are read back through `sinkBuffer`, which requires the sink to be a plain store: ops with more
// than one output never take a fused epilogue (compiler/passes/fuse.ts), and sinkBuffer throws if
// that ever changes. Ties go to the lower index, as ONNX says: by stability in Unique's sort, by
// comparing "key, then index" in TopK's heap and final sort.
//
// Ops (attributes declared below: an absent axis means "x flattened", written -1 inside this file;
// a given one is normalised, non-negative):
//   nonzero_count [x] -> int64[]            nonzero [x, count] -> int64[rank, count]
//   compress_count {axis} [x, cond] -> int64[]
//   compress {axis} [x, cond, count] -> x with axis extent `count` ([count] when flattened)
//   to_scalar_int [t] -> int64[]            (element 0 of a one-element integer tensor)
//   top_k {axis, largest} [x, k] -> values, indices (axis extent k), scratch A, B (int64, x.shape)
//   unique_sort {axis} [x] -> perm int64[n] (stable order of the n slices), scratch int64[n]
//   unique_count {axis} [x, perm] -> int64[]  (number of distinct slices)
//   unique {axis, sorted} [x, perm, count] -> Y, indices[count], inverse[n], counts[count]
//                                             (+ rep, id, cnt int64[n] scratch when sorted=0)
// Run-time checks (tir `assert`, clean KR0202 failure): top_k k outside [0, axis extent] ->
// status TOPK_K_OUT_OF_RANGE; to_scalar_int of a tensor that does not hold exactly one element ->
// status NOT_A_SCALAR.
// Parallelism: top_k runs rows in parallel (each row selected and sorted serially); compress runs the
// slices before the axis in parallel; the counting kernels, nonzero and unique are serial scans
// (a prefix scan over the data), which is what they are.
// NaN keys: TopK puts NaN above every number (keyAbove); Unique: neither less nor greater than any.

import { type Dim, dimEq, dimProduct, isStatic } from '../dim.js';
import { type DType, isFloat } from '../dtype.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import {
  add, alloc, and, binary, cast, eq, floordiv, ge, gt, ifThen, imm, letIn, load, loop, lt, min, mod, mul,
  select, seq, store, sub, unary, unflatten,
} from '../tir-build.js';
import type { Buffer, Expr, Stmt } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { ATTR_RANGE, INPUT_MISMATCH, prodExpr, sinkBuffer } from './attrs.js';
import { declareOp } from './declare.js';
import {
  type Layout, layoutOf, mergeSort, outIdx, sliceCmp, xAt, xFlat,
} from './select-sort.js';
import type { InferCtx, OpDef } from './registry.js';
import { KernelStatus } from '../kernel-status.js';

export const { TOPK_K_OUT_OF_RANGE, NOT_A_SCALAR } = KernelStatus;

const ne0 = (a: Expr, b: Expr | number): Expr => binary('ne', a, b);
const or = (a: Expr, b: Expr): Expr => binary('or', a, b);
const I = (v: number): Expr => imm(v);

// ---- shape relations --------------------------------------------------------------------------

function need(t: TensorType | null, what: string, ctx: InferCtx): TensorType {
  return t ?? ctx.fail(INPUT_MISMATCH, `missing ${what}`);
}

/** The count input `i` as a dim (number or data symbol). */
function countDim(i: number, ctx: InferCtx): Dim {
  const v = ctx.values(i);
  if (!v || v.length !== 1) return ctx.fail(INPUT_MISMATCH,
    `input ${i} must be a one-element integer tensor`);
  if (isStatic(v[0]) && v[0] < 0) ctx.fail(ATTR_RANGE, `count ${v[0]} is negative`);
  return v[0];
}

/** Compress and unique: the axis of x, or absent for x flattened. */
const SLICES_ATTRS = { axis: attr.optional(attr.axis()) };
type SlicesAttrs = AttrValues<typeof SLICES_ATTRS>;
const UNIQUE_ATTRS = { ...SLICES_ATTRS, sorted: attr.int(1) };
type UniqueAttrs = AttrValues<typeof UNIQUE_ATTRS>;
const TOPK_ATTRS = { axis: attr.axis(-1), largest: attr.int(1) };
type TopKAttrs = AttrValues<typeof TOPK_ATTRS>;

/** The axis as this file's layouts take it: -1 for x flattened. */
const axisOf = (a: SlicesAttrs): number => a.axis ?? -1;

const SCALAR_I64: TensorType = { dtype: 'int64', shape: [] };

/** The shape with the axis extent replaced (or [n] when flattened). */
const withAxis = (shape: readonly Dim[], axis: number, n: Dim): Dim[] =>
  (axis < 0 ? [n] : shape.map((d, i) => (i === axis ? n : d)));

/** Number of slices along `axis` (elements when flattened). */
const sliceCount = (shape: readonly Dim[], axis: number): Dim => (axis < 0 ? dimProduct(shape) : shape[axis]);

function inferNonzeroCount(ins: readonly (TensorType | null)[], _a: unknown, ctx: InferCtx): TensorType[] {
  need(ins[0], 'x', ctx);
  return [SCALAR_I64];
}

function inferNonzero(ins: readonly (TensorType | null)[], _a: unknown, ctx: InferCtx): TensorType[] {
  const x = need(ins[0], 'x', ctx);
  return [{ dtype: 'int64', shape: [Math.max(x.shape.length, 1), countDim(1, ctx)] }];
}

function condOf(ins: readonly (TensorType | null)[], ctx: InferCtx): TensorType {
  const c = need(ins[1], 'condition', ctx);
  if (c.shape.length !== 1) ctx.fail(INPUT_MISMATCH, `condition must be 1-D, got rank ${c.shape.length}`);
  return c;
}

function inferCompressCount(ins: readonly (TensorType | null)[], _a: SlicesAttrs,
  ctx: InferCtx): TensorType[] {
  need(ins[0], 'x', ctx);
  condOf(ins, ctx);
  return [SCALAR_I64];
}

function inferCompress(ins: readonly (TensorType | null)[], a: SlicesAttrs, ctx: InferCtx): TensorType[] {
  const x = need(ins[0], 'x', ctx);
  const axis = axisOf(a);
  condOf(ins, ctx);
  return [{ dtype: x.dtype, shape: withAxis(x.shape, axis, countDim(2, ctx)) }];
}

function inferToScalar(ins: readonly (TensorType | null)[], _a: unknown, ctx: InferCtx): TensorType[] {
  const t = need(ins[0], 'tensor', ctx);
  if (!['int64', 'int32'].includes(t.dtype)) ctx.fail(INPUT_MISMATCH, `expected int32/int64, got ${t.dtype}`);
  return [SCALAR_I64];
}

function inferTopK(ins: readonly (TensorType | null)[], { axis }: TopKAttrs, ctx: InferCtx): TensorType[] {
  const x = need(ins[0], 'x', ctx);
  if (x.shape.length === 0) ctx.fail(INPUT_MISMATCH, 'top_k needs rank >= 1');
  const k = countDim(1, ctx), L = x.shape[axis];
  if (isStatic(k) && isStatic(L) && k > L) ctx.fail(ATTR_RANGE, `k = ${k} exceeds the axis extent ${L}`);
  const shape = withAxis(x.shape, axis, k);
  return [{ dtype: x.dtype, shape }, { dtype: 'int64', shape },
    { dtype: 'int64', shape: x.shape }, { dtype: 'int64', shape: x.shape }];
}

function inferUniqueSort(ins: readonly (TensorType | null)[], a: SlicesAttrs, ctx: InferCtx): TensorType[] {
  const x = need(ins[0], 'x', ctx);
  const n = sliceCount(x.shape, axisOf(a));
  return [{ dtype: 'int64', shape: [n] }, { dtype: 'int64', shape: [n] }];
}

function permOf(ins: readonly (TensorType | null)[], x: TensorType, axis: number, ctx: InferCtx): Dim {
  const p = need(ins[1], 'perm', ctx), n = sliceCount(x.shape, axis);
  if (p.dtype !== 'int64' || p.shape.length !== 1 || !dimEq(p.shape[0], n)) {
    ctx.fail(INPUT_MISMATCH, 'perm must be int64 with one entry per slice');
  }
  return n;
}

function inferUniqueCount(ins: readonly (TensorType | null)[], a: SlicesAttrs, ctx: InferCtx): TensorType[] {
  const x = need(ins[0], 'x', ctx);
  permOf(ins, x, axisOf(a), ctx);
  return [SCALAR_I64];
}

function inferUnique(ins: readonly (TensorType | null)[], a: UniqueAttrs, ctx: InferCtx): TensorType[] {
  const x = need(ins[0], 'x', ctx);
  const axis = axisOf(a);
  const n = permOf(ins, x, axis, ctx), c = countDim(2, ctx);
  const outs: TensorType[] = [{ dtype: x.dtype, shape: withAxis(x.shape, axis, c) },
    { dtype: 'int64', shape: [c] }, { dtype: 'int64', shape: [n] }, { dtype: 'int64', shape: [c] }];
  if (a.sorted === 0) for (let k = 0; k < 3; k++) outs.push({ dtype: 'int64',
    shape: [n] });
  return outs;
}

// ---- lowerings --------------------------------------------------------------------------------

const nonzeroOf = (v: Expr): Expr => ne0(v, imm(0, v.dtype));

function lowerNonzeroCount(ctx: LowerCtx): Lowering {
  const x = ctx.inputs[0]!, acc = ctx.scratch('acc', 'int64'), i = ctx.fresh('i');
  const body = alloc(acc, 1, seq(
    store(acc, 0, I(0)),
    loop(i, prodExpr(x.shape), store(acc, 0, add(load(acc, 0), cast(nonzeroOf(xFlat(x, i)), 'int64')))),
    ctx.outputs[0].store([], load(acc, 0)),
  ));
  return { kind: 'kernel', body };
}

function lowerNonzero(ctx: LowerCtx): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0], count = out.shape[1];
  const pos = ctx.scratch('pos', 'int64'), i = ctx.fresh('i'), p = ctx.fresh('p');
  const shape = x.shape.length ? x.shape : [I(1)];
  const coords = unflatten(i, shape);
  const body = alloc(pos, 1, seq(
    store(pos, 0, I(0)),
    loop(i, prodExpr(x.shape), letIn(p, load(pos, 0), ifThen(and(nonzeroOf(xFlat(x, i)), lt(p, count)), seq(
      ...coords.map((c, d) => out.store([I(d), p], c)),
      store(pos, 0, add(p, 1)),
    )))),
  ));
  return { kind: 'kernel', body };
}

/** Slices compress reads: min(len(cond), slice count). */
function compressExtent(ctx: LowerCtx, y: Layout): Expr {
  return min(ctx.inputs[1]!.shape[0], y.L);
}

function lowerCompressCount(ctx: LowerCtx, a: SlicesAttrs): Lowering {
  const y = layoutOf(ctx.inputs[0]!, axisOf(a)), cond = ctx.inputs[1]!;
  const acc = ctx.scratch('acc', 'int64'), i = ctx.fresh('i');
  const body = alloc(acc, 1, seq(
    store(acc, 0, I(0)),
    loop(i, compressExtent(ctx, y), store(acc, 0, add(load(acc, 0), cast(nonzeroOf(cond.at([i])), 'int64')))),
    ctx.outputs[0].store([], load(acc, 0)),
  ));
  return { kind: 'kernel', body };
}

function lowerCompress(ctx: LowerCtx, a: SlicesAttrs): Lowering {
  const axis = axisOf(a);
  const y = layoutOf(ctx.inputs[0]!, axis), cond = ctx.inputs[1]!, out = ctx.outputs[0];
  const count = y.flat ? out.shape[0] : out.shape[axis];
  const pos = ctx.scratch('pos', 'int64');
  const [o, i, j, p] = [ctx.fresh('o'), ctx.fresh('i'), ctx.fresh('j'), ctx.fresh('p')];
  const copy = loop(j, y.inner, out.store(outIdx(y, o, p, j), xAt(y, o, i, j)));
  const row = alloc(pos, 1, seq(
    store(pos, 0, I(0)),
    loop(i, compressExtent(ctx, y),
      letIn(p, load(pos, 0), ifThen(and(nonzeroOf(cond.at([i])), lt(p, count)), seq(
      copy, store(pos, 0, add(p, 1)),
    )))),
  ));
  return { kind: 'kernel', body: loop(o, y.outer, row, 'parallel') };
}

function lowerToScalar(ctx: LowerCtx): Lowering {
  const t = ctx.inputs[0]!;
  const n = prodExpr(t.shape);
  return {
    kind: 'kernel',
    body: seq({ kind: 'assert', cond: eq(n, 1), code: NOT_A_SCALAR },
      ctx.outputs[0].store([], cast(t.at(t.shape.map(() => I(0))), 'int64'))),
  };
}

/** `a` strictly above `b` in TopK's key order: NaN above any number (numpy's sort, torch.topk); NaNs
 * tie by index. onnxruntime agrees on [1,NaN,3,2,5,4,0,0] (top 3: NaN, 5, 4) but has no NaN order. */
const keyAbove = (d: DType) => (a: Expr, b: Expr): Expr =>
  (isFloat(d) ? or(gt(a, b), and(unary('isnan', a), unary('not', unary('isnan', b)))) : gt(a, b));

/**
 * top_k, per row: a binary heap of the k best indices (root = the worst of them) under the total
 * order "key, then index" selects the top k in O(L log k) with one comparison per element in the
 * common case; the k survivors are then merge-sorted by the same order. Heap and merge buffers
 * are the row's first k entries of the scratch outputs A and B.
 */
function lowerTopK(ctx: LowerCtx, a: TopKAttrs): Lowering {
  const x = ctx.inputs[0]!, axis = a.axis;
  const largest = a.largest !== 0;
  const y = layoutOf(x, axis);
  const [vals, idxs] = ctx.outputs;
  const A = sinkBuffer(ctx.outputs[2]), B = sinkBuffer(ctx.outputs[3]);
  const k = vals.shape[axis];
  const [row, r, q, l] = [ctx.fresh('row'), ctx.fresh('r'), ctx.fresh('q'), ctx.fresh('l')];
  const o = floordiv(row, y.inner), j = mod(row, y.inner);
  const pos = (i: Expr): Expr => add(mul(add(mul(o, y.L), i), y.inner), j);
  const st = ctx.scratch('st', 'int64');
  const [M, CUR, D, W] = [4, 5, 6, 7];
  const key = (p: Expr): Expr => xAt(y, o, p, j);
  const above = keyAbove(x.dtype);
  /** Total order: -1 when p comes first (better key, or equal key and lower index), else 1. */
  const total = (p: Expr, q2: Expr): Expr => {
    const a = key(p), b = key(q2);
    const [first, second] = largest ? [above(a, b), above(b, a)] : [above(b, a), above(a, b)];
    return select(first, I(-1), select(second, I(1), select(lt(p, q2), I(-1), I(1))));
  };
  const worse = (p: Expr, q2: Expr): Expr => gt(total(p, q2), 0);
  const at = (i: Expr): Expr => load(A, pos(i));
  const last = sub(k, 1);
  const swap = (a: Expr, b: Expr, pa: Expr, pb: Expr): Stmt => seq(store(A, pos(a), pb),
    store(A, pos(b), pa));
  const siftUp = (): Stmt => {
    const [step, c, par, pc, pp] = ['step', 'c', 'par', 'pc', 'pp'].map((h) => ctx.fresh(h));
    return loop(step, load(st, D), letIn(c, load(st, CUR), ifThen(gt(c, 0),
      letIn(par, floordiv(sub(c, 1), 2), letIn(pc, at(c), letIn(pp, at(par),
        ifThen(worse(pc, pp), seq(swap(c, par, pc, pp), store(st, CUR, par)), store(st, CUR, I(0)))))))));
  };
  const siftDown = (): Stmt => {
    const [step, c, lc, rc, w, pw, pc] = ['step', 'c', 'lc', 'rc', 'w', 'pw', 'pc'].map((h) => ctx.fresh(h));
    return loop(step, load(st, D), letIn(c, load(st, CUR), ifThen(ge(c, 0),
      letIn(lc, add(mul(c, 2), 1), letIn(rc, add(mul(c, 2), 2),
        letIn(w, select(and(lt(rc, k), worse(at(min(rc, last)), at(min(lc, last)))), rc, lc),
          letIn(pw, at(min(w, last)), letIn(pc, at(c),
            ifThen(and(lt(lc, k), worse(pw, pc)), seq(swap(c, w, pc, pw), store(st, CUR, w)),
              store(st, CUR, I(-1)))))))))));
  };
  const m = ctx.fresh('m'), step0 = ctx.fresh('step');
  const select_ = seq(
    // D = floor(log2(k)): the deepest level of a heap of k entries.
    store(st, D, I(0)), store(st, W, I(1)),
    loop(step0, 62, ifThen(binary('le', mul(load(st, W), 2), k),
      seq(store(st, D, add(load(st, D), 1)), store(st, W, mul(load(st, W), 2))))),
    store(st, M, I(0)),
    loop(l, y.L, letIn(m, load(st, M), ifThen(lt(m, k),
      seq(store(A, pos(m), l), store(st, CUR, m), siftUp(), store(st, M, add(m, 1))),
      ifThen(and(gt(k, 0), lt(total(l, at(I(0))), 0)),
        seq(store(A, pos(I(0)), l), store(st, CUR, I(0)), siftDown()))))),
  );
  const emitRow = alloc(st, 8, seq(
    select_,
    mergeSort(ctx, k, A, B, pos, (p, q2) => ({ pre: seq(), result: total(p, q2) }), st, false),
    loop(r, k, letIn(q, load(A, pos(r)), seq(
      vals.store(outIdx(y, o, r, j), key(q)),
      idxs.store(outIdx(y, o, r, j), q),
    ))),
  ));
  const check: Stmt = { kind: 'assert', cond: and(ge(k, 0), binary('le', k, y.L)),
    code: TOPK_K_OUT_OF_RANGE };
  return { kind: 'kernel', body: seq(check, loop(row, mul(y.outer, y.inner), emitRow, 'parallel')) };
}

function lowerUniqueSort(ctx: LowerCtx, a: SlicesAttrs): Lowering {
  const y = layoutOf(ctx.inputs[0]!, axisOf(a));
  const A = sinkBuffer(ctx.outputs[0]), B = sinkBuffer(ctx.outputs[1]);
  const st = ctx.scratch('st', 'int64'), cell = ctx.scratch('cmp', 'int64');
  const body = alloc(st, 4, alloc(cell, 1, mergeSort(ctx, y.L, A, B, (l) => l, sliceCmp(ctx, y, cell), st)));
  return { kind: 'kernel', body };
}

/** A statement computing whether sorted position r starts a new run, then `then(isNew)`. */
function runStart(ctx: LowerCtx, y: Layout, perm: TensorAccess, r: Expr, cell: Buffer,
  then: (isNew: Expr) => Stmt): Stmt {
  const prev = ctx.fresh('prev'), cur = ctx.fresh('cur');
  const c = sliceCmp(ctx, y, cell)(prev, cur);
  return letIn(prev, perm.at([binary('max', sub(r, 1), I(0))]), letIn(cur, perm.at([r]), seq(
    c.pre, then(or(eq(r, 0), ne0(c.result, I(0)))),
  )));
}

function lowerUniqueCount(ctx: LowerCtx, a: SlicesAttrs): Lowering {
  const y = layoutOf(ctx.inputs[0]!, axisOf(a)), perm = ctx.inputs[1]!;
  const acc = ctx.scratch('acc', 'int64'), cell = ctx.scratch('cmp', 'int64'), r = ctx.fresh('r');
  const body = alloc(acc, 1, alloc(cell, 1, seq(
    store(acc, 0, I(0)),
    loop(r, y.L,
      runStart(ctx, y, perm, r, cell, (isNew) => store(acc, 0, add(load(acc, 0), cast(isNew, 'int64'))))),
    ctx.outputs[0].store([], load(acc, 0)),
  )));
  return { kind: 'kernel', body };
}

function lowerUnique(ctx: LowerCtx, a: UniqueAttrs): Lowering {
  const y = layoutOf(ctx.inputs[0]!, axisOf(a)), perm = ctx.inputs[1]!;
  const [Y, indices, inverse, counts] = ctx.outputs;
  const c = indices.shape[0];
  const st = ctx.scratch('st', 'int64'), cell = ctx.scratch('cmp', 'int64');
  const S = mul(y.outer, y.inner);
  /** Y[u] = slice src (u < count checked by the caller). */
  const copySlice = (u: Expr, src: Expr): Stmt => {
    const e = ctx.fresh('e'), o = floordiv(e, y.inner), j = mod(e, y.inner);
    return loop(e, S, Y.store(outIdx(y, o, u, j), xAt(y, o, src, j)));
  };
  const [r, i, u, pr, ri, v] = ['r', 'i', 'u', 'pr', 'ri', 'v'].map((h) => ctx.fresh(h));
  if (a.sorted !== 0) {
    // Walk the stable sort: each run is one unique slice; its first entry is the first occurrence.
    const walk = loop(r, y.L, letIn(pr, perm.at([r]), seq(
      runStart(ctx, y, perm, r, cell, (isNew) => ifThen(isNew, seq(
        store(st, 0, add(load(st, 0), 1)), store(st, 1, r),
        letIn(u, load(st, 0), ifThen(lt(u, c), seq(copySlice(u, pr), indices.store([u], pr)))),
      ))),
      letIn(u, load(st, 0), seq(
        inverse.store([pr], u),
        ifThen(and(ge(u, 0), lt(u, c)), counts.store([u], add(sub(r, load(st, 1)), 1))),
      )),
    )));
    return { kind: 'kernel',
      body: alloc(st, 2, alloc(cell, 1, seq(store(st, 0, I(-1)), store(st, 1, I(0)), walk))) };
  }
  // First-occurrence order: rep[i] = first occurrence of x[i]'s slice (runs of the stable sort),
  // then one walk in index order numbers first occurrences as they appear.
  const [rep, id, cnt] = [4, 5, 6].map((k) => sinkBuffer(ctx.outputs[k]));
  const pass1 = loop(r, y.L, letIn(pr, perm.at([r]), seq(
    runStart(ctx, y, perm, r, cell, (isNew) => ifThen(isNew, store(st, 1, r))),
    store(rep, pr, perm.at([load(st, 1)])),
  )));
  const pass2 = loop(i, y.L, letIn(ri, load(rep, i), seq(
    ifThen(eq(ri, i), letIn(u, load(st, 0), seq(
      store(id, i, u), store(cnt, u, I(0)), store(st, 0, add(u, 1)),
      ifThen(lt(u, c), seq(copySlice(u, i), indices.store([u], i))),
    ))),
    letIn(v, load(id, ri), seq(
      inverse.store([i], v),
      store(cnt, v, add(load(cnt, v), 1)),
      ifThen(lt(v, c), counts.store([v], load(cnt, v))),
    )),
  )));
  return { kind: 'kernel',
    body: alloc(st, 2, alloc(cell, 1, seq(store(st, 0, I(0)), store(st, 1, I(0)), pass1, pass2))) };
}

const op = declareOp;
export const SELECT_OPS: readonly OpDef[] = [
  op({ name: 'nonzero_count', traits: ['opaque'], attrs: {}, infer: inferNonzeroCount,
    lower: lowerNonzeroCount }),
  op({ name: 'nonzero', traits: ['opaque'], attrs: {}, infer: inferNonzero, lower: lowerNonzero }),
  op({ name: 'compress_count', traits: ['opaque'], attrs: SLICES_ATTRS, infer: inferCompressCount,
    lower: lowerCompressCount }),
  op({ name: 'compress', traits: ['opaque'], attrs: SLICES_ATTRS, infer: inferCompress,
    lower: lowerCompress }),
  op({ name: 'to_scalar_int', traits: ['opaque'], attrs: {}, infer: inferToScalar, lower: lowerToScalar }),
  op({ name: 'top_k', traits: ['opaque'], attrs: TOPK_ATTRS, infer: inferTopK, lower: lowerTopK }),
  op({ name: 'unique_sort', traits: ['opaque'], attrs: SLICES_ATTRS, infer: inferUniqueSort,
    lower: lowerUniqueSort }),
  op({ name: 'unique_count', traits: ['opaque'], attrs: SLICES_ATTRS, infer: inferUniqueCount,
    lower: lowerUniqueCount }),
  op({ name: 'unique', traits: ['opaque'], attrs: UNIQUE_ATTRS, infer: inferUnique, lower: lowerUnique }),
];
