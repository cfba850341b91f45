// The search with a fake measurer (no processes, no timing noise): candidates whose output the
// measurer reports wrong are logged as invalid and never chosen, even though the fake makes the
// search want them; no candidate is measured twice; the budget goes to the tasks with the
// largest weight x time first; the tuned result improves on the defaults where the fake allows.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostTarget } from '../../codegen/target.js';
import type { Knobs } from '../../compiler/schedule/space.js';
import type { MeasureResult } from '../../compiler/tune/bench-kernel.js';
import { bestSchedules, loadLog } from '../../compiler/tune/log.js';
import type { Measurer } from '../../compiler/tune/measure.js';
import { knobsId } from '../../compiler/tune/search.js';
import type { Task } from '../../compiler/tune/tasks.js';
import { tune } from '../../compiler/tune/tune.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const MODEL = join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx');

const hash = (s: string): number => [...s].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 7);

/**
 * Time relative to the default: smaller knob values are faster (a smooth landscape the cost model
 * can learn), and a candidate is "wrong" when it has the smallest value of its first knob, which
 * makes the wrong ones the fastest on offer.
 */
class FakeMeasurer implements Measurer {
  readonly measured: string[] = [];
  readonly poisoned = new Set<string>();

  poison(t: Task, k: Knobs): boolean {
    const first = Object.keys(t.space).sort()[0];
    return knobsId(k) !== knobsId(t.defaults) && k[first] === Math.min(...t.space[first]);
  }

  async measure(t: Task, cands: readonly Knobs[]): Promise<MeasureResult[]> {
    return cands.map((k) => {
      this.measured.push(`${t.key}|${knobsId(k)}`);
      if (this.poison(t, k)) {
        this.poisoned.add(`${t.key}|${knobsId(k)}`);
        return { status: 'invalid', error: 'output differs from the default schedule' };
      }
      if (knobsId(k) === knobsId(t.defaults)) return { status: 'ok', ms: 1, baseMs: 1 };
      const size = Object.values(k).reduce((s, v) => s + Math.log2(v + 1), 0);
      const dflt = Object.values(t.defaults).reduce((s, v) => s + Math.log2(v + 1), 0);
      return { status: 'ok', ms: 0.5 + (0.5 * size) / dflt + (hash(knobsId(k)) % 7) * 1e-3, baseMs: 1 };
    });
  }

  close(): void {}
}

describe('the tuner search', () => {
  it('never chooses an invalid candidate and never measures one twice', async () => {
    const log = join(tempDir(), 'fake.jsonl');
    const fake = new FakeMeasurer();
    const progress: number[] = [];
    const onProgress = (p: { trials: number }) => progress.push(p.trials);
    const s = await tune(MODEL, { log, trials: 60, measurer: fake, onProgress });
    // The budget is a ceiling: a task stops early once it converges.
    expect(s.trials).toBeLessThanOrEqual(60);
    expect(s.trials).toBeGreaterThan(40);
    const records = loadLog(log).records;
    // Each task's best are measured a second time (re-measurements), nothing else is.
    const again = records.filter((r) => r.confirm).length;
    expect(again).toBeGreaterThan(0);
    expect(fake.measured.length).toBe(s.trials + again);
    expect(new Set(fake.measured).size).toBe(s.trials);
    expect(fake.poisoned.size).toBeGreaterThan(0);
    expect(progress.at(-1)).toBe(s.trials);

    expect(records.filter((r) => r.status === 'invalid').length).toBe(fake.poisoned.size);
    const chosen = bestSchedules(records, hostTarget());
    expect(chosen.length).toBeGreaterThan(0);
    for (const c of chosen) {
      expect(fake.poisoned.has(`${c.workload}|${knobsId(c.knobs)}`), c.workload).toBe(false);
    }
    for (const t of s.tasks) {
      if (t.bestKnobs) expect(fake.poisoned.has(`${t.key}|${knobsId(t.bestKnobs)}`)).toBe(false);
    }
    // Every task got its default measured, and some improved on it.
    expect(s.tasks.every((t) => t.defaultMs === 1)).toBe(true);
    // (0.95: the fake's gains come from smaller knob values; tiny_cnn's gemm, whose B is packed
    // into 16-lane panels, no longer offers narrower vectors.)
    expect(s.tasks.some((t) => (t.bestMs ?? 1) < 0.95)).toBe(true);
  }, 120_000);

  it('resumes from its own log without measuring anything again', async () => {
    const log = join(tempDir(), 'fake-resume.jsonl');
    const first = new FakeMeasurer(), second = new FakeMeasurer();
    await tune(MODEL, { log, trials: 25, measurer: first });
    const s = await tune(MODEL, { log, trials: 25, measurer: second });
    const again = loadLog(log).records.filter((r) => r.confirm).length;
    const both = [...first.measured, ...second.measured];
    // 50 trials at most: a task whose space runs out of distinct kernels stops early.
    const trials = s.tasks.reduce((n, t) => n + t.trials, 0);
    expect(trials).toBeGreaterThan(40);
    expect(trials).toBeLessThanOrEqual(50);
    expect(both.length).toBe(trials + again);
    expect(new Set(both).size).toBe(trials);
  }, 120_000);
});
