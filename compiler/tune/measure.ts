// Measurers: what the search asks to time a batch of candidates of one task. The real one forks
// compiler/tune/worker.js and keeps it for the whole run; when the worker crashes or stays
// silent past the timeout, the candidate it had announced last is recorded as an error, the
// worker is killed and restarted, and the rest of the batch goes to the new one. Tests pass a
// fake measurer (any object with `measure`) to inject wrong or failing candidates. A queue
// worker uses the same process, with the same guarantees, on shipped artifacts
// (`measureArtifacts`); the queue coordinator is another Measurer (compiler/tune/queue-measurer.ts).
// Requires: a built dist/ for the worker script (node runs JavaScript). Guarantees: `measure`
// resolves with exactly one result per candidate, in candidate order.

import { type ChildProcess, fork } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Knobs } from '../schedule/space.js';
import { type BenchOptions, bucketOf, type FeedSpec, type MeasureResult } from './bench-kernel.js';
import type { BucketShapes, Task } from './tasks.js';
import type { WorkerArtifacts, WorkerBatch, WorkerInit } from './worker.js';

export interface MeasureHints {
  /** A second measurement of candidates measured before (the tuner's re-measurement of its best). */
  readonly confirm?: boolean;
}

export interface Measurer {
  measure(task: Task, cands: readonly Knobs[], hints?: MeasureHints): Promise<MeasureResult[]>;
  close(): void | Promise<void>;
  /** Whether concurrent `measure` calls run in parallel (a queue with many workers). */
  readonly parallel?: boolean;
}

/** The worker's JavaScript, also when this module runs from its TypeScript source (tests). */
function workerScript(): string {
  const here = fileURLToPath(import.meta.url);
  if (here.endsWith('.js')) return join(dirname(here), 'worker.js');
  return join(dirname(here), '..', '..', 'dist', 'compiler', 'tune', 'worker.js');
}

type FromWorker =
  | { type: 'start'; i: number } | { type: 'result'; i: number; r: MeasureResult } | { type: 'done' };

export interface WorkerOptions {
  /** The model 'batch' requests name; a queue worker's process measures artifacts only. */
  readonly model?: string;
  readonly fixedDims?: Readonly<Record<string, number>>;
  /** The shape buckets the tuner's tasks were made with (the worker makes the same tasks). */
  readonly shapes?: BucketShapes;
  readonly bench: BenchOptions;
  /** Silence after which the worker is presumed hung (default 60 s; the first batch gets 3x). */
  readonly timeoutMs?: number;
  /** Another worker script speaking the same messages (tests). */
  readonly script?: string;
}

export class WorkerMeasurer implements Measurer {
  private child: ChildProcess | undefined;
  private fresh = true;

  constructor(private readonly o: WorkerOptions) {}

  private start(): ChildProcess {
    const c = fork(this.o.script ?? workerScript(), [], { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
    c.stderr?.resume();
    const { model, fixedDims, shapes, bench } = this.o;
    const init: WorkerInit = { type: 'init', model, fixedDims, shapes, bench };
    c.send(init);
    this.fresh = true;
    return c;
  }

  measure(task: Task, cands: readonly Knobs[]): Promise<MeasureResult[]> {
    return this.each(cands, (cs): WorkerBatch => ({ type: 'batch', key: task.key, bucket: bucketOf(task),
      cands: cs }));
  }

  /** Measures artifacts compiled elsewhere (paths) against the default's artifact `base`. */
  measureArtifacts(base: string, cands: readonly string[], feeds: FeedSpec,
    job: { samples?: number; threads?: number } = {}): Promise<MeasureResult[]> {
    return this.each(cands, (cs): WorkerArtifacts =>
      ({ type: 'artifacts', base, cands: cs, feeds, samples: job.samples, threads: job.threads }));
  }

  /** One result per candidate: after a crash or hang, the rest go to a restarted process. */
  private async each<C>(cands: readonly C[], request: (cs: readonly C[]) => WorkerBatch | WorkerArtifacts):
  Promise<MeasureResult[]> {
    const results = new Array<MeasureResult | undefined>(cands.length);
    let rest = cands.map((_, i) => i);
    while (rest.length) {
      const req = request(rest.map((i) => cands[i]));
      const blamed = await this.run(req, (j, r) => { results[rest[j]] = r; });
      if (blamed) results[rest[blamed.j]] = { status: 'error', error: blamed.why };
      else for (const i of rest) results[i] ??= { status: 'error', error: 'the worker gave no result' };
      rest = rest.filter((i) => !results[i]);
    }
    return results as MeasureResult[];
  }

  /** One request to the worker; on a crash or hang, which candidate (index into cands) is blamed. */
  private run(req: WorkerBatch | WorkerArtifacts,
    onResult: (j: number, r: MeasureResult) => void): Promise<{ j: number; why: string } | undefined> {
    const c = this.child ??= this.start();
    const limit = (this.o.timeoutMs ?? 60_000) * (this.fresh ? 3 : 1);
    this.fresh = false;
    return new Promise((resolve) => {
      let last = 0;
      let timer: NodeJS.Timeout;
      const finish = (v: { j: number; why: string } | undefined, kill: boolean) => {
        clearTimeout(timer);
        c.removeAllListeners('message'); c.removeAllListeners('exit');
        if (kill) { c.kill('SIGKILL'); this.child = undefined; }
        resolve(v);
      };
      const arm = () => {
        clearTimeout(timer);
        const why = `timeout: silent for ${limit / 1000} s`;
        timer = setTimeout(() => finish({ j: last, why }, true), limit);
      };
      c.on('message', (m: FromWorker) => {
        arm();
        if (m.type === 'start') last = m.i;
        else if (m.type === 'result') onResult(m.i, m.r);
        else finish(undefined, false);
      });
      c.once('exit', (code, sig) =>
        finish({ j: last, why: `worker crashed (${sig ?? `exit ${code}`})` }, true));
      arm();
      c.send(req);
    });
  }

  close(): void {
    this.child?.kill();
    this.child = undefined;
  }
}
