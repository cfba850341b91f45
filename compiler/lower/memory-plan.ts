// The planned peak of a run's tensor memory, as a dim over the input symbols, so the VM can refuse
// a run whose shapes cannot fit the session's memory limit before it allocates anything (KR0201,
// naming the input shapes) instead of failing after it has allocated most of the limit.
// Requires: the main function's plan (groups in execution order). Guarantees: a LOWER bound of
// what the pool will hold at once: the inputs and every group output of the main function, live
// from their group to their last use, exactly as program lowering frees them; values whose size
// depends on data or on a body (loop, branch), and body-internal tensors, count as 0, so a refusal
// is always right and a run that passes may still stop at an allocation (the per-allocation check).
// An in-place concat's output (concat-in-place.ts) is live from its first producer; its slices are
// views of it and count 0.

import { type Dim, dimAdd, dimKey, dimMax, dimMul, dimProduct, dimVars, isStatic } from '../../ir/dim.js';
import { dtypeInfo } from '../../ir/dtype.js';
import { nodeReads, type Value } from '../../ir/graph.js';
import type { ProgramWriter } from '../../codegen/vm-program.js';
import { lastUses } from './data-refs.js';
import type { Plan } from './plan.js';

/** Bytes of `v` as a dim over `bound` symbols, or undefined when it is not one. */
function bytesOf(v: Value, bound: ReadonlySet<string>): Dim | undefined {
  if (v.type.sequence || v.type.optional || v.data) return undefined;
  // Checked per dim before multiplying: a product of data-dependent dims can grow exponentially.
  // Only sums of products of input symbols: a floor division or remainder could fail (KR0203)
  // here, before the node that computes it could name itself.
  const plain = (d: Dim) => isStatic(d) || (d.terms.every((t) => t.atoms.every((x) => x.kind === 'var'))
    && dimVars(d).every((s) => bound.has(s)));
  if (!v.type.shape.every(plain)) return undefined;
  return dimMul(dimProduct(v.type.shape), dtypeInfo(v.type.dtype).bytes);
}

/** Termwise: every monomial of `a` minus `b` has a non-negative coefficient (dims are >= 0). */
function dominates(a: Dim, b: Dim): boolean {
  const terms = (d: Dim) => new Map(isStatic(d) ? []
    : d.terms.map((t) => [t.atoms.map((x) => JSON.stringify(x)).join('*'), t.coef]));
  const ta = terms(a), tb = terms(b);
  const ca = isStatic(a) ? a : a.constant, cb = isStatic(b) ? b : b.constant;
  if (ca < cb) return false;
  for (const [k, c] of tb) if ((ta.get(k) ?? 0) < c) return false;
  for (const [k, c] of ta) if (!tb.has(k) && c < 0) return false;
  return true;
}

/** The live bytes after each group runs (before frees), without those another one dominates. */
function liveSums(p: Plan, bound: ReadonlySet<string>): Dim[] {
  const last = lastUses(p.groups);
  const keep = new Set(p.func.outputs.map((v) => v.id));
  const live = new Map<number, Dim>();
  for (const v of p.func.inputs) { const b = bytesOf(v, bound); if (b !== undefined) live.set(v.id, b); }
  const sums: Dim[] = [];
  p.groups.forEach((g, i) => {
    if (g.kind !== 'view' && !p.inPlace.concats.has(g)) {
      for (const o of g.outputs) {
        // A slice of an in-place concat costs nothing: its concat's output is live from here.
        const v = p.inPlace.slices.get(o.id)?.out ?? o;
        const b = bytesOf(v, bound);
        if (b !== undefined && !live.has(v.id)) live.set(v.id, b);
      }
    }
    sums.push([...live.values()].reduce<Dim>((s, b) => dimAdd(s, b), 0));
    for (const n of [g.root, ...g.epilogue]) {
      for (const v of nodeReads(n)) if (last.get(v.id) === i && !keep.has(v.id)) live.delete(v.id);
    }
  });
  const unique = [...new Map(sums.map((d) => [dimKey(d), d])).values()];
  return unique.filter((d, i) => !unique.some((o, j) => j !== i && dominates(o, d)
    && (!dominates(d, o) || j < i)));
}

/** The planned peak (see the file comment), or undefined when nothing can be planned. */
export function plannedPeak(p: Plan, bound: ReadonlySet<string>): Dim | undefined {
  const sums = liveSums(p, bound).filter((d) => !isStatic(d) || d > 0);
  return sums.length === 0 ? undefined : sums.reduce((m, d) => dimMax(m, d));
}

export interface PeakCheckDeps {
  readonly a: ProgramWriter;
  /** The symbols the inputs bind (what the plan may use). */
  readonly bound: ReadonlySet<string>;
  dimReg(d: Dim): number;
}

/**
 * Emits, right after the inputs are bound, the check that the planned peak fits the session's
 * memory limit (`mem_limit`), failing with KR0201 and the input shapes (`check_dims`).
 */
export function emitPeakCheck(p: Plan, deps: PeakCheckDeps): void {
  const inputs = p.func.inputs.filter((v) => !v.type.sequence && !v.type.optional);
  const peak = plannedPeak(p, deps.bound);
  if (peak === undefined || (isStatic(peak) && peak < 2 ** 20)) return; // nothing a limit would refuse
  const { a } = deps;
  const bytes = deps.dimReg(peak), limit = a.reg(), ok = a.reg();
  a.emit('mem_limit', { dst: limit });
  a.intOp('le', ok, bytes, limit);
  const values: number[] = [];
  const shapes = inputs.map((v) => `'${v.name}' [${v.type.shape.map((d) => {
    if (isStatic(d)) return String(d);
    values.push(deps.dimReg(d));
    return '{}';
  }).join(', ')}]`);
  values.push(bytes, limit);
  const message = `inputs ${shapes.join(', ')}: the run's tensors need at least {} bytes at their `
    + 'peak, over the session memory limit of {} (refused before allocating)';
  a.emit('check_dims', { cond: ok, code: 201, message, values });
}
