// Test harness for op records without the rest of the pipeline: `runOp` runs `infer`, lowers the
// node through the compiler's own kernel lowering (compiler/lower/kernel.ts via lower-node.ts:
// buffers and scalar parameters as the compiler binds them, the default element loop for
// compute lowerings) and executes the kernel with a small reference interpreter, cross-checked
// against ir/tir-interp.ts. Inputs and outputs are float32 (typed-run.ts handles other dtypes).
// The interpreter also checks the tir rules the kernels must keep: loads/stores in bounds,
// constant extents for vectorize/unroll, no parallel inside parallel, no loops inside vectorize.
// 'vectorize' loops run lane by lane, which matches the vector semantics for lane-independent
// bodies (the only kind the lowerings emit).

import type { Dim } from '../../ir/dim.js';
import { evalDim, isStatic, sym } from '../../ir/dim.js';
import type { DType } from '../../ir/dtype.js';
import type { Attrs, TensorType } from '../../ir/graph.js';
import { getOp } from '../../ir/ops/index.js';
import type { Buffer, Expr, Kernel, Stmt } from '../../ir/tir.js';
import { bufferRoles, lowerNode } from './lower-node.js';

export interface InSpec {
  readonly data: Float32Array;
  readonly shape: readonly number[];
  /** Types for infer, e.g. [sym('batch'), 3, 8, 8]; defaults to `shape`. */
  readonly dims?: readonly Dim[];
}

export interface RunOut {
  readonly outputs: Float32Array[];
  readonly shapes: number[][];
  readonly kernel: Kernel;
  /** The kernel's scalar arguments (values of its symbols), in `kernel.scalars` order. */
  readonly scalars: readonly number[];
  /** What each of `kernel.buffers` is: an input or an output, by index. */
  readonly roles: readonly { readonly kind: 'in' | 'out'; readonly index: number }[];
}

export function rand(n: number, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = (s / 2 ** 32) * 2 - 1;
  }
  return out;
}

export const tensor = (shape: number[], seed = 1, dims?: Dim[]): InSpec =>
  ({ data: rand(shape.reduce((a, b) => a * b, 1), seed), shape, dims });

export function inferOp(op: string, ins: readonly (TensorType | null)[], attrs: Attrs): TensorType[] {
  const def = getOp(op);
  if (!def) throw new Error(`no op ${op}`);
  return def.infer(ins, attrs, {
    fail(code, message): never { throw Object.assign(new Error(`${code}: ${message}`), { code }); },
    constant: () => undefined,
    values: () => undefined,
    fresh: (hint) => sym(`${hint}_fresh`),
    require: () => undefined, // run-time shape checks are tested end to end (test/errors/shape-checks)
  });
}

/** Lowers `op` for the given inputs and runs it; returns outputs as flat Float32Arrays. */
export function runOp(
  op: string, ins: readonly (InSpec | null)[], attrs: Attrs,
  opts: { knobs?: Record<string, number>; vectorizable?: boolean; lanes?: number } = {},
): RunOut {
  const inTypes = ins.map((s) => (s ? { dtype: 'float32' as DType, shape: s.dims ?? s.shape } : null));
  const outTypes = inferOp(op, inTypes, attrs);
  const env = new Map<string, number>();
  ins.forEach((s) => s?.dims?.forEach((d, i) => {
    if (!isStatic(d) && d.terms.length === 1 && d.terms[0].atoms.length === 1) env.set(d.key, s.shape[i]);
  }));
  const low = lowerNode(op, inTypes.map((type) => (type ? { type } : null)), attrs, outTypes, {
    knobs: opts.knobs, scalarSinks: opts.vectorizable === false,
    target: { arch: 'x86_64', vectorLanes: opts.lanes ?? 16, threads: 2 },
  });
  const outShapes = outTypes.map((ty) => ty.shape.map((d) => evalDim(d, env)));
  const outputs = outShapes.map((sh) => new Float32Array(sh.reduce((x, y) => x * y, 1)).fill(NaN));
  const roles = bufferRoles(low);
  const arrays = roles.map((b) => (b.kind === 'in' ? ins[b.index]!.data : outputs[b.index]));
  const scalars = low.symbols.map((s) => {
    const v = env.get(s);
    if (v === undefined) throw new Error(`harness: no value for symbol '${s}'`);
    return v;
  });
  const kernel: Kernel = { ...low.kernel, name: op };
  const mem = new Map<string, Float32Array>(kernel.buffers.map((b, k) => [b.name, arrays[k]]));
  const vars = new Map(kernel.scalars.map((v, k) => [v.name, scalars[k]]));
  new Interp(mem, vars).stmt(kernel.body, false, false);
  if (sharedInterp) crossCheck(kernel, arrays, outputs, scalars);
  return { outputs, shapes: outShapes, kernel, scalars, roles };
}

