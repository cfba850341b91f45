// The machine's FMA peak, measured now: compiles bench/fma-peak.cc with g++ into a temporary
// folder and runs it on 1 and on `threads` threads (see that file for the loop measured). The peak
// is the rate over each thread's CPU time (what the cores do, even on a shared machine); the rate
// over wall time (what the machine gave the benchmark at that moment) is reported beside it.
// Requires g++ on PATH; throws with g++'s message otherwise.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'fma-peak.cc');

/** "221.8 GFLOP/s on 1 thread (37.5 over wall time), 447.9 on 2 threads (45.5 over wall time)" */
export const describePeak = (peak) => [...peak.byThreads]
  .map(([t, g], i) => `${g.cpu.toFixed(1)}${i ? '' : ' GFLOP/s'} on ${t} thread${t > 1 ? 's' : ''} ` +
    `(${g.wall.toFixed(1)} over wall time)`).join(', ');

/** The peak (GFLOP/s over CPU time) on `threads` threads: the denominator of "of peak". */
export const peakAt = (peak, threads) => peak.byThreads.get(threads).cpu;

/** { isa, byThreads: Map(threads -> { cpu, wall } GFLOP/s) } for 1 and `threads` threads. */
export function measurePeak(threads) {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-peak-')), exe = join(dir, 'fma-peak');
  let text;
  try {
    execFileSync('g++', ['-O2', '-pthread', SOURCE, '-o', exe], { stdio: ['ignore', 'ignore', 'pipe'] });
    text = execFileSync(exe, [...new Set([1, threads])].map(String), { encoding: 'utf8' });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  const byThreads = new Map();
  let isa = '?';
  for (const line of text.trim().split('\n')) {
    const m = /^threads (\d+) isa (\S+) gflops ([\d.]+) cpu_gflops ([\d.]+)$/.exec(line);
    if (!m) throw new Error(`fma-peak: unexpected output '${line}'`);
    byThreads.set(Number(m[1]), { wall: Number(m[3]), cpu: Number(m[4]) });
    isa = m[2];
  }
  return { isa, byThreads };
}
