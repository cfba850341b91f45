// The tuner's measurement process (forked by compiler/tune/measure.ts): it imports the model
// itself, extracts the tasks the same way the parent did, and answers each batch request
// { key, cands } with a 'start' message before each risky step and one 'result' per candidate.
// A candidate that crashes or hangs this process costs the parent only a restart and a timeout.
// Requires: a parent over IPC that sent an 'init' message first. Guarantees: every candidate of a
// batch gets a result unless the process dies.

import { targetFromName } from '../../codegen/target.js';
import { importOnnxFile } from '../frontend/onnx/import.js';
import type { Knobs } from '../schedule/space.js';
import { benchCandidates, type BenchOptions } from './bench-kernel.js';
import { extractTasks, type Task } from './tasks.js';

export interface WorkerInit {
  readonly type: 'init';
  readonly model: string;
  readonly fixedDims?: Readonly<Record<string, number>>;
  readonly bench: BenchOptions;
}

export interface WorkerBatch {
  readonly type: 'batch';
  readonly key: string;
  readonly cands: readonly Knobs[];
}

let tasks: Promise<Map<string, Task>> | undefined;
let bench: BenchOptions | undefined;

async function init(m: WorkerInit): Promise<Map<string, Task>> {
  bench = m.bench;
  const mod = importOnnxFile(m.model, { fixedDims: m.fixedDims });
  const ts = await extractTasks(mod, { target: targetFromName(m.bench.target), threads: m.bench.threads });
  return new Map(ts.map((t) => [t.key, t]));
}

async function batch(m: WorkerBatch): Promise<void> {
  const send = (x: unknown) => process.send!(x);
  const t = (await tasks!).get(m.key);
  if (!t) {
    m.cands.forEach((_, i) => send({ type: 'result', i, r: { status: 'error', error: 'unknown task' } }));
    return;
  }
  const done = new Set<number>();
  try {
    await benchCandidates(t, m.cands, bench!, (i) => send({ type: 'start', i }), (i, r) => {
      done.add(i);
      send({ type: 'result', i, r });
    });
  } catch (e) {
    const error = `measurement failed: ${(e as Error).message.split('\n')[0]}`;
    m.cands.forEach((_, i) => {
      if (!done.has(i)) send({ type: 'result', i, r: { status: 'error', error } });
    });
  }
  send({ type: 'done' });
}

process.on('message', (m: WorkerInit | WorkerBatch) => {
  if (m.type === 'init') tasks = init(m);
  else void batch(m);
});