// The project's reference interpreter, when present: every kernel is run by both and must agree.
type RunKernel = (k: Kernel, bufs: readonly Float32Array[], scalars: readonly number[]) => number;
const interpPath = '../../ir/tir-interp.js';
export const sharedInterp: RunKernel | undefined = await import(/* @vite-ignore */ interpPath)
  .then((m: { runKernel?: RunKernel }) => m.runKernel, () => undefined);

/** Runs `k` on fresh copies of the output arrays with ir/tir-interp.ts; outputs must agree. */
function crossCheck(k: Kernel, arrays: readonly Float32Array[], outs: readonly Float32Array[],
  scalars: number[]): void {
  const copies = new Map(outs.map((o) => [o, new Float32Array(o.length).fill(NaN)]));
  const status = sharedInterp!(k, arrays.map((a) => copies.get(a) ?? a), scalars);
  if (status !== 0) throw new Error(`ir/tir-interp: kernel returned status ${status}`);
  outs.forEach((o) => expectClose(copies.get(o)!, o));
}

/** Minimal reference interpreter for tir (float32 rounding, int64 as JS numbers). */
class Interp {
  private readonly vars = new Map<string, number>();
  constructor(private readonly mem: Map<string, Float32Array>, syms: Map<string, number>) {
    for (const [k, v] of syms) this.vars.set(k, v);
  }

  stmt(s: Stmt, inPar: boolean, inVec: boolean): void {
    switch (s.kind) {
      case 'seq': for (const b of s.body) this.stmt(b, inPar, inVec); return;
      case 'store': {
        const a = this.buf(s.buf), i = this.index(s.buf, s.index);
        a[i] = this.expr(s.value);
        return;
      }
      case 'if':
        if (this.expr(s.cond)) this.stmt(s.then, inPar, inVec);
        else if (s.else) this.stmt(s.else, inPar, inVec);
        return;
      case 'let': this.vars.set(s.var.name, this.expr(s.value)); this.stmt(s.body, inPar, inVec); return;
      case 'alloc':
        this.mem.set(s.buf.name, new Float32Array(s.size).fill(NaN)); this.stmt(s.body, inPar, inVec); return;
      case 'assert': if (!this.expr(s.cond)) throw new Error(`assert ${s.code}`); return;
      case 'for': return this.loop(s, inPar, inVec);
    }
  }

  private loop(s: Stmt & { kind: 'for' }, inPar: boolean, inVec: boolean): void {
    if (inVec) throw new Error('tir: loop nested inside a vectorize loop');
    if (s.loop === 'parallel' && inPar) throw new Error('tir: parallel inside parallel');
    if ((s.loop === 'vectorize' || s.loop === 'unroll') && s.extent.kind !== 'const') {
      throw new Error(`tir: ${s.loop} loop with non-constant extent`);
    }
    const lo = this.expr(s.min), n = this.expr(s.extent);
    for (let i = lo; i < lo + n; i++) {
      this.vars.set(s.var.name, i);
      this.stmt(s.body, inPar || s.loop === 'parallel', s.loop === 'vectorize');
    }
  }

  private buf(b: Buffer): Float32Array {
    const a = this.mem.get(b.name);
    if (!a) throw new Error(`tir: unknown buffer ${b.name}`);
    return a;
  }

