// The tuning log: JSON lines, one measured candidate per line, keyed by (workload, target with its
// CPU features, shape bucket). Records are versioned (`v`) and timestamped; appends are fsynced
// one record at a time, so a tuner killed at any point loses at most the line it was writing, and
// a restart finds every finished measurement. Loading validates every line: a corrupt line (not
// JSON, missing fields), a foreign one (not a kestrel tuning record) or one of another version is
// reported with its line number and skipped, never trusted.
// Requires: nothing beyond node:fs. Guarantees: `loadLog` never throws on bad content (only on an
// unreadable file, KC0704); `bestSchedules` returns at most one schedule per workload, only from
// valid measurements ('ok') of the given target.

import { closeSync, existsSync, fsyncSync, openSync, readFileSync, writeSync } from 'node:fs';
import type { TargetDesc } from '../../codegen/target.js';
import { Codes, fail } from '../diagnostics.js';
import type { Knobs } from '../schedule/space.js';
import type { Schedule } from '../schedule/schedule.js';

export const LOG_VERSION = 1;
export const LOG_KIND = 'kestrel-tune';

/** ok: measured and matching the default's output; invalid: wrong output; error: failed/hung. */
export type RecordStatus = 'ok' | 'invalid' | 'error';

export interface TuneRecord {
  readonly kind: typeof LOG_KIND;
  readonly v: typeof LOG_VERSION;
  readonly workload: string;
  /** `triple/cpu/features`: a record only applies where the same code would be generated. */
  readonly target: string;
  /** The shapes measured: 'static' for static workloads, else `$0=1,...`. */
  readonly bucket: string;
  readonly knobs: Knobs;
  readonly status: RecordStatus;
  /** Median milliseconds per run (status ok). */
  readonly ms?: number;
  /** The default schedule's median in the same batch (status ok): records compare by ms/baseMs. */
  readonly baseMs?: number;
  /** Why a candidate is invalid or failed. */
  readonly error?: string;
  /** The family's default knobs (the baseline every candidate is checked against). */
  readonly isDefault?: true;
  /** Not measured: its kernel is identical to that of the candidate with these knobs. */
  readonly sameAs?: string;
  /**
   * A second measurement of a logged candidate: each task's best are re-measured before they
   * are trusted (the fastest of many noisy measurements is biased low).
   */
  readonly confirm?: true;
  /** ISO 8601 time of the measurement. */
  readonly time: string;
}

export interface LogProblem {
  readonly file: string;
  readonly line: number;
  readonly reason: string;
}

export interface LoadedLog {
  readonly records: readonly TuneRecord[];
  readonly problems: readonly LogProblem[];
}

/** A valid record's time relative to the default's in the same batch (1 for the default). */
export const ratio = (r: TuneRecord): number => (r.isDefault ? 1 : r.ms! / r.baseMs!);

export const knobsId = (k: Knobs): string => Object.keys(k).sort().map((n) => `${n}=${k[n]}`).join(',');

export const targetKey = (t: TargetDesc): string => `${t.triple}/${t.cpu}/${t.features}`;

/** The identity of a measurement: a resumed run never measures the same key twice. */
export function candidateKey(r: Pick<TuneRecord, 'workload' | 'target' | 'bucket' | 'knobs'>): string {
  return `${r.target}\n${r.bucket}\n${r.workload}\n${knobsId(r.knobs)}`;
}

const isObj = (x: unknown): x is Record<string, unknown> => typeof x === 'object' && x !== null
  && !Array.isArray(x);

