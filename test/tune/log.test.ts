// The tuning log: bad lines (corrupt, foreign, other version, wrong fields) are reported with
// their line numbers and skipped; merging keeps every valid record once; the best schedule per
// workload is chosen by the ratio to the default of the same batch, only from valid records of
// the target asked for; a partial last line (a killed writer) does not swallow the next record.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { makeTarget } from '../../codegen/target.js';
import {
  bestSchedules, candidateKey, loadLog, LogWriter, mergeLogs, parseLog, targetKey, type TuneRecord,
} from '../../compiler/tune/log.js';
import { tempDir } from '../helpers/shared.js';

const T = { ...makeTarget('x86_64', 'x86-64-v3', '+avx2,+fma'), triple: 'x86_64-pc-linux-gnu' };
const OTHER = { ...makeTarget('x86_64', 'skylake-avx512', '+avx512f'), triple: 'x86_64-pc-linux-gnu' };

function rec(workload: string, knobs: Record<string, number>,
  extra: Partial<TuneRecord> = {}): TuneRecord {
  return { kind: 'kestrel-tune', v: 1, workload, target: targetKey(T), bucket: 'static', knobs,
    status: 'ok', ms: 1, baseMs: 1, time: '2026-12-01T10:00:00.000Z', ...extra };
}

const line = (r: unknown) => JSON.stringify(r);

describe('loading a tuning log', () => {
  it('reports and skips corrupt, foreign and wrong-version lines, keeps the valid ones', () => {
    const good = rec('w1', { a: 1 });
    const text = [
      line(good),
      '{"kind":"kestrel-tune","v":1,"workload":"w1"', // truncated by a kill
      line({ hello: 'world' }),
      line({ ...good, v: 2 }),
      line({ ...good, status: 'ok', ms: undefined }),
      line({ ...good, knobs: { a: 'x' } }),
      line({ ...good, time: 'yesterday' }),
      '',
      line(rec('w2', { a: 2 }, { status: 'invalid', ms: undefined, baseMs: undefined, error: 'mismatch' })),
    ].join('\n');
    const log = parseLog(text, 'tune.jsonl');
    expect(log.records.map((r) => r.workload)).toEqual(['w1', 'w2']);
    expect(log.problems.map((p) => [p.line, p.reason.split(' ')[0]])).toEqual([
      [2, 'corrupt'], [3, 'foreign'], [4, 'record'], [5, 'an'], [6, 'field'], [7, 'field'],
    ]);
    expect(log.problems[2].reason).toContain('version 2');
    expect(log.problems.every((p) => p.file === 'tune.jsonl')).toBe(true);
  });

  it('treats a missing file as an empty log', () => {
    expect(loadLog(join(tempDir(), 'none.jsonl'))).toEqual({ records: [], problems: [] });
  });
});

describe('merging logs', () => {
  it('keeps every valid record once, in time order', () => {
    const a = rec('w1', { a: 1 }, { time: '2026-12-01T10:00:02.000Z' });
    const b = rec('w1', { a: 2 }, { time: '2026-12-01T10:00:01.000Z' });
    const c = rec('w2', { a: 1 }, { target: targetKey(OTHER) });
    const m = mergeLogs([parseLog([line(a), line(b), 'junk'].join('\n'), 'a'),
      parseLog([line(a), line(c)].join('\n'), 'b')]);
    expect(m.records.map((r) => [r.workload, r.knobs.a, r.target])).toEqual([
      ['w2', 1, targetKey(OTHER)], ['w1', 2, targetKey(T)], ['w1', 1, targetKey(T)],
    ]);
    expect(m.problems).toEqual([{ file: 'a', line: 3, reason: 'corrupt line (not JSON)' }]);
    expect(new Set(m.records.map(candidateKey)).size).toBe(3);
  });
});

describe('choosing schedules from a log', () => {
  it('takes the lowest ratio to the default of valid records of the target only', () => {
    const records = [
      rec('w1', { a: 0 }, { isDefault: true, ms: 2, baseMs: 2 }),
      rec('w1', { a: 1 }, { ms: 1.5, baseMs: 2 }),
      rec('w1', { a: 2 }, { ms: 1.2, baseMs: 1 }), // faster in ms, but slower than its batch's default
      rec('w1', { a: 3 }, { status: 'invalid', ms: undefined, baseMs: undefined, error: 'mismatch' }),
      rec('w1', { a: 4 }, { target: targetKey(OTHER), ms: 0.1, baseMs: 2 }),
      rec('w2', { a: 0 }, { isDefault: true, ms: 1, baseMs: 1 }),
      rec('w2', { a: 5 }, { ms: 1.1, baseMs: 1 }),
    ];
    expect(bestSchedules(records, T)).toEqual([{ workload: 'w1', knobs: { a: 1 } }]);
    expect(bestSchedules(records, OTHER)).toEqual([{ workload: 'w1', knobs: { a: 4 } }]);
  });
});

describe('re-measured candidates', () => {
  it('once a workload has re-measurements, only re-measured candidates compete, by their worst ratio', () => {
    const records = [
      rec('w3', { a: 0 }, { isDefault: true }),
      rec('w3', { a: 1 }, { ms: 0.5 }), // lucky once, never re-measured
      rec('w3', { a: 2 }, { ms: 0.8 }),
      rec('w3', { a: 2 }, { ms: 0.85, confirm: true }),
      rec('w3', { a: 3 }, { ms: 0.7 }),
      rec('w3', { a: 3 }, { ms: 1.2, confirm: true }),
      rec('w4', { a: 0 }, { isDefault: true }),
      rec('w4', { a: 1 }, { ms: 0.9 }),
      rec('w4', { a: 1 }, { ms: 1.05, confirm: true }), // not faster after all: the default stays
    ];
    expect(bestSchedules(records, T)).toEqual([{ workload: 'w3', knobs: { a: 2 } }]);
  });
});

describe('appending', () => {
  it('ends a partial last line left by a killed writer before appending', () => {
    const file = join(tempDir(), 'partial.jsonl');
    writeFileSync(file, `${line(rec('w1', { a: 1 }))}\n{"kind":"kestrel-tu`);
    const w = new LogWriter(file);
    w.append(rec('w1', { a: 2 }));
    w.close();
    const log = loadLog(file);
    expect(log.records.map((r) => r.knobs.a)).toEqual([1, 2]);
    expect(log.problems.map((p) => p.line)).toEqual([2]);
    expect(readFileSync(file, 'utf8').endsWith('\n')).toBe(true);
  });
});
