// Tuning on a job queue (compiler/tune/queue*.ts, worker-queue.ts), each test with its own
// redis-server on a free port:
// - a coordinator with two workers logs, record for record, what one process logs on mobilenetv2
//   when both get the same times (a stub measurement process times each artifact by a hash of its
//   bytes; with real timings the search follows the noise, see docs/tuning.md);
// - a candidate that crashes the measurement process is logged as an error, once, not retried;
// - a job whose artifact does not match its digest is refused and logged as an error;
// - a worker started before a Redis restart takes jobs after it.

import { readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { checkedTarget } from '../../compiler/driver.js';
import { buildArtifact, type MeasureResult } from '../../compiler/tune/bench-kernel.js';
import { knobsId, loadLog, targetKey, type TuneRecord } from '../../compiler/tune/log.js';
import type { Measurer } from '../../compiler/tune/measure.js';
import { JOB_VERSION, queueName, redisConnection, sha256 } from '../../compiler/tune/queue.js';
import type { Task } from '../../compiler/tune/tasks.js';
import { tune } from '../../compiler/tune/tune.js';
import { startTuneWorker, type TuneWorker, type WorkerEvent } from '../../compiler/tune/worker-queue.js';
import { stubMs } from '../fixtures/stub-ms.mjs';
import { REPO_ROOT, sharedDir, tempDir } from '../helpers/shared.js';
import { type RedisServer, startRedis } from './redis.js';

const fixtures = resolve(dirname(fileURLToPath(import.meta.url)), '..', 'fixtures');
const TINY = join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx');

/**
 * The local twin of the stub measurement process: the same time for the same artifact. As on the
 * coordinator, the default's knobs are measured on the default's artifact (compiled without a
 * schedule: its manifest lists no tuned kernel).
 */
function stubMeasurer(dir: string): Measurer {
  let n = 0;
  return {
    async measure(task: Task, cands): Promise<MeasureResult[]> {
      const out: MeasureResult[] = [];
      for (const k of cands) {
        const so = join(dir, `l${n++}.so`);
        const knobs = knobsId(k) === knobsId(task.defaults) ? undefined : k;
        await buildArtifact(task, knobs, so, { target: 'host' });
        out.push({ status: 'ok', ms: stubMs(readFileSync(so)), baseMs: 1 });
      }
      return out;
    },
    close() { /* nothing held */ },
  };
}

const withoutTime = (rs: readonly TuneRecord[]) => rs.map(({ time: _, ...r }) => r);

describe('tuning on a job queue', () => {
  let redis: RedisServer;
  const workers: TuneWorker[] = [];
  beforeEach(async () => { redis = await startRedis(); });
  afterEach(async () => {
    await Promise.all(workers.splice(0).map((w) => w.close()));
    await redis.stop();
  });

  // The default stall interval (30 s): these workers share the test's process with the
  // coordinator, whose compiles hold the event loop, and no worker is killed here.
  const worker = async (script: string, events: WorkerEvent[] = []) => {
    const w = await startTuneWorker({ queue: redis.url, script: join(fixtures, script),
      onJob: (e) => events.push(e) });
    workers.push(w);
    return events;
  };

  it('logs with two workers what one process logs, given the same times (mobilenetv2)', async () => {
    const model = join(sharedDir(), 'models', 'mobilenetv2', 'model.onnx');
    const dir = tempDir();
    const jobs = await worker('stub-artifact-worker.mjs');
    await worker('stub-artifact-worker.mjs', jobs);
    const o = { trials: 45, fixedDims: { batch: 1 } };
    const queued = await tune(model, { ...o, log: join(dir, 'queued.jsonl'), queue: redis.url });
    const local = await tune(model, { ...o, log: join(dir, 'local.jsonl'), measurer: stubMeasurer(dir) });
    const q = loadLog(join(dir, 'queued.jsonl')), l = loadLog(join(dir, 'local.jsonl'));
    expect(queued.trials).toBe(45);
    expect(q.records.filter((r) => r.confirm).length).toBeGreaterThan(0);
    expect(withoutTime(q.records)).toEqual(withoutTime(l.records));
    expect(queued.tasks.map((t) => t.bestMs)).toEqual(local.tasks.map((t) => t.bestMs));
    // Every job was measured once (the first and the re-measurement rounds are distinct jobs).
    expect(jobs.length).toBe(q.records.filter((r) => !r.sameAs).length);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(jobs.length);
  }, 300_000);

  it('logs a candidate that crashes the measurement process as an error, once', async () => {
    const jobs = await worker('stub-crash-worker.mjs');
    const log = join(tempDir(), 'crash.jsonl');
    const s = await tune(TINY, { log, trials: 3, queue: redis.url });
    expect(s.trials).toBe(3);
    const rs = loadLog(log).records;
    expect(rs.map((r) => r.status)).toEqual(['error', 'error', 'error']);
    expect(rs[0].error).toContain('worker crashed (exit 9)');
    expect(jobs.map((j) => j.result?.status)).toEqual(['error', 'error', 'error']);
  }, 120_000);

  it('refuses a job whose artifact does not match its digest', async () => {
    const jobs = await worker('stub-artifact-worker.mjs');
    const target = targetKey(checkedTarget('host'));
    const connection = redisConnection(redis.url);
    const q = new Queue(queueName(target), { connection });
    try {
      const bytes = Buffer.from('not an artifact');
      const job = await q.add('measure', { v: JOB_VERSION, workload: 'w', label: 'x', bucket: 'static',
        target, knobs: {}, round: 0, base: bytes.toString('base64'), baseSha: sha256(bytes),
        cand: bytes.toString('base64'), candSha: '0'.repeat(64), feeds: { inputs: [], seed: 1 } });
      // Polled (not waitUntilFinished, which can miss an event while its stream starts).
      for (let i = 0; i < 500 && !(await job.isFailed()); i++) await new Promise((r) => setTimeout(r, 20));
      expect((await q.getJob(job.id!))?.failedReason).toMatch(/does not match its SHA-256|refused/);
      for (let i = 0; i < 100 && !jobs.length; i++) await new Promise((r) => setTimeout(r, 20));
      expect(jobs.map((j) => j.refused ?? '')).toEqual([expect.stringMatching(/artifact/)]);
    } finally {
      await q.close();
    }
  }, 60_000);

  it('keeps taking jobs after Redis restarts', async () => {
    const jobs = await worker('stub-artifact-worker.mjs');
    await redis.restart();
    const s = await tune(TINY, { log: join(tempDir(), 'restart.jsonl'), trials: 2, queue: redis.url });
    expect(s.trials).toBe(2);
    expect(jobs.length).toBe(2);
  }, 120_000);
});
