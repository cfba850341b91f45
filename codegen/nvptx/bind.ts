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
// A serial loop directly inside the parallel one is fused with it (one thread per pair of
// iterations: conv and pool tiles along a row, packed-conv pixel tiles) when its iterations are
// independent by construction: its extent does not depend on the parallel index, every scratch
// buffer it uses is allocated inside it, and it loads no tensor it stores to.
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

type For = Extract<Stmt, { kind: 'for' }>;

function bindStatement(s: Stmt): { body: Stmt; extent: Expr | null } {
  if (s.kind === 'for' && s.loop === 'parallel') {
    const f = fuseInner(s);
    return { body: gridStride(f), extent: f.extent };
  }
  const once = t.ifThen(t.eq(GPU_TID, 0), serialise(s));
  return { body: once, extent: t.imm(1) };
}

/** `for p parallel: for j serial: B` as `for q in [0, P*J) parallel: let p, j = q / J, q % J in B`. */
function fuseInner(s: For): For {
  const inner = s.body;
  if (inner.kind !== 'for' || inner.loop !== 'serial') return s;
  const dependent = usesVar(inner.extent, s.var.name) || usesVar(inner.min, s.var.name);
  if (dependent || !independent(inner.body)) return s;
  const J = t.cast(inner.extent, 'int64');
  const q = t.variable(`${s.var.name}.${inner.var.name}`);
  const p = t.add(t.cast(s.min, 'int64'), t.floordiv(q, J));
  const j = t.add(t.cast(inner.min, 'int64'), t.mod(q, J));
  const body = t.letIn(s.var, t.cast(p, s.var.dtype),
    t.letIn(inner.var, t.cast(j, inner.var.dtype), inner.body));
  const extent = t.mul(t.cast(s.extent, 'int64'), J);
  return { kind: 'for', var: q, min: t.imm(0), extent, loop: 'parallel', body };
}

interface Accesses {
  readonly loads: Set<string>;
  readonly stores: Set<string>;
  readonly locals: Set<string>;
  readonly allocs: Set<string>;
}

/** Iterations of `body` cannot see each other: scratch allocated inside, no stored tensor loaded. */
function independent(body: Stmt): boolean {
  const m: Accesses = { loads: new Set(), stores: new Set(), locals: new Set(), allocs: new Set() };
  accessesOf(body, m);
  return [...m.locals].every((b) => m.allocs.has(b)) && [...m.stores].every((b) => !m.loads.has(b));
}

function accessesOf(s: Stmt, m: Accesses): void {
  const expr = (e: Expr): void => exprAccesses(e, m);
  switch (s.kind) {
    case 'for': expr(s.min); expr(s.extent); accessesOf(s.body, m); return;
    case 'store':
      (s.buf.scope === 'local' ? m.locals : m.stores).add(s.buf.name);
      expr(s.index);
      expr(s.value);
      return;
    case 'seq': for (const b of s.body) accessesOf(b, m); return;
    case 'if':
      expr(s.cond);
      accessesOf(s.then, m);
      if (s.else) accessesOf(s.else, m);
      return;
    case 'let': expr(s.value); accessesOf(s.body, m); return;
    case 'alloc': m.allocs.add(s.buf.name); accessesOf(s.body, m); return;
    case 'assert': expr(s.cond); return;
    default: assertNever(s);
  }
}

function exprAccesses(e: Expr, m: Accesses): void {
  switch (e.kind) {
    case 'const': case 'var': return;
    case 'load':
      (e.buf.scope === 'local' ? m.locals : m.loads).add(e.buf.name);
      exprAccesses(e.index, m);
      return;
    case 'binary': exprAccesses(e.a, m); exprAccesses(e.b, m); return;
    case 'unary': case 'cast': exprAccesses(e.a, m); return;
    case 'select': for (const x of [e.cond, e.a, e.b]) exprAccesses(x, m); return;
    default: assertNever(e);
  }
}

function usesVar(e: Expr, name: string): boolean {
  switch (e.kind) {
    case 'const': return false;
    case 'var': return e.name === name;
    case 'load': return usesVar(e.index, name);
    case 'binary': return usesVar(e.a, name) || usesVar(e.b, name);
    case 'unary': case 'cast': return usesVar(e.a, name);
    case 'select': return usesVar(e.cond, name) || usesVar(e.a, name) || usesVar(e.b, name);
    default: return assertNever(e);
  }
}

function gridStride(s: For): Stmt {
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
