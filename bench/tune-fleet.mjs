// Wall time of a fixed-trial tuning run measured by one queue worker against two (each with
// --concurrency 1), and by the local measurement process, in alternating order, each run with a
// fresh redis-server on a free port (job ids are idempotent, so a reused server would answer from
// the earlier run) and a fresh log.
//   node bench/tune-fleet.mjs [--model mobilenetv2] [--trials 80] [--reps 2] [--fix batch=1]
//                             [--samples N]   (timed samples per candidate; the tuner's default 11)
//                             [--threads N]   (kernel threads: 1 lets two workers share two cores)
// Needs `npm run build` first, redis-server, and the shared models ($KESTREL_SHARED or ../shared).

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { opt, shared } from './args.mjs';

const name = opt('model', 'mobilenetv2');
const trials = opt('trials', '80');
const reps = Number(opt('reps', '2'));
const fix = opt('fix', 'batch=1');
const samples = opt('samples');
const threads = opt('threads');
const model = join(shared, 'models', name, 'model.onnx');
const CLI = resolve('dist', 'compiler', 'cli.js');

const freePort = () => new Promise((res) => {
  const s = createServer().listen(0, '127.0.0.1', () => {
    const { port } = s.address();
    s.close(() => res(port));
  });
});

/** Spawns `cmd`; resolves when its output contains `ready` (or at once without one). */
function start(cmd, argv, ready) {
  const c = spawn(cmd, argv, { stdio: ['ignore', 'pipe', 'pipe'], detached: true });
  let out = '';
  const done = new Promise((res) => c.once('exit', (code) => res(code)));
  const up = new Promise((res, rej) => {
    const look = (d) => { out += String(d); if (!ready || out.includes(ready)) res(); };
    c.stdout.on('data', look);
    c.stderr.on('data', look);
    done.then((code) => rej(new Error(`${cmd} exited (${code}): ${out}`)));
    if (!ready) res();
  });
  return { c, up, done, out: () => out };
}

async function run(workers, dir) {
  const log = join(dir, `w${workers}-${Date.now()}.jsonl`);
  const base = [CLI, 'tune', model, '--log', log, '--trials', trials, '--fix', fix,
    ...(samples ? ['--samples', samples] : []), ...(threads ? ['--threads', threads] : [])];
  const procs = [];
  try {
    let queue = [];
    if (workers > 0) {
      const port = await freePort();
      const redis = start('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '',
        '--appendonly', 'no'], 'Ready to accept connections');
      procs.push(redis);
      await redis.up;
      queue = ['--queue', `redis://127.0.0.1:${port}`];
      for (let i = 0; i < workers; i++) {
        const argv = [CLI, 'tune-worker', ...queue, '--concurrency', '1'];
        const w = start(process.execPath, argv, 'tune-worker ');
        procs.push(w);
        await w.up;
      }
    }
    const t0 = performance.now();
    const coord = start(process.execPath, [...base, ...queue]);
    if (await coord.done !== 0) throw new Error(`tune failed: ${coord.out()}`);
    return (performance.now() - t0) / 1000;
  } finally {
    for (const p of procs.reverse()) { process.kill(-p.c.pid, 'SIGKILL'); await p.done.catch(() => 0); }
  }
}

const dir = mkdtempSync(join(tmpdir(), 'kestrel-fleet-'));
const times = { 0: [], 1: [], 2: [] };
try {
  for (let r = 0; r < reps; r++) {
    for (const w of r % 2 ? [2, 1, 0] : [0, 1, 2]) {
      const s = await run(w, dir);
      times[w].push(s);
      console.log(`rep ${r + 1}: ${w ? `${w} worker${w > 1 ? 's' : ''}` : 'local'}: ${s.toFixed(1)} s`);
    }
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
const med = (xs) => {
  const s = [...xs].sort((a, b) => a - b), m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
console.log(`${name}, ${trials} trials, ${samples ?? 11} samples, ${threads ?? 'all'} threads, ` +
  `median of ${reps}: local ${med(times[0]).toFixed(1)} s, ` +
  `1 worker ${med(times[1]).toFixed(1)} s, 2 workers ${med(times[2]).toFixed(1)} s ` +
  `(1 -> 2 workers: ${(med(times[1]) / med(times[2])).toFixed(2)}x)`);
