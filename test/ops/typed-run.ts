// A typed variant of harness.ts for ops whose inputs are not all float32 (indices, shapes,
// starts/ends): runs infer with a real InferCtx (constant inputs give ctx.constant/ctx.values),
// lowers with buffer-backed accesses (1-element constants become immediates, as in
// compiler/lower/kernel.ts), and executes the kernel with the reference interpreter
// ir/tir-interp.ts. Symbolic dims ('batch') become kernel scalars bound from the real shapes.

import { makeConst } from '../../ir/const.js';
import { type Atom, type Dim, dimKey, evalDim, isStatic, sym } from '../../ir/dim.js';
import type { DType } from '../../ir/dtype.js';
import type { Attrs, TensorType } from '../../ir/graph.js';
import { getOp } from '../../ir/ops/index.js';
import type { InferCtx } from '../../ir/ops/registry.js';
import type { LowerCtx, OutputSink, TensorAccess } from '../../ir/te.js';
import { bufferAccess, elementLoops, offsetOf } from '../../ir/te-loops.js';
import { newTypedArray, runKernel } from '../../ir/tir-interp.js';
import * as t from '../../ir/tir-build.js';
import type { Expr, Kernel } from '../../ir/tir.js';

export interface TIn {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: readonly number[];
  /** Symbolic dims for infer (defaults to shape). */
  readonly dims?: readonly Dim[];
  /** A compile-time constant (visible to ctx.constant / ctx.values). */
  readonly konst?: boolean;
}

export interface TOut { readonly types: TensorType[]; readonly outputs: number[][]; readonly status: number }

export const tin = (dtype: DType, shape: number[], data: number[], konst = false, dims?: Dim[]): TIn =>
  ({ dtype, shape, data, konst, dims });

function inferCtx(ins: readonly (TIn | null)[]): InferCtx {
  return {
    fail(code, message): never { throw Object.assign(new Error(`${code}: ${message}`), { code }); },
    constant: (i) => (ins[i]?.konst ? makeConst(ins[i]!.dtype, ins[i]!.shape, ins[i]!.data) : undefined),
    values: (i) => (ins[i]?.konst && !ins[i]!.dtype.startsWith('float') ? [...ins[i]!.data] : undefined),
    fresh: (hint) => sym(`${hint}_fresh`),
    require: () => undefined, // run-time shape checks are tested end to end (test/errors/shape-checks)
  };
}

export function inferTyped(op: string, ins: readonly (TIn | null)[], attrs: Attrs): TensorType[] {
  const types = ins.map((s) => (s ? { dtype: s.dtype, shape: s.dims ?? s.shape } : null));
  return getOp(op)!.infer(types, attrs, inferCtx(ins));
}

export function runTyped(op: string, ins: readonly (TIn | null)[], attrs: Attrs, lanes = 4,
  knobs: Readonly<Record<string, number>> = {}): TOut {
  const types = inferTyped(op, ins, attrs);
  const env = new Map<string, number>();
  ins.forEach((s) => s?.dims?.forEach((d, i) => { if (!isStatic(d)) env.set(dimKey(d), s.shape[i]); }));
  const scalars = new Map<string, t.ExprLike>();
  const dim = (d: Dim): Expr => dimExpr(d, scalars);
  let n = 0;
  const fresh = (h: string, dt: DType = 'int64') => t.variable(`${h}${n++}`, dt);
  const accesses = ins.map((s, i) => (s ? access(s, i, dim) : null));
  const outBufs = types.map((ty, i) => t.buffer(`out${i}`, ty.dtype));
  const sinks: OutputSink[] = types.map((ty, i) => {
    const shape = ty.shape.map(dim);
    return { dtype: ty.dtype, shape, vectorizable: true,
      store: (idx, v) => t.store(outBufs[i], offsetOf(idx, shape), v) };
  });
  const ctx: LowerCtx = {
    attrs, inputs: accesses, outTypes: types, outputs: sinks,
    inTypes: ins.map((s) => (s ? { dtype: s.dtype, shape: s.dims ?? s.shape } : null)),
    target: { arch: 'x86_64', vectorLanes: lanes, threads: 2 }, knobs, dim, fresh,
    scratch: (h, dt) => t.buffer(`${h}${n++}`, dt, 'local'),
  };
  const low = getOp(op)!.lower!(ctx);
  const body = low.kind === 'kernel' ? low.body
    : elementLoops({ fresh, lanes }, sinks[0].shape, (idx) => sinks[0].store(idx, low.at(idx)));
  const inBufs = accesses.filter((a): a is TensorAccess => !!a?.buffer).map((a) => a.buffer!);
  const kernel: Kernel = { name: op, buffers: [...inBufs, ...outBufs],
    scalars: [...scalars.keys()].map((k) => t.variable(k)), body };
  const arrays = [
    ...ins.filter((s, i) => s && accesses[i]!.buffer).map((s) => fill(s!.dtype, s!.data)),
    ...types.map((ty) => newTypedArray(ty.dtype, ty.shape.reduce<number>((a, d) => a * evalDim(d, env), 1))),
  ];
  const status = runKernel(kernel, arrays, [...scalars.keys()].map((k) => env.get(k) ?? 0));
  const outputs = arrays.slice(inBufs.length).map((a) => Array.from(a as ArrayLike<number | bigint>, Number));
  return { types, outputs, status };
}

function access(s: TIn, i: number, dim: (d: Dim) => Expr): TensorAccess {
  const shape = (s.dims ?? s.shape).map(dim);
  if (s.konst && s.data.length === 1) {
    const k = t.imm(s.data[0], s.dtype);
    return { dtype: s.dtype, shape, at: () => k };
  }
  return bufferAccess(t.buffer(`in${i}`, s.dtype), shape);
}

function fill(dt: DType, data: readonly number[]) {
  const a = newTypedArray(dt, data.length);
  data.forEach((v, i) => { (a as unknown as (number | bigint)[])[i] = a instanceof BigInt64Array
    ? BigInt(v) : v; });
  return a;
}

function dimExpr(d: Dim, scalars: Map<string, t.ExprLike>): Expr {
  if (isStatic(d)) return t.imm(d);
  let acc: Expr = t.imm(d.constant);
  for (const term of d.terms) {
    acc = t.add(acc, term.atoms.reduce<Expr>((p, a) => t.mul(p, atomExpr(a, scalars)), t.imm(term.coef)));
  }
  return acc;
}

function atomExpr(a: Atom, scalars: Map<string, t.ExprLike>): Expr {
  if (a.kind === 'var') { scalars.set(a.name, 0); return t.variable(a.name); }
  return t.binary(a.kind, dimExpr(a.a, scalars), dimExpr(a.b, scalars));
}