/** Why `x` is not a valid record of this version, or undefined. */
export function recordProblem(x: unknown): string | undefined {
  if (!isObj(x) || x.kind !== LOG_KIND) return 'foreign line (not a kestrel tuning record)';
  if (x.v !== LOG_VERSION) return `record version ${String(x.v)}, this kestrel reads version ${LOG_VERSION}`;
  for (const f of ['workload', 'target', 'bucket', 'time'] as const) {
    if (typeof x[f] !== 'string' || x[f] === '') return `field '${f}' missing or not a string`;
  }
  if (Number.isNaN(Date.parse(x.time as string))) return `field 'time' is not a date`;
  if (!isObj(x.knobs) || !Object.values(x.knobs).every((v) => Number.isFinite(v))) {
    return `field 'knobs' is not an object of numbers`;
  }
  if (x.status !== 'ok' && x.status !== 'invalid' && x.status !== 'error') {
    return `field 'status' is ${JSON.stringify(x.status)}`;
  }
  const positive = (v: unknown) => typeof v === 'number' && v > 0 && Number.isFinite(v);
  if (x.status === 'ok' && !(positive(x.ms) && positive(x.baseMs))) {
    return `an 'ok' record needs positive 'ms' and 'baseMs'`;
  }
  return undefined;
}

/** Parses log text; bad lines become problems (blank lines are ignored). */
export function parseLog(text: string, file = '<log>'): LoadedLog {
  const records: TuneRecord[] = [], problems: LogProblem[] = [];
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let x: unknown;
    try { x = JSON.parse(line); } catch {
      problems.push({ file, line: i + 1, reason: 'corrupt line (not JSON)' });
      return;
    }
    const why = recordProblem(x);
    if (why) problems.push({ file, line: i + 1, reason: why });
    else records.push(Object.freeze(x as TuneRecord));
  });
  return { records, problems };
}

/** Loads a log file; a missing file is an empty log (a first run). */
export function loadLog(file: string): LoadedLog {
  if (!existsSync(file)) return { records: [], problems: [] };
  let text: string;
  try { text = readFileSync(file, 'utf8'); } catch (e) {
    fail(Codes.TUNE_LOG, `cannot read tuning log ${file}: ${(e as Error).message}`, { file });
  }
  return parseLog(text, file);
}

export function formatProblems(ps: readonly LogProblem[]): string {
  return ps.map((p) => `${p.file}:${p.line}: skipped: ${p.reason}`).join('\n');
}

/** Appends records durably (write + fsync per call). */
export class LogWriter {
  private readonly fd: number;

  constructor(readonly file: string) {
    try { this.fd = openSync(file, 'a'); } catch (e) {
      fail(Codes.TUNE_LOG, `cannot open tuning log ${file}: ${(e as Error).message}`, { file });
    }
    // A run killed mid-write leaves a partial last line: end it, so the next record stays whole.
    const text = readFileSync(file, 'utf8');
    if (text.length && !text.endsWith('\n')) writeSync(this.fd, '\n');
  }

  append(r: TuneRecord): void {
    writeSync(this.fd, `${JSON.stringify(r)}\n`);
    fsyncSync(this.fd);
  }

  close(): void { closeSync(this.fd); }
}

/** Merges logs: every valid record once (duplicates of a candidate keep the earliest), by time. */
export function mergeLogs(logs: readonly LoadedLog[]): LoadedLog {
  const seen = new Map<string, TuneRecord>();
  const all = logs.flatMap((l) => l.records).sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  for (const r of all) {
    const k = `${candidateKey(r)}\n${r.status}\n${r.ms ?? ''}`;
    if (!seen.has(k)) seen.set(k, r);
  }
  return { records: [...seen.values()], problems: logs.flatMap((l) => l.problems) };
}

export const logText = (rs: readonly TuneRecord[]): string =>
  rs.map((r) => `${JSON.stringify(r)}\n`).join('');

export interface Best {
  readonly record: TuneRecord;
  /** The candidate's worst ratio to the default over its measurements (1 for the default). */
  readonly score: number;
}

/** Valid records of `target` by workload (and bucket, with `perBucket`), then by knobs. */
function byCandidate(records: readonly TuneRecord[], t: string, perBucket = false):
Map<string, Map<string, TuneRecord[]>> {
  const per = new Map<string, Map<string, TuneRecord[]>>();
  for (const r of records) {
    if (r.target !== t || r.status !== 'ok') continue;
    const at = perBucket ? `${r.workload}\n${r.bucket}` : r.workload;
    const w = per.get(at) ?? new Map<string, TuneRecord[]>();
    per.set(at, w);
    const id = knobsId(r.knobs);
    w.set(id, [...(w.get(id) ?? []), r]);
  }
  return per;
}

