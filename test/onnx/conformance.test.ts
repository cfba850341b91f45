// The ONNX backend conformance cases (shared/onnx-tests), static and with every input dim made
// symbolic (--dynamic): no case may fail unless test/onnx/known-failures.txt lists it with its
// reason, and every case listed in the baseline must pass.
// Unsupported cases are skipped by the runner and listed in its report, never counted as passes.
// Regenerate the baselines with `node scripts/conformance-baseline.mjs` and review the diff.

import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT, sharedDir, tempDir } from '../helpers/shared.js';

interface Report {
  summary: { passed: number; failed: number; skipped: number };
  cases: { name: string; status: string; message?: string }[];
}

/** Runs the runner in a child process without blocking this worker (vitest's RPC needs it). */
async function runConformance(dynamic: boolean): Promise<Report> {
  const runner = join(REPO_ROOT, 'dist', 'compiler', 'conformance.js');
  if (!existsSync(runner)) throw new Error(`${runner} is missing: run \`npm run build:ts\` first`);
  const dirs = ['node', 'pytorch-converted', 'pytorch-operator', 'simple']
    .map((d) => join(sharedDir(), 'onnx-tests', d));
  const report = join(tempDir(), 'report.json');
  try {
    await promisify(execFile)('node',
      [runner, ...dirs, '--report', report, ...(dynamic ? ['--dynamic'] : [])],
      { cwd: REPO_ROOT, timeout: 1_500_000, maxBuffer: 64 << 20 });
  } catch { /* a nonzero exit means failures: the assertions below list them */ }
  return JSON.parse(readFileSync(report, 'utf8')) as Report;
}

/** Known failures for a mode: case name -> reason (test/onnx/known-failures.txt). */
function knownFailures(mode: string): Map<string, string> {
  const lines = readFileSync(join(REPO_ROOT, 'test', 'onnx', 'known-failures.txt'), 'utf8').split('\n');
  const out = new Map<string, string>();
  for (const line of lines) {
    const m = /^(static|dynamic|both) (\S+): (.*)$/.exec(line);
    if (m && (m[1] === mode || m[1] === 'both')) out.set(m[2], m[3]);
  }
  return out;
}

function baseline(mode: string): string[] {
  return readFileSync(join(REPO_ROOT, 'test', 'onnx', `baseline-${mode}.txt`), 'utf8')
    .split('\n').filter(Boolean);
}

describe('ONNX conformance', () => {
  for (const mode of ['static', 'dynamic']) {
    it(`${mode}: no failures, and every baseline case passes`, async () => {
      const r = await runConformance(mode === 'dynamic');
      const known = knownFailures(mode);
      const failed = r.cases.filter((c) => c.status === 'FAIL'
        && !known.has(c.name)).map((c) => `${c.name}: ${c.message}`);
      expect(failed).toEqual([]);
      const passed = new Set(r.cases.filter((c) => c.status === 'PASS').map((c) => c.name));
      const lost = baseline(mode).filter((n) => !passed.has(n));
      expect(lost).toEqual([]);
      expect(r.summary.passed).toBeGreaterThan(0);
    }, 1_800_000);
  }
});
