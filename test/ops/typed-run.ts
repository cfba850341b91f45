// A typed variant of harness.ts for ops whose inputs are not all float32 (indices, shapes,
// starts/ends): runs infer with a real InferCtx (constant inputs give ctx.constant/ctx.values),
// lowers the node through compiler/lower/kernel.ts (lower-node.ts: constant inputs are constant
// values, so 1-element ones become immediates as in any compiled model), and executes the
// kernel with the reference interpreter ir/tir-interp.ts. Symbolic dims ('batch') become kernel
// scalars bound from the real shapes.

import { makeConst } from '../../ir/const.js';
import { type Dim, dimKey, evalDim, isStatic, sym } from '../../ir/dim.js';
import type { DType } from '../../ir/dtype.js';
import type { Attrs, TensorType } from '../../ir/graph.js';
import { getOp } from '../../ir/ops/index.js';
import type { InferCtx } from '../../ir/ops/registry.js';
import { newTypedArray, runKernel } from '../../ir/tir-interp.js';
import { bufferRoles, lowerNode } from './lower-node.js';

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
  const low = lowerNode(op, ins.map((s) => (s ? {
    type: { dtype: s.dtype, shape: s.dims ?? s.shape },
    ...(s.konst ? { data: makeConst(s.dtype, s.shape, s.data) } : {}),
  } : null)), attrs, types, { knobs, target: { arch: 'x86_64', vectorLanes: lanes, threads: 2 } });
  const outArrays = types.map((ty) =>
    newTypedArray(ty.dtype, ty.shape.reduce<number>((a, d) => a * evalDim(d, env), 1)));
  const arrays = bufferRoles(low).map((b) => (b.kind === 'in' ? fill(ins[b.index]!.dtype, ins[b.index]!.data)
    : outArrays[b.index]));
  const status = runKernel(low.kernel, arrays, low.symbols.map((k) => env.get(k) ?? 0));
  const outputs = outArrays.map((a) => Array.from(a as ArrayLike<number | bigint>, Number));
  return { types, outputs, status };
}

function fill(dt: DType, data: readonly number[]) {
  const a = newTypedArray(dt, data.length);
  data.forEach((v, i) => { (a as unknown as (number | bigint)[])[i] = a instanceof BigInt64Array
    ? BigInt(v) : v; });
  return a;
}
