// Measuring one task's candidates in this process: each candidate's one-group module is compiled
// to its own small .so, run on seeded random inputs of the workload's shapes (symbols bound to the
// bucket's values, the others to 1), checked against the default schedule's output on the same
// inputs, and timed.
// The candidates of a batch and the default are timed in interleaved rounds after a warm-up, so
// that drift of a busy machine falls on all of them alike, and every result carries the
// default's time of the same batch (`baseMs`): the tuner compares ratios to the default, never
// times taken minutes apart. A sample repeats the run until it lasts about a millisecond, so
// tiny kernels are not timed by the clock's resolution. Used by the tuner's worker process
// (compiler/tune/worker.ts), which is where a crashing candidate may take the process down.
// The same timing serves artifacts compiled elsewhere (a tuning coordinator's, shipped through
// the job queue): `benchArtifacts` loads them with the runtime's loader, which checks each one's
// digest, manifest and CPU features (and signature, with trusted keys) before mapping it.
// Requires: the native addons. Guarantees: every candidate gets exactly one result.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { evalDim } from '../../ir/dim.js';
import type { Value } from '../../ir/graph.js';
import type { TargetName } from '../../codegen/target.js';
import { load, type Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { compileModule } from '../driver.js';
import type { Knobs } from '../schedule/space.js';
import { compareTensors } from '../../tools/testdata.js';
import { bucketText } from '../schedule/buckets.js';
import type { Task } from './tasks.js';

export type MeasureResult =
  | { readonly status: 'ok'; readonly ms: number; readonly baseMs: number }
  | { readonly status: 'invalid' | 'error'; readonly error: string };

export interface BenchOptions {
  readonly target: TargetName;
  readonly threads?: number;
  /** Timed samples per candidate (default 11). */
  readonly samples?: number;
  /** PEM public keys: shipped artifacts must be signed by one of them (queue workers). */
  readonly trustedKeys?: readonly string[];
}

/** Deterministic uniform [-1, 1) numbers (mulberry32), so every candidate sees the same inputs. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return (((t ^ (t >>> 14)) >>> 0) / 4294967296) * 2 - 1;
  };
}

/** One input of a measurement: its name, dtype and concrete dims (the bucket's values bound). */
export interface InputSpec { readonly name: string; readonly dtype: string; readonly dims: readonly number[] }

/** The measurement inputs of a task: what a worker needs to rebuild the same feeds. */
export interface FeedSpec { readonly inputs: readonly InputSpec[]; readonly seed: number }

function randomTensor(v: InputSpec, next: () => number): Tensor {
  const dims = [...v.dims];
  const n = dims.reduce((a, b) => a * b, 1);
  switch (v.dtype) {
    case 'float32': return new Tensor('float32', Float32Array.from({ length: n }, next), dims);
    case 'int64': return new Tensor('int64', new BigInt64Array(n), dims); // zeros: valid indices
    case 'int32': return new Tensor('int32', new Int32Array(n), dims);
    case 'bool': return new Tensor('bool', new Uint8Array(n), dims);
    default: throw new Error(`the tuner cannot make random ${v.dtype} inputs`);
  }
}

/** The inputs of a task at its bucket: its symbols bound to the bucket's values (others to 1). */
export function feedSpec(t: Task): FeedSpec {
  const env = new Map(t.module.symbols.map((s) => [s, t.bucket[t.symbols.indexOf(s)] ?? 1]));
  const inputs = t.module.main.inputs.map((v: Value) => ({ name: v.name, dtype: v.type.dtype,
    dims: v.type.shape.map((d) => evalDim(d, env)) }));
  return { inputs, seed: t.key.length * 7919 };
}

/** The seeded random feeds of a spec: the same on every machine. */
export function specInputs(spec: FeedSpec): Record<string, Tensor> {
  const next = rng(spec.seed);
  return Object.fromEntries(spec.inputs.map((v) => [v.name, randomTensor(v, next)]));
}

export const taskInputs = (t: Task): Record<string, Tensor> => specInputs(feedSpec(t));

/** The log's bucket of a task: '$0=1,$1=37' over its canonical symbols, 'static' without any. */
export const bucketOf = (t: Pick<Task, 'bucket'>): string => bucketText(t.bucket);

/** Compiles one candidate's artifact (undefined knobs: the defaults). */
export async function buildArtifact(t: Task, knobs: Knobs | undefined, output: string,
  o: Pick<BenchOptions, 'target' | 'threads'> & { signingKey?: string }): Promise<void> {
  const schedules = knobs ? [{ workload: t.key, knobs }] : [];
  await compileModule(t.module, { output, target: o.target, threads: o.threads, schedules,
    signingKey: o.signingKey });
}

const loadOptions = (o: BenchOptions) => ({ ...(o.threads ? { threads: o.threads } : {}),
  ...(o.trustedKeys?.length ? { trustedKeys: o.trustedKeys } : {}) });

/** Compiles and loads one candidate (undefined knobs: the defaults). */
async function build(t: Task, knobs: Knobs | undefined, dir: string, i: number,
  o: BenchOptions): Promise<Session> {
  const output = join(dir, `c${i}.so`);
  await buildArtifact(t, knobs, output, o);
  return load(output, loadOptions(o));
}

function mismatch(out: Record<string, unknown>, ref: Record<string, unknown>): string | undefined {
  for (const [name, r] of Object.entries(ref)) {
    const c = compareTensors(out[name] as Tensor, r as Tensor);
    if (!c.ok) return `output ${name} differs from the default schedule's: ${c.message}`;
  }
  return undefined;
}

async function timeOnce(s: Session, feeds: Record<string, Tensor>, inner: number): Promise<number> {
  const t0 = performance.now();
  for (let k = 0; k < inner; k++) await s.run(feeds);
  return (performance.now() - t0) / inner;
}

/** Runs per sample so that a sample lasts about 1 ms (after warming the session up). */
async function calibrate(s: Session, feeds: Record<string, Tensor>): Promise<number> {
  await timeOnce(s, feeds, 3);
  const one = await timeOnce(s, feeds, 3);
  return Math.max(1, Math.min(1000, Math.ceil(1 / Math.max(one, 1e-3))));
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1];

/** Where a measurement's sessions come from: compiled here, or loaded from shipped artifacts. */
interface SessionSource {
  readonly count: number;
  base(): Promise<Session>;
  cand(i: number): Promise<Session>;
}

/** Times a source's candidates against its default in interleaved rounds (see the file comment). */
async function measureSessions(src: SessionSource, feeds: Record<string, Tensor>, samples: number,
  onStart: (i: number) => void, onResult: (i: number, r: MeasureResult) => void): Promise<void> {
  const live: { i: number; s: Session; inner: number; times: number[] }[] = [];
  try {
    const ref = await src.base();
    const want = await ref.run(feeds);
    const base = { i: -1, s: ref, inner: await calibrate(ref, feeds), times: [] as number[] };
    live.push(base);
    for (let i = 0; i < src.count; i++) {
      onStart(i);
      try {
        const s = await src.cand(i);
        const bad = mismatch(await s.run(feeds), want);
        if (bad) { s.dispose(); onResult(i, { status: 'invalid', error: bad }); continue; }
        live.push({ i, s, inner: await calibrate(s, feeds), times: [] });
      } catch (e) {
        onResult(i, { status: 'error', error: (e as Error).message.split('\n')[0] });
      }
    }
    for (let r = 0; r < samples; r++) {
      for (const c of live) { onStart(Math.max(c.i, 0)); c.times.push(await timeOnce(c.s, feeds, c.inner)); }
    }
    const baseMs = median(base.times);
    for (const c of live) if (c.i >= 0) onResult(c.i, { status: 'ok', ms: median(c.times), baseMs });
  } finally {
    for (const c of live) c.s.dispose();
  }
}

/** Measures `cands` of task `t`; `onStart(i)` is called before anything risky is done for i. */
export async function benchCandidates(t: Task, cands: readonly Knobs[], o: BenchOptions,
  onStart: (i: number) => void, onResult: (i: number, r: MeasureResult) => void): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-tune-'));
  const src: SessionSource = { count: cands.length, base: () => build(t, undefined, dir, -1, o),
    cand: (i) => build(t, cands[i], dir, i, o) };
  try {
    await measureSessions(src, taskInputs(t), o.samples ?? 11, onStart, onResult);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Measures shipped artifacts: `cands[i]` against `base` (paths), on the feeds of `spec`; the
 * coordinator's samples and threads (those it compiled for), when it set them, win over the worker's. */
export async function benchArtifacts(base: string, cands: readonly string[], spec: FeedSpec,
  job: { samples?: number; threads?: number }, o: BenchOptions, onStart: (i: number) => void,
  onResult: (i: number, r: MeasureResult) => void):
  Promise<void> {
  const lo = loadOptions({ ...o, threads: job.threads ?? o.threads });
  const src: SessionSource = { count: cands.length, base: () => load(base, lo),
    cand: (i) => load(cands[i], lo) };
  await measureSessions(src, specInputs(spec), job.samples ?? o.samples ?? 11, onStart, onResult);
}
