// The tuning coordinator's measurer: instead of timing candidates in a local process, it compiles
// each candidate here (for the tuning target, which need not be this machine's), puts one job per
// candidate on the target's BullMQ queue (compiler/tune/queue.ts) and waits for a worker on a
// machine of that target to answer. The search does not change: `measure` still resolves with one
// result per candidate, in order, and the tuner logs them as it logs local ones. Jobs of a batch
// are queued as soon as each is compiled, so workers measure while the rest compile, and any
// number of workers share a batch. A job already on the queue (a restarted coordinator, the same
// candidate asked for again) is not queued again: its result, finished or to come, is reused.
// A job that fails on the workers (a bad artifact, a job stalled by killed workers more than
// twice) is an 'error' result, so it is logged once and never retried forever.
// Requires: a reachable Redis; workers for the target (`kestrel tune-worker`). Guarantees:
// one result per candidate; nothing is measured twice for the same job id.

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Job, Queue, QueueEvents } from 'bullmq';
import type { TargetName } from '../../codegen/target.js';
import { checkedTarget } from '../driver.js';
import type { Knobs } from '../schedule/space.js';
import { bucketOf, buildArtifact, feedSpec, type MeasureResult } from './bench-kernel.js';
import { knobsId, targetKey } from './log.js';
import type { MeasureHints, Measurer } from './measure.js';
import { JOB_VERSION, jobId, type JobResult, type MeasureJob, queueName, redisConnection,
  sha256 } from './queue.js';
import type { Task } from './tasks.js';

export interface QueueMeasurerOptions {
  /** redis://HOST:PORT */
  readonly queue: string;
  readonly target: TargetName;
  readonly threads?: number;
  /** PEM Ed25519 private key: every artifact is signed, for workers that demand it. */
  readonly signingKey?: string;
  /** Timed samples per candidate (default: the workers' 11). */
  readonly samples?: number;
}

interface Artifact { readonly b64: string; readonly sha: string }

const POLL_MS = 10_000;

/** Completed and failed jobs stay a day, so that a restarted coordinator finds their results. */
const KEEP = { age: 24 * 3600 };

export class QueueMeasurer implements Measurer {
  readonly parallel = true;
  readonly target: string;
  private readonly queue: Queue<MeasureJob, JobResult>;
  private readonly events: QueueEvents;
  private readonly dir = mkdtempSync(join(tmpdir(), 'kestrel-coord-'));
  private readonly bases = new Map<string, Promise<Artifact>>();
  private compiled = 0;
  /** Compiles run one at a time, in call order: the first jobs of concurrent batches go out first. */
  private compiling: Promise<unknown> = Promise.resolve();

  constructor(private readonly o: QueueMeasurerOptions) {
    this.target = targetKey(checkedTarget(o.target));
    const connection = redisConnection(o.queue);
    this.queue = new Queue(queueName(this.target), { connection });
    this.events = new QueueEvents(queueName(this.target), { connection });
    // Connection errors are retried by ioredis; an unheard 'error' event would end the process.
    this.queue.on('error', () => undefined);
    this.events.on('error', () => undefined);
    this.events.setMaxListeners(0); // one listener per job awaited, many at once
  }

  /** The queue this coordinator feeds (what workers of the target listen on). */
  get name(): string { return queueName(this.target); }

  async measure(task: Task, cands: readonly Knobs[], hints?: MeasureHints): Promise<MeasureResult[]> {
    await this.events.waitUntilReady();
    const round = hints?.confirm ? 1 : 0;
    const pending: Promise<MeasureResult>[] = [];
    // Compiled one by one, each queued at once: workers start on the first while the rest compile.
    for (const knobs of cands) pending.push((await this.submit(task, knobs, round)).done);
    return Promise.all(pending);
  }

  /** Queues one candidate (or finds its job); `done` is the promise of its result. */
  private async submit(task: Task, knobs: Knobs, round: number): Promise<{ done: Promise<MeasureResult> }> {
    const key = { workload: task.key, bucket: bucketOf(task), target: this.target, knobs, round };
    const id = jobId(key);
    const known = await this.queue.getJob(id);
    if (known) return { done: this.outcome(known) };
    let base: Artifact, cand: Artifact;
    try {
      base = await this.base(task);
      cand = knobsId(knobs) === knobsId(task.defaults) ? base : await this.compile(task, knobs);
    } catch (e) { // as a local measurement reports a candidate that does not compile
      return { done: Promise.resolve({ status: 'error', error: (e as Error).message.split('\n')[0] }) };
    }
    const data: MeasureJob = { v: JOB_VERSION, ...key, label: `${task.ops} '${task.node}'`,
      base: base.b64, baseSha: base.sha, cand: cand.b64, candSha: cand.sha, feeds: feedSpec(task),
      ...(this.o.samples ? { samples: this.o.samples } : {}),
      ...(this.o.threads !== undefined ? { threads: this.o.threads } : {}) };
    const job = await this.queue.add('measure', data,
      { jobId: id, attempts: 1, removeOnComplete: KEEP, removeOnFail: KEEP });
    return { done: this.outcome(job) };
  }

  /**
   * The job's result. BullMQ's wait can miss an event that fires while its event stream is still
   * being set up, so the wait is renewed every POLL_MS, and each renewal checks the job's state
   * in Redis first.
   */
  private async outcome(job: Job<MeasureJob, JobResult>): Promise<MeasureResult> {
    for (;;) {
      try {
        const r = (await job.waitUntilFinished(this.events, POLL_MS)) as JobResult;
        return r.result;
      } catch (e) {
        const why = (e as Error).message.split('\n')[0];
        if (why.startsWith('Job wait ')) continue; // BullMQ's own timeout: wait again
        return { status: 'error', error: `the measurement job failed: ${why}` };
      }
    }
  }

  /** The default schedule's artifact of a task, compiled once per run. */
  private base(task: Task): Promise<Artifact> {
    // The kernel is the same in every bucket (symbolic); only the job's feeds differ.
    let b = this.bases.get(task.key);
    if (!b) { b = this.compile(task, undefined); this.bases.set(task.key, b); }
    return b;
  }

  private compile(task: Task, knobs: Knobs | undefined): Promise<Artifact> {
    const next = this.compiling.then(() => this.compileNow(task, knobs));
    this.compiling = next.catch(() => undefined);
    return next;
  }

  private async compileNow(task: Task, knobs: Knobs | undefined): Promise<Artifact> {
    const out = join(this.dir, `c${this.compiled++}.so`);
    await buildArtifact(task, knobs, out, { target: this.o.target, threads: this.o.threads,
      signingKey: this.o.signingKey });
    const bytes = readFileSync(out);
    rmSync(out, { force: true });
    return { b64: bytes.toString('base64'), sha: sha256(bytes) };
  }

  async close(): Promise<void> {
    await Promise.allSettled([this.events.close(), this.queue.close()]);
    rmSync(this.dir, { recursive: true, force: true });
  }
}
