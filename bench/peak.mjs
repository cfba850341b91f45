// The machine's FMA peak, measured now: compiles bench/fma-peak.cc with g++ into a temporary
// folder and runs it on 1 and on `threads` threads (see that file for the loop measured).
// Requires g++ on PATH; throws with g++'s message otherwise.

import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const SOURCE = join(dirname(fileURLToPath(import.meta.url)), 'fma-peak.cc');

/** "210.8 GFLOP/s on 1 thread, 430.3 GFLOP/s on 2 threads" */
export const describePeak = (peak) => [...peak.byThreads]
  .map(([t, g]) => `${g.toFixed(1)} GFLOP/s on ${t} thread${t > 1 ? 's' : ''}`).join(', ');

/** { isa, byThreads: Map(threads -> GFLOP/s) } for 1 and `threads` threads. */
export function measurePeak(threads) {
  const exe = join(mkdtempSync(join(tmpdir(), 'kestrel-peak-')), 'fma-peak');
  execFileSync('g++', ['-O2', '-pthread', SOURCE, '-o', exe], { stdio: ['ignore', 'ignore', 'pipe'] });
  const counts = [...new Set([1, threads])];
  const text = execFileSync(exe, counts.map(String), { encoding: 'utf8' });
  const byThreads = new Map();
  let isa = '?';
  for (const line of text.trim().split('\n')) {
    const m = /^threads (\d+) isa (\S+) gflops ([\d.]+)$/.exec(line);
    if (!m) throw new Error(`fma-peak: unexpected output '${line}'`);
    byThreads.set(Number(m[1]), Number(m[3]));
    isa = m[2];
  }
  return { isa, byThreads };
}