  private index(b: Buffer, e: Expr): number {
    const i = this.expr(e), n = this.buf(b).length;
    if (!Number.isInteger(i) || i < 0 || i >= n) throw new Error(`tir: ${b.name}[${i}] out of bounds (${n})`);
    return i;
  }

  expr(e: Expr): number {
    switch (e.kind) {
      case 'const': return e.value;
      case 'var': {
        const v = this.vars.get(e.name);
        if (v === undefined) throw new Error(`tir: unbound var ${e.name}`);
        return v;
      }
      case 'load': { const v = this.buf(e.buf)[this.index(e.buf, e.index)]; return v; }
      case 'select': return this.expr(e.cond) ? this.expr(e.a) : this.expr(e.b);
      case 'cast': return castTo(this.expr(e.a), e.dtype);
      case 'unary': return round(unaryOp(e.op, this.expr(e.a)), e.dtype);
      case 'binary': return round(binaryOp(e.op, this.expr(e.a), this.expr(e.b), e.a.dtype), e.dtype);
    }
  }
}

const isF = (d: DType): boolean => d === 'float32' || d === 'float64' || d === 'float16';
const round = (v: number, d: DType): number => (d === 'float32' ? Math.fround(v) : v);

function castTo(v: number, d: DType): number {
  if (d === 'bool') return Number(v !== 0);
  return isF(d) ? round(v, d) : Math.trunc(v);
}

function unaryOp(op: string, x: number): number {
  switch (op) {
    case 'neg': return -x;
    case 'abs': return Math.abs(x);
    case 'exp': return Math.exp(x);
    case 'log': return Math.log(x);
    case 'sqrt': return Math.sqrt(x);
    case 'rsqrt': return 1 / Math.sqrt(x);
    case 'tanh': return Math.tanh(x);
    case 'sigmoid': return 1 / (1 + Math.exp(-x));
    case 'reciprocal': return 1 / x;
    case 'floor': return Math.floor(x);
    case 'ceil': return Math.ceil(x);
    case 'not': return Number(!x);
    default: throw new Error(`interp: unary ${op}`);
  }
}

function binaryOp(op: string, a: number, b: number, dt: DType): number {
  switch (op) {
    case 'add': return a + b;
    case 'sub': return a - b;
    case 'mul': return a * b;
    case 'div': return isF(dt) ? a / b : Math.trunc(a / b);
    case 'floordiv': return Math.floor(a / b);
    case 'mod': return a - b * Math.floor(a / b);
    case 'min': return Math.min(a, b);
    case 'max': return Math.max(a, b);
    case 'pow': return Math.pow(a, b);
    case 'eq': return Number(a === b);
    case 'ne': return Number(a !== b);
    case 'lt': return Number(a < b);
    case 'le': return Number(a <= b);
    case 'gt': return Number(a > b);
    case 'ge': return Number(a >= b);
    case 'and': return Number(Boolean(a) && Boolean(b));
    case 'or': return Number(Boolean(a) || Boolean(b));
    default: throw new Error(`interp: binary ${op}`);
  }
}

/** max|out - ref| <= 1e-4 + 1e-3 * max|ref| (DESIGN.md "Measuring"). */
export function expectClose(out: Float32Array, ref: ArrayLike<number>): void {
  if (out.length !== ref.length) throw new Error(`length ${out.length} != ${ref.length}`);
  let maxRef = 0, maxErr = 0, at = -1;
  for (let i = 0; i < ref.length; i++) maxRef = Math.max(maxRef, Math.abs(ref[i]));
  for (let i = 0; i < ref.length; i++) {
    const e = Math.abs(out[i] - ref[i]);
    if (Number.isNaN(e)) { maxErr = Infinity; at = i; break; }
    if (e > maxErr) { maxErr = e; at = i; }
  }
  if (!(maxErr <= 1e-4 + 1e-3 * maxRef)) {
    throw new Error(`mismatch at ${at}: got ${out[at]}, want ${ref[at]} (max err ${maxErr})`);
  }
}
