// The `kestrel tune` command and the `compile --tuning-log` reading, kept out of compiler/cli.ts:
//   kestrel tune model.onnx --log tune.jsonl [--budget 20m] [--trials N] [--target T] [--fix s=N]
//                [--shapes seq=16,37,128[,batch=1,4]]   (shape buckets: tune at these symbol values)
//   kestrel tune --merge a.jsonl b.jsonl ... -o all.jsonl
//   kestrel tune ... --queue redis://HOST:PORT [--sign KEY.pem]      (a fleet's coordinator)
//   kestrel tune ... --samples N     (timed samples per candidate, default 11)
//   kestrel tune-worker --queue redis://HOST:PORT [--target T] [--concurrency N] [--trusted-key P.pem]
//                       [--stall 30s]   (how soon a killed worker's job goes to another worker)
// Requires: parsed arguments. Guarantees: bad log lines are reported on stderr and skipped.

import { readFileSync, writeFileSync } from 'node:fs';
import type { TargetName } from '../../codegen/target.js';
import { checkedTarget } from '../driver.js';
import type { Schedule } from '../schedule/schedule.js';
import { bestSchedules, formatProblems, loadLog, logText, mergeLogs } from './log.js';
import { progressLine, summaryTable } from './report.js';
import { tune } from './tune.js';
import { redactedUrl } from './queue.js';
import { startTuneWorker, type WorkerEvent } from './worker-queue.js';

export interface TuneArgs {
  readonly positional: readonly string[];
  readonly flags: ReadonlyMap<string, string | true>;
}

const str = (a: TuneArgs, n: string): string | undefined => {
  const v = a.flags.get(n);
  return typeof v === 'string' ? v : undefined;
};

/** '20m', '90s', '1h', '1500ms' or plain seconds. */
export const parseDuration = (text: string): number => durationOf(text, '--budget');

function durationOf(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (!m) throw new Error(`${flag} expects a duration such as 90s, 20m or 1h, got '${text}'`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? 's']!;
  return Number(m[1]) * unit;
}

/**
 * --shapes seq=16,37,128 -> { seq: [16, 37, 128] }; several symbols as seq=16,37,batch=1,4 (a
 * `name=` starts the next symbol; a repeated --shapes is joined with ',').
 */
export function parseBucketShapes(text: string | undefined): Record<string, number[]> | undefined {
  if (text === undefined) return undefined;
  const out: Record<string, number[]> = {};
  let name: string | undefined;
  for (const part of text.split(',').map((x) => x.trim())) {
    const m = /^([^=]+)=(.*)$/.exec(part);
    if (m) { name = m[1]; out[name] = []; }
    const value = m ? m[2] : part;
    if (name === undefined || !/^[1-9]\d*$/.test(value)) {
      throw new Error(`--shapes expects name=N[,N...][,name=N...] (as seq=16,37,128), got '${text}'`);
    }
    out[name].push(Number(value));
  }
  return out;
}

/**
 * The best schedule per workload of a log, for `target`, and per shape bucket where a workload was
 * tuned in several (compiler/tune/log.ts bestSchedules); bad lines reported through `warn`.
 */
export function tuningLogSchedules(file: string, target: TargetName, warn: (t: string) => void): Schedule[] {
  const log = loadLog(file);
  if (log.problems.length) warn(formatProblems(log.problems));
  return bestSchedules(log.records, checkedTarget(target));
}

function merge(a: TuneArgs): void {
  const out = str(a, '-o') ?? str(a, '--output');
  if (!out || a.positional.length === 0) throw new Error('tune --merge needs logs and -o OUT');
  const merged = mergeLogs(a.positional.map(loadLog));
  if (merged.problems.length) console.error(formatProblems(merged.problems));
  writeFileSync(out, logText(merged.records));
  console.log(`merged ${a.positional.length} logs -> ${out}: ${merged.records.length} records`);
}

export async function cmdTune(a: TuneArgs, fixedDims?: Record<string, number>): Promise<void> {
  if (a.flags.has('--merge')) { merge(a); return; }
  const model = a.positional[0];
  const log = str(a, '--log');
  if (!model || !log) throw new Error('tune needs a model and --log FILE');
  const budget = str(a, '--budget'), trials = str(a, '--trials'), threads = str(a, '--threads');
  if (trials !== undefined && !/^\d+$/.test(trials)) {
    throw new Error(`--trials expects a count, got '${trials}'`);
  }
  const tty = process.stdout.isTTY;
  const queue = str(a, '--queue'), sign = str(a, '--sign');
  if (queue) console.log(`measuring on the workers of ${redactedUrl(queue)}`);
  const s = await tune(model, {
    log, fixedDims, queue, shapes: parseBucketShapes(str(a, '--shapes')),
    signingKey: sign === undefined ? undefined : readFileSync(sign, 'utf8'),
    target: (str(a, '--target') ?? 'host') as TargetName,
    budgetMs: budget ? parseDuration(budget) : trials ? undefined : 20 * 60_000,
    trials: trials ? Number(trials) : undefined, samples: count(a, '--samples'),
    threads: threads ? Number(threads) : undefined,
    onLogProblems: (ps) => console.error(formatProblems(ps)),
    onProgress: (p) => {
      if (tty) process.stdout.write(`\r\x1b[2K${progressLine(p)}`);
      else console.log(progressLine(p));
    },
  });
  if (tty) process.stdout.write('\n');
  console.log(summaryTable(s));
  if (s.plot) console.log(`tuning curve: ${s.plot}`);
}

const count = (a: TuneArgs, flag: string): number | undefined => {
  const v = str(a, flag);
  if (v !== undefined && !/^[1-9]\d*$/.test(v)) {
    throw new Error(`${flag} expects a positive count, got '${v}'`);
  }
  return v === undefined ? undefined : Number(v);
};

function jobLine(e: WorkerEvent): string {
  const what = e.refused ? `refused: ${e.refused}` : e.result?.status === 'ok'
    ? `ok ${e.result.ms.toFixed(4)} ms (default ${e.result.baseMs.toFixed(4)} ms)`
    : `${e.result?.status}: ${e.result && 'error' in e.result ? e.result.error : ''}`;
  return `job ${e.id} ${e.label} ${JSON.stringify(e.knobs)}: ${what}`;
}

/** `kestrel tune-worker`: measures the queue's jobs for this machine's target until SIGINT/SIGTERM. */
export async function cmdTuneWorker(a: TuneArgs): Promise<void> {
  const queue = str(a, '--queue');
  if (!queue) throw new Error('tune-worker needs --queue redis://HOST:PORT');
  const key = str(a, '--trusted-key'), stall = str(a, '--stall');
  const w = await startTuneWorker({
    queue, target: (str(a, '--target') ?? 'host') as TargetName, concurrency: count(a, '--concurrency'),
    threads: count(a, '--threads'), trustedKeys: key === undefined ? undefined : [readFileSync(key, 'utf8')],
    stallMs: stall === undefined ? undefined : durationOf(stall, '--stall'),
    onStart: (id, label) => console.log(`start ${id} ${label}`),
    onJob: (e) => console.log(jobLine(e)),
  });
  console.log(`tune-worker ${w.name}: queue ${w.queue} (target ${w.target})`);
  await new Promise<void>((resolve) => {
    const stop = () => { void w.close().then(resolve); };
    process.once('SIGINT', stop);
    process.once('SIGTERM', stop);
  });
}
