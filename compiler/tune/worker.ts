// The tuner's measurement process (forked by compiler/tune/measure.ts): it imports the model
// itself, extracts the tasks the same way the parent did, and answers each batch request
// { key, cands } with a 'start' message before each risky step and one 'result' per candidate.
// A queue worker (compiler/tune/worker-queue.ts) sends 'artifacts' requests instead: candidates
// compiled by the coordinator, loaded (and so verified) by the runtime's loader; its 'init'
// names no model.
// A candidate that crashes or hangs this process costs the parent only a restart and a timeout.
// Requires: a parent over IPC that sent an 'init' message first. Guarantees: every candidate of a
// batch gets a result unless the process dies.

import { targetFromName } from '../../codegen/target.js';
import { importOnnxFile } from '../frontend/onnx/import.js';
import type { Knobs } from '../schedule/space.js';
import { benchArtifacts, benchCandidates, type BenchOptions, type FeedSpec,
  type MeasureResult } from './bench-kernel.js';
import { bucketTasks, type BucketShapes, extractTasks, type Task, taskId } from './tasks.js';

export interface WorkerInit {
  readonly type: 'init';
  /** The model whose tasks 'batch' requests name (absent for a queue worker's process). */
  readonly model?: string;
  readonly fixedDims?: Readonly<Record<string, number>>;
  readonly shapes?: BucketShapes;
  readonly bench: BenchOptions;
}

export interface WorkerBatch {
  readonly type: 'batch';
  readonly key: string;
  /** The task's shape bucket (compiler/tune/bench-kernel.ts bucketOf). */
  readonly bucket: string;
  readonly cands: readonly Knobs[];
}

/** Candidates compiled elsewhere: artifact paths, measured against the default's. */
export interface WorkerArtifacts {
  readonly type: 'artifacts';
  readonly base: string;
  readonly cands: readonly string[];
  readonly feeds: FeedSpec;
  readonly samples?: number;
  readonly threads?: number;
}

let tasks: Promise<Map<string, Task>> | undefined;
let bench: BenchOptions | undefined;

async function init(m: WorkerInit & { model: string }): Promise<Map<string, Task>> {
  const mod = importOnnxFile(m.model, { fixedDims: m.fixedDims });
  const ts = bucketTasks(await extractTasks(mod, { target: targetFromName(m.bench.target),
    threads: m.bench.threads }), m.shapes);
  return new Map(ts.map((t) => [taskId(t), t]));
}

const send = (x: unknown) => process.send!(x);

function assertNever(x: never): never {
  throw new Error(`unknown request ${JSON.stringify(x)}`);
}

type Bench = (onStart: (i: number) => void, onResult: (i: number, r: MeasureResult) => void) => Promise<void>;

/** Runs one request; a failure of the whole request (e.g. the default's) answers the rest. */
async function answer(n: number, run: Bench): Promise<void> {
  const done = new Set<number>();
  try {
    await run((i) => send({ type: 'start', i }), (i, r) => {
      done.add(i);
      send({ type: 'result', i, r });
    });
  } catch (e) {
    const error = `measurement failed: ${(e as Error).message.split('\n')[0]}`;
    for (let i = 0; i < n; i++) if (!done.has(i)) send({ type: 'result', i, r: { status: 'error', error } });
  }
  send({ type: 'done' });
}

async function batch(m: WorkerBatch): Promise<void> {
  const t = tasks ? (await tasks).get(`${m.key}\n${m.bucket}`) : undefined;
  if (!t) {
    m.cands.forEach((_, i) => send({ type: 'result', i, r: { status: 'error', error: 'unknown task' } }));
    send({ type: 'done' });
    return;
  }
  await answer(m.cands.length, (s, r) => benchCandidates(t, m.cands, bench!, s, r));
}

process.on('message', (m: WorkerInit | WorkerBatch | WorkerArtifacts) => {
  switch (m.type) {
    case 'init':
      bench = m.bench;
      if (m.model !== undefined) tasks = init({ ...m, model: m.model });
      return;
    case 'batch': void batch(m); return;
    case 'artifacts':
      void answer(m.cands.length,
        (s, r) => benchArtifacts(m.base, m.cands, m.feeds, m, bench!, s, r));
      return;
    default: assertNever(m);
  }
});
