// Block/thread binding: a tensor-IR kernel -> the GPU launches that run it. Each statement of the
// kernel's top-level sequence (under its leading lets) becomes one launch, in order, so the
// stream's ordering is the barrier between them. A launch whose statement is a parallel loop
// binds that loop to the global thread index as a grid-stride loop:
//   for i in [min, min+n) parallel: B
//   ->  for j in [0, (n - tid + S - 1) floordiv S): let i = min + tid + j*S in B
// (tid = blockIdx.x*blockDim.x + threadIdx.x, S = gridDim.x*blockDim.x), and its thread count is
// n, an expression the host evaluates from the kernel's scalars (codegen/nvptx/host.ts) to size
// the grid. Any grid is correct (the loop strides over what it does not cover), so a count the
// host cannot evaluate (it reads tensor data) falls back to a fixed grid. Any other statement
// runs on thread 0 alone; parallel loops nested below it become serial.
// Requires: a verified kernel (ir/tir-verify.ts). Guarantees: every launch's body is valid tensor
// IR over the kernel's buffers and scalars plus the variables GPU_TID and GPU_NTHREADS, with no
// parallel loop left.

import type { Expr, Kernel, Stmt, Var } from '../../ir/tir.js';
import * as t from '../../ir/tir-build.js';
import { hasLoad } from '../llvm/expr.js';
import { assertNever } from '../llvm/types.js';

export const GPU_TID: Var = Object.freeze({ kind: 'var', name: 'gpu.tid', dtype: 'int64' });
export const GPU_NTHREADS: Var = Object.freeze({ kind: 'var', name: 'gpu.nthreads', dtype: 'int64' });

type Let = Extract<Stmt, { kind: 'let' }>;

/** How many threads a launch wants: `extent` under `lets`, or null (use the fixed grid). */
export interface ThreadCount {
  readonly lets: readonly { readonly var: Var; readonly value: Expr }[];
  readonly extent: Expr | null;
}

export interface Launch {
  /** The PTX entry name: the kernel's name, with `_<j>` for launches after the first. */
  readonly entry: string;
  readonly body: Stmt;
  readonly threads: ThreadCount;
}

/** The launches that run kernel `k`, in order. */
export function bindKernel(k: Kernel): Launch[] {
  const lets: Let[] = [];
  let s = k.body;
  while (s.kind === 'let') {
    lets.push(s);
    s = s.body;
  }
  const parts = s.kind === 'seq' ? s.body : [s];
  const wrap = (body: Stmt): Stmt => lets.reduceRight<Stmt>((b, l) => t.letIn(l.var, l.value, b), body);
  return parts.map((p, j) => {
    const entry = j === 0 ? k.name : `${k.name}_${j}`;
    const { body, extent } = bindStatement(p);
    const counted = extent !== null && !lets.some((l) => hasLoad(l.value)) && !hasLoad(extent);
    const threads: ThreadCount = {
      lets: counted ? lets.map((l) => ({ var: l.var, value: l.value })) : [],
      extent: counted ? extent : null,
    };
    return { entry, body: wrap(body), threads };
  });
}

function bindStatement(s: Stmt): { body: Stmt; extent: Expr | null } {
  if (s.kind === 'for' && s.loop === 'parallel') return { body: gridStride(s), extent: s.extent };
  const once = t.ifThen(t.eq(GPU_TID, 0), serialise(s));
  return { body: once, extent: t.imm(1) };
}

function gridStride(s: Extract<Stmt, { kind: 'for' }>): Stmt {
  const n = t.cast(s.extent, 'int64');
  const S = GPU_NTHREADS;
  const trips = t.floordiv(t.add(t.sub(n, GPU_TID), t.sub(S, 1)), S);
  const j = t.variable(`${s.var.name}.gs`);
  const i = t.add(t.cast(s.min, 'int64'), t.add(GPU_TID, t.mul(j, S)));
  const iv = s.var.dtype === 'int64' ? i : t.cast(i, s.var.dtype);
  return t.loop(j, trips, t.letIn(s.var, iv, serialise(s.body)));
}

/** `s` with every parallel loop made serial. */
export function serialise(s: Stmt): Stmt {
  switch (s.kind) {
    case 'for': {
      const body = serialise(s.body);
      return t.loop(s.var, s.extent, body, s.loop === 'parallel' ? 'serial' : s.loop, s.min);
    }
    case 'seq': return t.seq(s.body.map(serialise));
    case 'if': return t.ifThen(s.cond, serialise(s.then), s.else ? serialise(s.else) : undefined);
    case 'let': return t.letIn(s.var, s.value, serialise(s.body));
    case 'alloc': return t.alloc(s.buf, s.size, serialise(s.body));
    case 'store': case 'assert': return s;
    default: return assertNever(s);
  }
}
