// Timing for bench/run.mjs: several runtimes (variants) measured in one process, in alternating
// blocks (each variant runs `block` times back to back; the order of the variants rotates every
// round, so each one follows each other one equally often), after a warm-up, reported as medians.
// Before each block the process idles `gapMs`: onnxruntime's intra-op threads keep spinning for
// about 20 ms after its last run (default options), and without the pause the next block's runtime
// would be timed against those spinning threads on the same cores, which no user of either
// runtime sees. The spinning between a runtime's own back-to-back runs is kept.
// The number of rounds comes from a quick first timing, so that a case takes about `budgetMs`.
// In neighbour mode every round is run twice, once quiet and once beside a busy process (a
// CPU-bound child, idle while quiet), alternating which goes first, so that quiet and busy
// medians see the same drift of the shared machine.

import { spawn } from 'node:child_process';

const WARMUP = 2, PROBE = 3, MIN_ROUNDS = 2, MAX_ROUNDS = 16;

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b), h = s.length >> 1;
  return s.length % 2 ? s[h] : (s[h - 1] + s[h]) / 2;
};

async function timeRun(run) {
  const t0 = performance.now();
  await run();
  return performance.now() - t0;
}

/** One round: each variant `block` times, starting with variant `first`; times into `samples`. */
async function round(variants, first, block, samples, gapMs) {
  for (let v = 0; v < variants.length; v++) {
    const { name, run } = variants[(first + v) % variants.length];
    if (gapMs > 0) await new Promise((res) => setTimeout(res, gapMs));
    for (let i = 0; i < block; i++) samples[name].push(await timeRun(run));
  }
}

const emptySamples = (variants) => Object.fromEntries(variants.map((v) => [v.name, []]));
const medians = (samples) => Object.fromEntries(Object.entries(samples).map(([k, xs]) => [k, median(xs)]));

// The neighbour: a child process that, while busy, spins in 2 ms slices (reading its messages in
// between, so it switches within one slice) and, while quiet, sleeps. It leaves when its IPC
// channel closes, so it never outlives the benchmark however the benchmark ends.
const CHILD = `let busy = false;
const spin = () => {
  if (!busy) return;
  for (const t = Date.now() + 2; Date.now() < t;);
  setImmediate(spin);
};
process.on('message', (m) => {
  const was = busy;
  busy = m === 'busy';
  if (busy && !was) spin();
  process.send(m);
});
process.on('disconnect', () => process.exit(0));`;

/** One CPU-bound neighbour process, switched between busy and quiet; killed on exit. */
export class Neighbour {
  constructor() {
    this.child = spawn(process.execPath, ['-e', CHILD], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
    this.onExit = () => this.dispose();
    process.on('exit', this.onExit);
  }

  /** Resolves once the child has switched. */
  busy(on) {
    const want = on ? 'busy' : 'quiet';
    return new Promise((res, rej) => {
      const ack = (m) => { if (m === want) { this.child.off('message', ack); res(); } };
      this.child.on('message', ack);
      this.child.send(want, (e) => e && rej(e));
    });
  }

  dispose() {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    this.child.kill('SIGKILL');
    process.off('exit', this.onExit);
  }
}

function chooseRounds(variants, estimates, opts, phases) {
  if (opts.runs) return Math.max(1, Math.ceil(opts.runs / opts.block));
  const perRound = opts.block * variants.reduce((s, v) => s + estimates[v.name], 0) * phases;
  return Math.min(MAX_ROUNDS, Math.max(MIN_ROUNDS, Math.round(opts.budgetMs / perRound)));
}

/**
 * Measures `variants` ({name, run}) as the header says; opts {block, gapMs, runs?, budgetMs, neighbour?}.
 * Returns { runs (timed runs per variant and phase), quiet: name -> median ms, busy? (same) }.
 */
export async function measureCase(variants, opts) {
  const probe = emptySamples(variants);
  for (const v of variants) for (let i = 0; i < WARMUP; i++) await v.run();
  await round(variants, 0, PROBE, probe, opts.gapMs);
  const phases = opts.neighbour ? ['quiet', 'busy'] : ['quiet'];
  const rounds = chooseRounds(variants, medians(probe), opts, phases.length);
  const block = opts.runs ? Math.min(opts.block, opts.runs) : opts.block;
  const samples = Object.fromEntries(phases.map((p) => [p, emptySamples(variants)]));
  const t0 = performance.now();
  let done = 0;
  // Busy rounds can be many times slower than planned; past twice the budget, stop (>= 2 rounds).
  while (done < rounds && (done < MIN_ROUNDS || opts.runs || performance.now() - t0 < 2 * opts.budgetMs)) {
    for (let p = 0; p < phases.length; p++) {
      const phase = phases[(done + p) % phases.length];
      await opts.neighbour?.busy(phase === 'busy');
      await round(variants, done % variants.length, block, samples[phase], opts.gapMs);
    }
    await opts.neighbour?.busy(false);
    done++;
  }
  const result = { runs: done * block, quiet: medians(samples.quiet) };
  return opts.neighbour ? { ...result, busy: medians(samples.busy) } : result;
}
