// The thread pool protocol under load (native/tools/thread-pool-stress.cc): many jobs of varying
// sizes from several callers at once, nested calls, workers stalled at random; every index of
// every job must run exactly once before parallel_for returns.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from './artifact.js';

const tool = join(ROOT, 'native/build/thread-pool-stress');

describe('thread pool', () => {
  it('runs every chunk exactly once with concurrent and nested callers', () => {
    expect(existsSync(tool), `${tool} is missing: run npm run build:native`).toBe(true);
    for (const [threads, jobs, callers] of [[2, 1500, 1], [2, 800, 3], [4, 500, 3], [1, 200, 2]]) {
      const out = execFileSync(tool, [String(threads), String(jobs), String(callers)],
        { encoding: 'utf8', timeout: 120_000 });
      expect(out.trim()).toBe(`ok ${jobs * callers}`);
    }
  });

});
