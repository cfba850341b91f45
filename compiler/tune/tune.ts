// `kestrel tune`: extracts a model's tasks, resumes from the log, and spends the budget (time
// and/or trials) on the tasks with the largest expected gain — weight x best time so far, damped
// by the trials already spent — until every task converges. Every measurement is appended to
// the log (fsynced) as soon as it is known, so a killed run resumes where it stopped and never
// measures a candidate twice. A candidate whose output differs from the default's is logged as
// invalid and can never become the best. With a job queue (`queue`), the measurements are made
// by the queue's workers (compiler/tune/queue-measurer.ts) and every task's default is measured
// at once; the batches are otherwise the same. At the end the tuning curve is written beside the
// log (compiler/tune/plot.ts). With shape buckets (`shapes`), each bucket of a workload is a task
// of its own: searched, measured at the bucket's symbol values and logged with its bucket.
// Requires: a built dist/ (the measurement worker) unless a measurer is given. Guarantees: the
// summary's tuned time per task is the best valid measurement (the default's at worst).

import { writeFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { TargetName } from '../../codegen/target.js';
import { checkedTarget } from '../driver.js';
import { Codes, fail } from '../diagnostics.js';
import { importOnnxFile } from '../frontend/onnx/import.js';
import type { Knobs } from '../schedule/space.js';
import { bucketOf, type MeasureResult } from './bench-kernel.js';
import { type Best, bestBucketRecords, candidateKey, type LoadedLog, loadLog, LogWriter, type LogProblem,
  ratio,
  targetKey, type TuneRecord } from './log.js';
import { type Measurer, WorkerMeasurer } from './measure.js';
import { curveSvg, plotPath, tuningCurve } from './plot.js';
import { QueueMeasurer } from './queue-measurer.js';
import { knobsId, prng, TaskSearch } from './search.js';
import { bucketTasks, type BucketShapes, extractTasks, type Task, taskId } from './tasks.js';

export interface TuneOptions {
  /** The JSON-lines log to resume from and append to. */
  readonly log: string;
  readonly budgetMs?: number;
  /** Most candidates to measure in this run (loaded records do not count). */
  readonly trials?: number;
  readonly target?: TargetName;
  readonly threads?: number;
  readonly fixedDims?: Readonly<Record<string, number>>;
  /**
   * Shape buckets: values of model symbols to tune at (`{ seq: [16, 37, 128] }`). Every workload
   * with those symbols is tuned once per bucket (combinations, when several symbols are given);
   * symbols not named are measured at 1. `compile --tuning-log` then dispatches among them.
   */
  readonly shapes?: BucketShapes;
  /** Candidates per batch (default 8). */
  readonly batch?: number;
  /** Replaces the worker process (tests). */
  readonly measurer?: Measurer;
  /** redis://HOST:PORT: measure on the workers of a job queue instead of here (the coordinator). */
  readonly queue?: string;
  /** Timed samples per candidate (default 11): more is slower and steadier. */
  readonly samples?: number;
  /** Write the tuning curve beside the log (default true). */
  readonly plot?: boolean;
  /** PEM Ed25519 private key signing the candidates sent to the queue's workers. */
  readonly signingKey?: string;
  readonly onProgress?: (p: TuneProgress) => void;
  /** Bad lines found in the log (reported, then skipped). */
  readonly onLogProblems?: (ps: readonly LogProblem[]) => void;
}

export interface TaskReport {
  readonly key: string;
  /** The shape bucket, as model symbols ('seq=37'; '' for a static workload). */
  readonly bucket?: string;
  readonly ops: string;
  readonly node: string;
  readonly weight: number;
  readonly defaultMs?: number;
  readonly bestMs?: number;
  readonly bestKnobs?: Knobs;
  /** Candidates measured for this task, this run and earlier ones. */
  readonly trials: number;
  readonly converged: boolean;
}

export interface TuneProgress {
  readonly elapsedMs: number;
  /** Estimated time left, when a budget or a trial count bounds the run. */
  readonly etaMs?: number;
  readonly trials: number;
  readonly tasks: readonly TaskReport[];
  /** The task just measured. */
  readonly current: number;
}

export interface TuneSummary {
  readonly tasks: readonly TaskReport[];
  readonly trials: number;
  /** Candidates of this run found identical to measured ones (not measured). */
  readonly duplicates: number;
  readonly elapsedMs: number;
  readonly problems: readonly LogProblem[];
  /** The SVG of the tuning curve written beside the log (compiler/tune/plot.ts). */
  readonly plot?: string;
}

/** A task's report; with `best` (the log's verdict after re-measuring), its best from the log. */
function report(s: TaskSearch, best?: Best): TaskReport {
  const t = s.task;
  const bestMs = best && s.defaultMs !== undefined ? s.defaultMs * best.score : s.bestMs;
  return { key: t.key, bucket: t.symbols.map((x, i) => `${x}=${t.bucket[i]}`).join(','),
    ops: t.ops, node: t.node, weight: t.weight, defaultMs: s.defaultMs,
    bestMs, bestKnobs: best ? best.record.knobs : s.best?.knobs, trials: s.trials, converged: s.converged };
}

/**
 * Re-measures each task's two best candidates (against the default again, in one batch) unless
 * the log already holds a re-measurement of them: the log's choice then rests on two
 * measurements, not on the luckiest one.
 */
async function confirm(searches: readonly TaskSearch[], measurer: Measurer, done: ReadonlySet<string>,
  append: (t: TaskSearch, k: Knobs, r: MeasureResult) => void, more: () => boolean): Promise<void> {
  const share = (s: TaskSearch) => s.task.weight * (s.defaultMs ?? 0);
  const order = [...searches].sort((a, b) => share(b) - share(a));
  for (const s of order) {
    if (!more()) return;
    const top = s.top(2).filter((k) => !done.has(`${taskId(s.task)}|${knobsId(k)}`));
    if (!top.length) continue;
    const rs = await measurer.measure(s.task, top, { confirm: true });
    top.forEach((k, i) => append(s, k, rs[i]));
  }
}

/** Feeds the log's records of this target and bucket into each task's search. */
async function resume(searches: readonly TaskSearch[], log: LoadedLog, tkey: string,
  o: { target: ReturnType<typeof checkedTarget>; threads?: number }): Promise<void> {
  const byId = new Map(searches.map((s) => [taskId(s.task), s]));
  for (const r of log.records) {
    const s = byId.get(`${r.workload}\n${r.bucket}`);
    if (!s || r.target !== tkey) continue;
    if (s.seen.has(knobsId(r.knobs))) continue;
    if (!r.sameAs) await s.remember(r.knobs, o.target, o.threads);
    // An identical kernel's record only marks its knobs seen, as in a live run.
    const m = r.status === 'ok' && !r.sameAs ? { ratio: ratio(r), ms: r.ms! } : undefined;
    s.observe(r.knobs, m, r.isDefault === true);
    if (!r.sameAs) s.trials++;
  }
}

/** The first batch (the default) of every task that has none yet, measured concurrently. */
async function allDefaults(searches: readonly TaskSearch[], trials: number,
  prepare: (s: TaskSearch) => Promise<Batch>, measure: (b: Batch) => Promise<MeasureResult[]>,
  settle: (b: Batch, rs: readonly MeasureResult[]) => void): Promise<void> {
  const fresh = searches.filter((s) => !s.converged && !s.seen.has(knobsId(s.task.defaults)));
  const running: { b: Batch; rs: Promise<MeasureResult[]> }[] = [];
  for (const s of fresh.slice(0, trials)) {
    const b = await prepare(s);
    running.push({ b, rs: measure(b) });
  }
  for (const r of running) settle(r.b, await r.rs);
}

/** `shapes` names only symbols of the model, each with positive integer values (KC TUNE_INVALID). */
function checkShapes(shapes: BucketShapes | undefined, symbols: readonly string[]): void {
  for (const [name, values] of Object.entries(shapes ?? {})) {
    if (!symbols.includes(name)) {
      fail(Codes.TUNE_INVALID, `--shapes names '${name}', which is not a symbolic dimension of the model `
        + `(its symbols: ${symbols.join(', ') || 'none'}; a dimension fixed with --fix is not one)`);
    }
    if (!values.length || !values.every((v) => Number.isInteger(v) && v >= 1)) {
      fail(Codes.TUNE_INVALID, `--shapes ${name}= expects positive integers, got '${values.join(',')}'`);
    }
  }
}

/** The task to measure next: defaults first, then the largest weight x time / sqrt(trials). */
function pick(searches: readonly TaskSearch[]): TaskSearch | undefined {
  const live = searches.filter((s) => !s.converged);
  const fresh = live.find((s) => !s.seen.has(knobsId(s.task.defaults)));
  if (fresh) return fresh;
  const gain = (s: TaskSearch) => (s.task.weight * (s.bestMs ?? 0)) / Math.sqrt(1 + s.trials);
  return live.sort((a, b) => gain(b) - gain(a))[0];
}

function record(t: Task, tkey: string, knobs: Knobs, r: MeasureResult,
  extra: Partial<TuneRecord>): TuneRecord {
  const base = { kind: 'kestrel-tune', v: 1, workload: t.key, target: tkey, bucket: bucketOf(t), knobs,
  } as const;
  const what = r.status === 'ok' ? { status: r.status, ms: r.ms, baseMs: r.baseMs }
    : { status: r.status, error: r.error };
  return { ...base, ...what, ...extra, time: new Date().toISOString() };
}

/** What one batch of one task proposed: candidates to measure and identical kernels to log. */
interface Batch {
  readonly s: TaskSearch;
  readonly todo: readonly Knobs[];
  readonly same: readonly { knobs: Knobs; as: string }[];
  readonly before: number | undefined;
}

export async function tune(model: string, o: TuneOptions): Promise<TuneSummary> {
  const t0 = performance.now();
  if (o.trials === undefined && o.budgetMs === undefined) {
    fail(Codes.TUNE_INVALID, 'tune needs a budget (time) or a number of trials');
  }
  const target = checkedTarget(o.target ?? 'host');
  const tkey = targetKey(target);
  const m = importOnnxFile(model, { fixedDims: o.fixedDims });
  checkShapes(o.shapes, m.symbols);
  const tasks = bucketTasks(await extractTasks(m, { target, threads: o.threads }), o.shapes);
  if (!tasks.length) fail(Codes.TUNE_INVALID, `${model} has no kernel with a schedule space to tune`);
  const loaded = loadLog(o.log);
  if (loaded.problems.length) o.onLogProblems?.(loaded.problems);
  const searches = tasks.map((t, i) => new TaskSearch(t, prng(0x9e3779b9 ^ (i * 2654435761))));
  await resume(searches, loaded, tkey, { target, threads: o.threads });
  const measurer: Measurer = o.measurer ?? (o.queue
    ? new QueueMeasurer({ queue: o.queue, target: o.target ?? 'host', threads: o.threads,
      signingKey: o.signingKey, samples: o.samples })
    : new WorkerMeasurer({ model, fixedDims: o.fixedDims, shapes: o.shapes, bench: {
      target: o.target ?? 'host',
      threads: o.threads, samples: o.samples } }));
  const writer = new LogWriter(o.log);
  const done = new Set(loaded.records.map(candidateKey));
  const written: TuneRecord[] = [];
  const append = (r: TuneRecord) => { writer.append(r); written.push(r); };
  let trials = 0, duplicates = 0;
  const elapsed = () => performance.now() - t0;
  // The last 15% of a time budget goes to re-measuring the winners.
  const more = () => (o.trials === undefined || trials < o.trials)
    && (o.budgetMs === undefined || elapsed() < 0.85 * o.budgetMs);

  const prepare = async (s: TaskSearch): Promise<Batch> => {
    const n = Math.min(o.batch ?? 8, (o.trials ?? Infinity) - trials);
    const before = s.best?.ratio;
    const { fresh, same } = await s.dedupe(s.propose(n), target, o.threads);
    const todo = fresh.filter((k) => !done.has(candidateKey({ workload: s.task.key, target: tkey,
      bucket: bucketOf(s.task), knobs: k })));
    return { s, todo, same, before };
  };
  const measure = (b: Batch) => (b.todo.length ? measurer.measure(b.s.task, b.todo) : Promise.resolve([]));
  const settle = (b: Batch, results: readonly MeasureResult[]) => {
    const { s } = b;
    b.todo.forEach((k, i) => {
      const isDefault = knobsId(k) === knobsId(s.task.defaults);
      const rec = record(s.task, tkey, k, results[i], isDefault ? { isDefault: true } : {});
      append(rec);
      s.observe(k, rec.status === 'ok' ? { ratio: ratio(rec), ms: rec.ms! } : undefined, isDefault);
      s.trials++;
      trials++;
    });
    for (const d of b.same) {
      const twin = s.ok.find((x) => knobsId(x.knobs) === d.as);
      const r: MeasureResult = twin ? { status: 'ok', ms: twin.ratio, baseMs: 1 }
        : { status: 'error', error: 'same kernel as a candidate that failed or was invalid' };
      append(record(s.task, tkey, d.knobs, r, { sameAs: d.as }));
      s.observe(d.knobs, undefined);
      duplicates++;
    }
    if (s.seen.has(knobsId(s.task.defaults)) && s.defaultMs === undefined) s.exhausted = true;
    s.endBatch(b.before);
    const etas = [o.budgetMs !== undefined ? o.budgetMs - elapsed() : Infinity,
      o.trials && trials ? (elapsed() / trials) * (o.trials - trials) : Infinity];
    const eta = Math.max(0, Math.min(...etas));
    o.onProgress?.({ elapsedMs: elapsed(), etaMs: Number.isFinite(eta) ? eta : undefined, trials,
      tasks: searches.map((x) => report(x)), current: searches.indexOf(s) });
  };

  try {
    // With many workers, every task's first batch (its default) is measured at once; the batches
    // and their order are those the loop below would make one after the other.
    if (measurer.parallel) await allDefaults(searches, o.trials === undefined ? Infinity : o.trials,
      prepare, measure, settle);
    while (more()) {
      const s = pick(searches);
      if (!s) break;
      const b = await prepare(s);
      settle(b, await measure(b));
    }
    const confirmed = new Set([...loaded.records, ...written].filter((r) => r.confirm && r.target === tkey)
      .map((r) => `${r.workload}\n${r.bucket}|${knobsId(r.knobs)}`));
    const again = (s: TaskSearch, k: Knobs, r: MeasureResult) =>
      append(record(s.task, tkey, k, r, { confirm: true }));
    const inBudget = () => o.budgetMs === undefined || elapsed() < o.budgetMs;
    await confirm(searches, measurer, confirmed, again, inBudget);
  } finally {
    writer.close();
    if (!o.measurer) await measurer.close();
  }
  const all = [...loaded.records, ...written];
  const best = bestBucketRecords(all, target);
  const plot = o.plot === false ? undefined : plotPath(o.log);
  const title = `${basename(dirname(resolve(model)))}/${basename(model)}: tuning curve`;
  const curveTasks = tasks.map((t) => ({ key: t.key, weight: t.weight, bucket: bucketOf(t) }));
  if (plot) writeFileSync(plot, curveSvg(tuningCurve(all, curveTasks, tkey), title));
  return { tasks: searches.map((s) => report(s, best.get(taskId(s.task)))), trials, duplicates,
    elapsedMs: elapsed(), problems: loaded.problems, plot };
}
