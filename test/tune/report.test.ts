// The terminal output of `kestrel tune`: the progress line (bar, elapsed, ETA, trials, the model's
// estimated kernel time, the current task's default and best) and the summary table (share of
// time, default -> tuned, speedup, trials, the weighted total).

import { describe, expect, it } from 'vitest';
import { progressLine, summaryTable } from '../../compiler/tune/report.js';
import type { TaskReport } from '../../compiler/tune/tune.js';

const task = (ops: string, weight: number, defaultMs: number, bestMs: number, trials: number): TaskReport =>
  ({ key: ops, ops, node: `n_${ops}`, weight, defaultMs, bestMs, trials, converged: trials > 5 });

const tasks = [task('conv', 3, 1, 0.5, 9), task('gemm', 1, 1, 1, 2)];

describe('tuning reports', () => {
  it('prints a progress line', () => {
    const line = progressLine({ elapsedMs: 30_000, etaMs: 90_000, trials: 11, tasks, current: 0 });
    expect(line).toBe('[#####...............] 30.0s ETA 1m30s  trials 11  kernels 2.5000 ms  '
      + "task 1/2 conv 'n_conv': default 1.0000 ms, best 0.5000 ms");
    expect(progressLine({ elapsedMs: 1000, trials: 1, tasks, current: 1 })).toMatch(/^1\.0s {2}trials 1 /);
  });

  it('prints the summary table', () => {
    const text = summaryTable({ tasks, trials: 11, duplicates: 2, elapsedMs: 61_000, problems: [] });
    const rows = text.split('\n');
    expect(rows[1]).toMatch(/^conv 'n_conv' x3 +75\.0% +1\.0000 ms -> 0\.5000 ms +2\.00x +9 \(converged\)$/);
    expect(rows[2]).toMatch(/^gemm 'n_gemm' +25\.0% +1\.0000 ms -> 1\.0000 ms +1\.00x +2$/);
    expect(rows[3]).toBe('kernels (sum of weight x time): 4.0000 ms -> 2.5000 ms (1.60x); '
      + '11 measured this run, 2 identical kernels skipped, 1m1s');
  });
});
