// `kestrel tune-worker`: a measurement worker of a tuning fleet. It listens on the queue of its
// own target key only (compiler/tune/queue.ts), so it takes only jobs compiled for a machine like
// it. Per job it checks the format version, the target, and each artifact's SHA-256 against the
// job; writes the two artifacts to a private temporary directory; asks the runtime's inspector
// whether load() would accept them here (digest, manifest, version, architecture, CPU features;
// the signature too with trusted keys); and only then measures them in a separate process (the
// tuner's measurement process, compiler/tune/worker.ts) with a timeout. Nothing else from a job is
// ever executed. A candidate that crashes or hangs that process is answered 'error' (the job
// completes: it is not retried); a job whose artifacts fail the checks fails with the reason.
// A worker killed mid-job holds a lock it no longer renews: after about `stallMs` another worker's
// stalled-job check puts the job back on the queue (BullMQ), twice at most. ioredis reconnects
// after a Redis restart, and the worker resumes taking jobs.
// Requires: a reachable Redis; a built dist/ (the measurement process). Guarantees: each job's
// result is one MeasureResult made on this machine from verified artifacts.

import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { TargetName } from '../../codegen/target.js';
import { inspectArtifact } from '../../runtime-vm/session.js';
import { checkedTarget } from '../driver.js';
import type { MeasureResult } from './bench-kernel.js';
import { targetKey } from './log.js';
import { WorkerMeasurer } from './measure.js';
import { JOB_VERSION, type JobResult, type MeasureJob, queueName, redisConnection, sha256 } from './queue.js';

export interface TuneWorkerOptions {
  /** redis://HOST:PORT */
  readonly queue: string;
  /** The target whose jobs to take (default host): what the artifacts were compiled for. */
  readonly target?: TargetName;
  /** Jobs measured at once, each in its own measurement process (default 1). */
  readonly concurrency?: number;
  readonly threads?: number;
  /** PEM Ed25519 public keys: when given, only artifacts signed by one of them are measured. */
  readonly trustedKeys?: readonly string[];
  /** A measurement silent this long is a hang (default 60 s). */
  readonly timeoutMs?: number;
  /** Job lock and stalled-job check interval (default 30 s): how soon a dead worker's job moves. */
  readonly stallMs?: number;
  readonly name?: string;
  /** Another measurement script speaking the same messages (tests). */
  readonly script?: string;
  /** A job taken (before its checks): its id and label. */
  readonly onStart?: (id: string, label: string) => void;
  /** A job answered or refused. */
  readonly onJob?: (e: WorkerEvent) => void;
}

export interface WorkerEvent {
  readonly id: string;
  readonly workload: string;
  readonly label: string;
  readonly knobs: MeasureJob['knobs'];
  readonly result?: MeasureResult;
  /** Why the job was refused (its artifacts failed a check). */
  readonly refused?: string;
}

export interface TuneWorker {
  readonly queue: string;
  readonly target: string;
  readonly name: string;
  close(): Promise<void>;
}

/** Measurement processes, one per concurrent job, reused across jobs. */
class Pool {
  private readonly free: WorkerMeasurer[];

  constructor(o: TuneWorkerOptions, n: number) {
    const bench = { target: o.target ?? 'host', threads: o.threads, trustedKeys: o.trustedKeys };
    this.free = Array.from({ length: n }, () =>
      new WorkerMeasurer({ bench, timeoutMs: o.timeoutMs, script: o.script }));
  }

  async with<T>(f: (m: WorkerMeasurer) => Promise<T>): Promise<T> {
    const m = this.free.pop()!; // BullMQ never runs more than `concurrency` jobs at once
    try { return await f(m); } finally { this.free.push(m); }
  }

  close(): void { for (const m of this.free) m.close(); }
}

/** The artifact bytes of a job field, checked against its digest. */
function artifactBytes(b64: string, sha: string, what: string): Buffer {
  const bytes = Buffer.from(b64, 'base64');
  if (sha256(bytes) !== sha) throw new UnrecoverableError(`the ${what} artifact does not match its SHA-256`);
  return bytes;
}

/** Writes the job's artifacts and refuses them if load() would (checked without mapping them). */
function verifiedArtifacts(d: MeasureJob, dir: string, target: string): { base: string; cand: string } {
  const refuse = (why: string) => { throw new UnrecoverableError(why); };
  if (d.v !== JOB_VERSION) refuse(`job format ${String(d.v)}, this worker reads ${JOB_VERSION}`);
  if (d.target !== target) refuse(`job for target ${d.target}, this worker is ${target}`);
  const paths = { base: join(dir, 'base.so'), cand: join(dir, 'cand.so') };
  for (const [what, b64, sha] of [['base', d.base, d.baseSha], ['cand', d.cand, d.candSha]] as const) {
    writeFileSync(paths[what], artifactBytes(b64, sha, what === 'base' ? 'default' : 'candidate'));
    chmodSync(paths[what], 0o600);
    let why: string | undefined;
    try { why = inspectArtifact(paths[what]).loadError?.message; } catch (e) { why = (e as Error).message; }
    if (why) throw new UnrecoverableError(`artifact refused: ${why}`);
  }
  return paths;
}

async function measureJob(job: Job<MeasureJob, JobResult>, pool: Pool, target: string,
  name: string): Promise<JobResult> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-job-'));
  try {
    const p = verifiedArtifacts(job.data, dir, target);
    const d = job.data;
    const [result] = await pool.with((m) => m.measureArtifacts(p.base, [p.cand], d.feeds, d));
    return { result, worker: name };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

const about = (j: Job<MeasureJob, JobResult>) =>
  ({ id: j.id!, workload: j.data.workload, label: j.data.label, knobs: j.data.knobs });

export async function startTuneWorker(o: TuneWorkerOptions): Promise<TuneWorker> {
  const target = targetKey(checkedTarget(o.target ?? 'host'));
  const name = o.name ?? `${hostname()}/${process.pid}`;
  const concurrency = o.concurrency ?? 1;
  const pool = new Pool(o, concurrency);
  const stall = o.stallMs ?? 30_000;
  const worker = new Worker<MeasureJob, JobResult>(queueName(target), async (job) => {
    o.onStart?.(job.id!, job.data.label);
    const r = await measureJob(job, pool, target, name);
    o.onJob?.({ ...about(job), result: r.result });
    return r;
  }, { connection: redisConnection(o.queue), concurrency, lockDuration: stall, stalledInterval: stall,
    maxStalledCount: 2, autorun: true });
  worker.on('failed', (job, e) => {
    if (job) o.onJob?.({ ...about(job), refused: e.message });
  });
  // Connection errors are retried by ioredis; an unheard 'error' event would end the process.
  worker.on('error', () => undefined);
  await worker.waitUntilReady();
  return { queue: queueName(target), target, name,
    close: async () => { await worker.close(); pool.close(); } };
}