/** The best of one workload's candidates: see bestRecords. */
function bestOf(cands: ReadonlyMap<string, readonly TuneRecord[]>): Best | undefined {
  const confirmed = [...cands.values()].some((rs) => rs.some((r) => r.confirm));
  let b: Best | undefined;
  for (const rs of cands.values()) {
    if (confirmed && !rs.some((r) => r.confirm || r.isDefault)) continue;
    const score = rs.some((r) => r.isDefault) ? 1 : Math.max(...rs.map(ratio));
    if (!b || score < b.score) b = { record: rs.find((r) => r.isDefault) ?? rs[0], score };
  }
  return b;
}

/**
 * The fastest candidate per workload for `target` (the generic kernel's: among the candidates
 * measured in every bucket), scored by its worst ratio to the default of the same batch. Where
 * some candidate of a workload was re-measured (`confirm`), only re-measured candidates and the
 * default compete.
 */
export function bestRecords(records: readonly TuneRecord[], target: TargetDesc): Map<string, Best> {
  const best = new Map<string, Best>();
  for (const [w, cands] of byCandidate(records, targetKey(target))) {
    const b = bestOf(everywhere(cands));
    if (b) best.set(w, b);
  }
  return best;
}

/**
 * The candidates measured in every bucket the workload was measured in (all of them when there
 * is one bucket): the generic kernel serves every shape, so a schedule that won in one bucket
 * only does not become it. The default is measured first in each bucket, so it always stays.
 */
function everywhere(cands: ReadonlyMap<string, readonly TuneRecord[]>): Map<string, readonly TuneRecord[]> {
  const bucketsOf = (rs: readonly TuneRecord[]) => new Set(rs.map((r) => r.bucket)).size;
  const all = bucketsOf([...cands.values()].flat());
  return new Map([...cands].filter(([, rs]) => all === 1 || bucketsOf(rs) === all));
}

/** The same per (workload, bucket), keyed `workload\nbucket`: what each bucket's kernel gets. */
export function bestBucketRecords(records: readonly TuneRecord[], target: TargetDesc): Map<string, Best> {
  const best = new Map<string, Best>();
  for (const [w, cands] of byCandidate(records, targetKey(target), true)) {
    const b = bestOf(cands);
    if (b) best.set(w, b);
  }
  return best;
}

/**
 * The schedules a log gives a compile: per workload the generic kernel's best (bestRecords;
 * none where the default wins), and for a workload measured in two or more shape buckets the
 * best of each bucket where it differs from the generic kernel's schedule (the default's knobs
 * too, when the generic kernel is tuned otherwise). With a single bucket the generic kernel
 * already has that bucket's best.
 */
export function bestSchedules(records: readonly TuneRecord[], target: TargetDesc): Schedule[] {
  const generic = [...bestRecords(records, target).values()]
    .filter((b) => !b.record.isDefault)
    .map((b): Schedule => ({ workload: b.record.workload, knobs: b.record.knobs }));
  const perBucket = [...bestBucketRecords(records, target).values()]
    .filter((b) => b.record.bucket !== 'static');
  const count = new Map<string, number>();
  for (const b of perBucket) count.set(b.record.workload, (count.get(b.record.workload) ?? 0) + 1);
  // A bucket whose best is what the generic kernel gets anyway needs no kernel of its own.
  const genericKnobs = new Map(generic.map((g) => [g.workload, knobsId(g.knobs)]));
  const defaults = new Map(records.filter((r) => r.isDefault && r.target === targetKey(target))
    .map((r) => [r.workload, knobsId(r.knobs)]));
  const same = (b: Best) => knobsId(b.record.knobs)
    === (genericKnobs.get(b.record.workload) ?? defaults.get(b.record.workload));
  const buckets = perBucket.filter((b) => count.get(b.record.workload)! > 1 && !same(b))
    .map((b): Schedule => ({ workload: b.record.workload, knobs: b.record.knobs, bucket: b.record.bucket }));
  return [...generic, ...buckets];
}
