// The search over one task's schedule space: candidates are drawn at random from the legal
// space and as one-knob neighbours of the best so far; once a few are measured, a ridge cost
// model (compiler/tune/cost-model.ts) ranks a pool of them and the batch takes the best-ranked,
// with an epsilon share picked at random (exploration). Candidates whose kernel is identical to
// one already measured (knobs the workload's path ignores) are recognised by the kernel text and
// never measured twice. A task converges when its space is exhausted or its last few batches
// improved the best by less than 1%.
// Requires: a task (compiler/tune/tasks.ts). Guarantees: never proposes a seen or illegal knob set.

import { printKernel } from '../../ir/tir-print.js';
import type { TargetDesc } from '../../codegen/target.js';
import { runPipeline } from '../pipeline.js';
import type { Knobs } from '../schedule/space.js';
import { RidgeModel } from './cost-model.js';
import { knobsId } from './log.js';
import type { Task } from './tasks.js';

export { knobsId };

/** A valid measurement: time relative to the default's in the same batch. */
export interface Measured { readonly knobs: Knobs; readonly ratio: number }

/** A deterministic PRNG in [0, 1) (the search is reproducible for a given log). */
export function prng(seed: number): () => number {
  let s = (seed >>> 0) || 1;
  return () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s / 4294967296;
  };
}

export class TaskSearch {
  readonly seen = new Set<string>();
  readonly ok: Measured[] = [];
  /** Kernel text -> knobs id of the candidate measured for it. */
  private readonly kernels = new Map<string, string>();
  private readonly names: string[];
  private readonly model: RidgeModel;
  private stale = 0;
  best: Measured | undefined;
  defaultMs: number | undefined;
  trials = 0;
  exhausted = false;

  constructor(readonly task: Task, private readonly rand: () => number, private readonly epsilon = 0.25) {
    this.names = Object.keys(task.space).sort();
    this.model = new RidgeModel(this.names);
  }

  /** Records a measurement (also those loaded from a log); undefined: invalid or failed. */
  observe(knobs: Knobs, m: { ratio: number; ms: number } | undefined, isDefault = false): void {
    this.seen.add(knobsId(knobs));
    if (m === undefined) return;
    this.ok.push({ knobs, ratio: m.ratio });
    if (isDefault) this.defaultMs = m.ms;
    if (!this.best || m.ratio < this.best.ratio) this.best = { knobs, ratio: m.ratio };
  }

  /** The best time, as the default's time times the best ratio. */
  get bestMs(): number | undefined {
    return this.defaultMs === undefined || !this.best ? undefined : this.defaultMs * this.best.ratio;
  }

  /** After a batch: whether it improved the best by 1% or more (3 stale batches converge). */
  endBatch(bestBefore: number | undefined): void {
    const b = this.best?.ratio;
    this.stale = b !== undefined && bestBefore !== undefined && b > 0.99 * bestBefore ? this.stale + 1 : 0;
  }

  get converged(): boolean { return this.exhausted || this.stale >= 3; }

  private random(): Knobs {
    const k: Record<string, number> = {};
    for (const n of this.names) {
      const vs = this.task.space[n];
      k[n] = vs[Math.floor(this.rand() * vs.length)];
    }
    return k;
  }

  private neighbour(of: Knobs): Knobs {
    const n = this.names[Math.floor(this.rand() * this.names.length)];
    const vs = this.task.space[n];
    const i = vs.indexOf(of[n]) + (this.rand() < 0.5 ? -1 : 1);
    return { ...of, [n]: vs[Math.max(0, Math.min(vs.length - 1, i))] };
  }

  /** Up to `size` fresh pool candidates (unseen, legal, distinct). */
  private pool(size: number): Knobs[] {
    const out = new Map<string, Knobs>();
    for (let tries = 0; tries < size * 20 && out.size < size; tries++) {
      const k = this.best && this.rand() < 0.5 ? this.neighbour(this.best.knobs) : this.random();
      const id = knobsId(k);
      if (!this.seen.has(id) && !out.has(id) && !this.task.legal(k)) out.set(id, k);
    }
    return [...out.values()];
  }

  /** The `n` best measured candidates that beat the default (to re-measure before trusting). */
  top(n: number): Knobs[] {
    const d = knobsId(this.task.defaults);
    return [...this.ok].filter((m) => m.ratio < 1 && knobsId(m.knobs) !== d)
      .sort((a, b) => a.ratio - b.ratio).slice(0, n).map((m) => m.knobs);
  }

  /** The next batch: model-ranked pool candidates plus an epsilon share of random ones. */
  propose(n: number): Knobs[] {
    if (!this.seen.has(knobsId(this.task.defaults))) return [this.task.defaults];
    const pool = this.pool(Math.max(64, 8 * n));
    if (pool.length === 0) { this.exhausted = true; return []; }
    this.model.fit(this.ok.map((m) => ({ knobs: m.knobs, ms: m.ratio })));
    const ranked = pool.map((k) => ({ k, p: this.model.predict(k) })).sort((a, b) => a.p - b.p);
    const out: Knobs[] = [];
    while (out.length < n && ranked.length) {
      const explore = this.ok.length < 4 || this.rand() < this.epsilon;
      const at = explore ? Math.floor(this.rand() * ranked.length) : 0;
      out.push(ranked.splice(at, 1)[0].k);
    }
    return out;
  }

  /**
   * Splits a batch into candidates to measure and duplicates: knobs whose kernel text equals an
   * earlier candidate's (returned with that candidate's knobs id).
   */
  async dedupe(cands: readonly Knobs[], target: TargetDesc, threads?: number):
  Promise<{ fresh: Knobs[]; same: { knobs: Knobs; as: string }[] }> {
    const fresh: Knobs[] = [], same: { knobs: Knobs; as: string }[] = [];
    for (const k of cands) {
      const c = await runPipeline(this.task.module, { target, threads,
        schedules: [{ workload: this.task.key, knobs: k }] });
      const text = c.kernels.map((x) => printKernel(x)).join('\n');
      const twin = this.kernels.get(text);
      if (twin !== undefined) same.push({ knobs: k, as: twin });
      else { this.kernels.set(text, knobsId(k)); fresh.push(k); }
    }
    return { fresh, same };
  }

  /** Registers the kernel text of an already-measured candidate (resume), without measuring. */
  async remember(k: Knobs, target: TargetDesc, threads?: number): Promise<void> {
    await this.dedupe([k], target, threads);
  }
}
