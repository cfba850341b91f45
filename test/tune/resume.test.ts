// A real tuning run killed part-way (SIGKILL of the tuner and its worker, as a crash or `kill -9`
// would do) and started again resumes from its log: the restarted run measures only candidates
// the log does not hold, so no candidate appears twice. Runs the built CLI (dist/) on tiny_cnn.

import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { candidateKey, loadLog } from '../../compiler/tune/log.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const CLI = join(REPO_ROOT, 'dist', 'compiler', 'cli.js');
const MODEL = join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx');

const lines = (f: string): number => (existsSync(f) ? readFileSync(f, 'utf8').split('\n').length - 1 : 0);

function tuneProcess(log: string, trials: number): ChildProcess {
  // Its own process group, so that one kill reaches the measurement worker too.
  return spawn(process.execPath, [CLI, 'tune', MODEL, '--log', log, '--trials', String(trials)],
    { detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
}

const exited = (c: ChildProcess): Promise<number | null> =>
  new Promise((r) => c.once('exit', (code) => r(code)));

describe('resuming a killed tuning run', () => {
  it('does not measure any candidate twice', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build:ts`).toBe(true);
    const log = join(tempDir(), 'killed.jsonl');
    const first = tuneProcess(log, 500);
    const gone = exited(first);
    const t0 = Date.now();
    while (lines(log) < 12 && Date.now() - t0 < 90_000) await new Promise((r) => setTimeout(r, 100));
    process.kill(-first.pid!, 'SIGKILL');
    await gone;
    const before = loadLog(log);
    expect(before.records.length).toBeGreaterThanOrEqual(12);
    expect(before.records.length).toBeLessThan(500);

    const second = tuneProcess(log, 6);
    let out = '';
    second.stdout!.on('data', (d) => { out += String(d); });
    expect(await exited(second), out).toBe(0);
    expect(out).toContain('6 measured this run');
    const after = loadLog(log);
    expect(after.problems.length).toBeLessThanOrEqual(1); // at most the line cut by the kill
    const trials = (l: typeof after) => l.records.filter((r) => !r.sameAs && !r.confirm).length;
    expect(trials(after)).toBe(trials(before) + 6);
    const keys = after.records.filter((r) => !r.confirm).map(candidateKey);
    expect(new Set(keys).size).toBe(keys.length);
  }, 180_000);
});
