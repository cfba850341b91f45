// Faults of queue tuning with real measurements, real worker processes (the built CLI, dist/) and
// a private redis-server:
// - two workers tune mobilenetv2; one is killed (SIGKILL, with its measurement process) while it
//   holds a job; BullMQ's stalled-job check hands that job to the other worker, and the run
//   finishes with every trial logged;
// - a coordinator killed mid-run and started again with the same log measures nothing twice:
//   no job id is ever started twice by the workers, no candidate is logged twice.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { candidateKey, loadLog } from '../../compiler/tune/log.js';
import { tune } from '../../compiler/tune/tune.js';
import { REPO_ROOT, sharedDir, tempDir } from '../helpers/shared.js';
import { type RedisServer, startRedis } from './redis.js';

const CLI = join(REPO_ROOT, 'dist', 'compiler', 'cli.js');
const TINY = join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Proc { readonly c: ChildProcess; out: string; readonly exited: Promise<number | null> }

/** The CLI in its own process group (one kill reaches its measurement process too). */
function cli(args: readonly string[]): Proc {
  const c = spawn(process.execPath, [CLI, ...args], { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  const p: Proc = { c, out: '', exited: new Promise((r) => c.once('exit', (code) => r(code))) };
  c.stdout!.on('data', (d) => { p.out += String(d); });
  c.stderr!.on('data', (d) => { p.out += String(d); });
  return p;
}

const ids = (p: Proc, what: 'start' | 'job') =>
  p.out.split('\n').filter((l) => l.startsWith(`${what} `)).map((l) => l.split(' ')[1]);

async function until(ok: () => boolean, ms: number): Promise<void> {
  const t0 = Date.now();
  while (!ok()) {
    if (Date.now() - t0 > ms) throw new Error('timed out waiting');
    await sleep(20);
  }
}

const lines = (f: string) => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').length - 1 : 0);

describe('queue tuning faults', () => {
  let redis: RedisServer;
  const procs: Proc[] = [];
  beforeEach(async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build:ts`).toBe(true);
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const p of procs.splice(0)) {
      if (p.c.exitCode === null && p.c.signalCode === null) process.kill(-p.c.pid!, 'SIGKILL');
      await p.exited;
    }
    await redis.stop();
  });

  const worker = async () => {
    // A short stall interval, so the killed worker's job moves soon; long enough that a worker
    // starved of CPU on a busy machine still renews its lock.
    const p = cli(['tune-worker', '--queue', redis.url, '--stall', '5s']);
    procs.push(p);
    await until(() => p.out.includes('tune-worker '), 30_000);
    return p;
  };

  it('finishes with no job lost when a worker is killed mid-job (mobilenetv2)', async () => {
    const model = join(sharedDir(), 'models', 'mobilenetv2', 'model.onnx');
    const log = join(tempDir(), 'kill.jsonl');
    const [w1, w2] = [await worker(), await worker()];
    // 100 timed samples make each job last long enough that the kill lands inside one.
    const run = tune(model, { log, trials: 40, fixedDims: { batch: 1 }, queue: redis.url, samples: 100 });
    // Kill a worker while it holds a job: after some answers, at a moment its last line is a
    // 'start'. The job may still finish between that look and the kill (short kernels take
    // milliseconds); then a fresh worker takes its place and the kill is tried again.
    let held: string[] = [];
    for (let attempt = 0; attempt < 5 && held.length === 0; attempt++) {
      const victim = attempt === 0 ? w1 : await worker();
      await until(() => ids(victim, 'job').length >= (attempt === 0 ? 3 : 1)
        && victim.out.trimEnd().split('\n').at(-1)!.startsWith('start'), 120_000);
      process.kill(-victim.c.pid!, 'SIGKILL');
      await victim.exited;
      held = ids(victim, 'start').filter((id) => !ids(victim, 'job').includes(id));
    }
    expect(held.length).toBe(1);
    const s = await run;
    expect(s.trials).toBe(40);
    const rs = loadLog(log).records;
    expect(rs.filter((r) => !r.sameAs && !r.confirm).length).toBe(40);
    expect(ids(w2, 'job')).toContain(held[0]); // the stalled job was measured by the survivor
    const keys = rs.filter((r) => !r.confirm).map(candidateKey);
    expect(new Set(keys).size).toBe(keys.length);
  }, 300_000);

  it('a restarted coordinator repeats no measurement', async () => {
    const log = join(tempDir(), 'restart.jsonl');
    const w = await worker();
    const first = cli(['tune', TINY, '--log', log, '--trials', '40', '--queue', redis.url]);
    procs.push(first);
    await until(() => lines(log) >= 8, 120_000);
    process.kill(-first.c.pid!, 'SIGKILL');
    await first.exited;
    const before = loadLog(log).records.filter((r) => !r.sameAs && !r.confirm).length;
    const second = cli(['tune', TINY, '--log', log, '--trials', '10', '--queue', redis.url]);
    procs.push(second);
    expect(await second.exited, second.out).toBe(0);
    expect(second.out).toContain('10 measured this run');
    const rs = loadLog(log).records;
    expect(rs.filter((r) => !r.sameAs && !r.confirm).length).toBe(before + 10);
    const keys = rs.filter((r) => !r.confirm).map(candidateKey);
    expect(new Set(keys).size).toBe(keys.length);
    const started = ids(w, 'start');
    expect(new Set(started).size).toBe(started.length); // no job was measured twice
  }, 300_000);
});
