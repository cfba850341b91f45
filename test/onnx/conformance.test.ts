// The ONNX backend conformance cases (shared/onnx-tests), static and with every input dim made
// symbolic (--dynamic): no case may fail unless test/onnx/known-failures.txt lists it with its
// reason, every case listed in the baseline must pass, and every listed failure must still fail
// (test/onnx/expectations.ts). Unsupported cases are skipped by the runner and listed in its
// report, never counted as passes.
// The runner is the built dist/, so the TypeScript is rebuilt first (tsc, incremental): the run
// tests the sources as they are. (The native addons are not rebuilt: `npm run build:native`.)
// KESTREL_CONFORMANCE_FILTER=regex runs only the matching cases (and checks only those).
// Regenerate the baselines with `node scripts/conformance-baseline.mjs` and review the diff.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, rebuildDist, sharedDir, tempDir } from '../helpers/shared.js';
import { baseline, type CaseResult, checkResults, knownFailures, type Mode } from './expectations.js';

interface Report {
  summary: { passed: number; failed: number; skipped: number };
  cases: CaseResult[];
}

const FILTER = process.env.KESTREL_CONFORMANCE_FILTER;

/** Runs the runner in a child process without blocking this worker (vitest's RPC needs it). */
async function runConformance(dynamic: boolean): Promise<Report> {
  const runner = join(REPO_ROOT, 'dist', 'tools', 'conformance.js');
  const dirs = ['node', 'pytorch-converted', 'pytorch-operator', 'simple']
    .map((d) => join(sharedDir(), 'onnx-tests', d));
  const report = join(tempDir(), 'report.json');
  const args = [runner, ...dirs, '--report', report, ...(dynamic ? ['--dynamic'] : [])];
  try {
    await promisify(execFile)('node', [...args, ...(FILTER ? ['--filter', FILTER] : [])],
      { cwd: REPO_ROOT, timeout: 1_500_000, maxBuffer: 64 << 20 });
  } catch { /* a nonzero exit means failures: the assertions below list them */ }
  return JSON.parse(readFileSync(report, 'utf8')) as Report;
}

describe('ONNX conformance', () => {
  beforeAll(rebuildDist, 300_000);
  for (const mode of ['static', 'dynamic'] as Mode[]) {
    it(`${mode}: no failures, every baseline case passes, every known failure still fails`, async () => {
      const r = await runConformance(mode === 'dynamic');
      const filter = FILTER ? new RegExp(FILTER) : undefined;
      const p = checkResults(r.cases, knownFailures(mode), baseline(mode), (n) => !filter || filter.test(n));
      expect(p.unexpected, 'failures not listed in test/onnx/known-failures.txt').toEqual([]);
      expect(p.lost, 'baseline cases that no longer pass').toEqual([]);
      expect(p.stale, 'known failures that no longer fail').toEqual([]);
      expect(r.summary.passed).toBeGreaterThan(0);
    }, 1_800_000);
  }
});
