// Test harness for op records without the rest of the pipeline: `runOp` runs `infer`, lowers the
// node through the compiler's own kernel lowering (compiler/lower/kernel.ts via lower-node.ts:
// buffers and scalar parameters as the compiler binds them, the default element loop for
// compute lowerings), checks the kernel with the compiler's verifier (ir/tir-verify.ts: the loop
// and dtype rules codegen relies on) and runs it with the project's one reference interpreter
// (ir/tir-interp.ts, which also fails any load or store out of bounds). Inputs and outputs are
// float32 (typed-run.ts handles other dtypes).

import type { Dim } from '../../ir/dim.js';
import { evalDim, isStatic, sym } from '../../ir/dim.js';
import type { DType } from '../../ir/dtype.js';
import type { Attrs, TensorType } from '../../ir/graph.js';
import { getOp } from '../../ir/ops/index.js';
import type { Kernel } from '../../ir/tir.js';
import { runKernel } from '../../ir/tir-interp.js';
import { verifyKernel } from '../../ir/tir-verify.js';
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
  const problems = verifyKernel(kernel);
  if (problems.length) throw new Error(`tir: ${problems.join('; ')}`);
  const status = runKernel(kernel, arrays, scalars);
  if (status !== 0) throw new Error(`tir: assert ${status}`);
  return { outputs, shapes: outShapes, kernel, scalars, roles };
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
