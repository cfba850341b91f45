// `kestrel run`: load an artifact, feed it a test-data folder (--inputs) or random tensors (shapes of
// symbolic dims from --shapes), print the outputs, optionally compare (--check), write (--outputs),
// profile (--profile) and time them (--bench N: p50/p90/p99 latency and throughput, then a
// per-kernel table from N more, profiled runs).
// Requires: parsed Args of RUN (cli-commands.ts). Guarantees: the session is disposed on every path;
// the exit code is 1 when a --check comparison fails, else 0.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { dtypeInfo, type DType } from '../ir/dtype.js';
import { chromeTrace, kernelTable, type ProfiledRun } from '../runtime-vm/profile.js';
import { load, type RunValue, type Session } from '../runtime-vm/session.js';
import type { Tensor } from '../runtime-vm/tensor.js';
import type { TypedArray } from '../runtime-vm/dtypes.js';
import { compareTensors, readDataSet, type DataSet } from '../tools/testdata.js';
import { int, str, UsageError, type Args } from './cli-args.js';
import { parseShapes, randomFeeds } from './cli-inputs.js';
import { TensorType as TensorProto } from './frontend/onnx/schema.js';

/** The PEM text of the key file named by `flag`, if given. */
export function keyFile(a: Args, flag: string): string | undefined {
  const path = str(a, flag);
  return path === undefined ? undefined : readFileSync(path, 'utf8');
}

const describe = (t: Tensor): string => `${t.type}[${t.dims.join(', ')}]`;

const bytesOf = (d: TypedArray) => new Uint8Array(d.buffer, d.byteOffset, d.byteLength);

function writeTensor(path: string, name: string, t: Tensor): void {
  const d = t.data, dataType = dtypeInfo(t.type as DType).onnx;
  const msg = Array.isArray(d)
    ? TensorProto.create({ name, dims: [...t.dims], dataType,
      stringData: (d as readonly string[]).map((x) => new TextEncoder().encode(x)) })
    : TensorProto.create({ name, dims: [...t.dims], dataType, rawData: bytesOf(d as TypedArray) });
  writeFileSync(path, TensorProto.encode(msg).finish());
}

/** Feeds from --inputs DIR, or random ones; the data set (for --check) when read from disk. */
function feedsFor(a: Args, session: Session): { feeds: Record<string, RunValue>; data?: DataSet } {
  const dir = str(a, '--inputs');
  if (dir === undefined) {
    if (a.flags.has('--check')) throw new UsageError('run', '--check compares with --inputs DIR\'s outputs');
    const feeds = randomFeeds(session.inputs, parseShapes(str(a, '--shapes')), int(a, '--seed') ?? 0);
    const shown = session.inputs.map((io) => {
      const t = feeds[io.name] as Tensor | null;
      return `${io.name}: ${t ? describe(t) : 'absent'}`;
    });
    console.log(`random inputs (seed ${int(a, '--seed') ?? 0}): ${shown.join(', ') || '(none)'}`);
    return { feeds };
  }
  if (a.flags.has('--shapes')) throw new UsageError('run', '--shapes is for random inputs; --inputs DIR '
    + 'gives the shapes');
  const data = readDataSet(dir);
  if (data.inputs.length !== session.inputs.length) {
    throw new Error(`${dir} holds ${data.inputs.length} inputs; the model takes ${session.inputs.length}`);
  }
  return { feeds: Object.fromEntries(session.inputs.map((io, i) => [io.name, data.inputs[i].tensor])), data };
}

export async function cmdRun(a: Args): Promise<number> {
  const so = a.positional[0];
  const threads = int(a, '--threads');
  const trusted = keyFile(a, '--trusted-key');
  const device = str(a, '--device');
  const session = await load(so, { ...(threads !== undefined ? { threads } : {}),
    ...(trusted ? { trustedKeys: [trusted] } : {}), ...(device ? { device } : {}) });
  try {
    const { feeds, data } = feedsFor(a, session);
    const trace = str(a, '--profile');
    const out = trace ? await profileTo(trace, () => session.run(feeds, { profile: true }))
      : await session.run(feeds);
    let failed = 0;
    session.outputs.forEach((io, i) => {
      let line = `${io.name}: ${describe(out[io.name])}`;
      if (a.flags.has('--check') && data?.outputs[i]) {
        const c = compareTensors(out[io.name], data.outputs[i].tensor);
        line += c.ok ? `  matches reference (${c.message})` : `  MISMATCH: ${c.message}`;
        if (!c.ok) failed++;
      }
      console.log(line);
    });
    const outDir = str(a, '--outputs');
    if (outDir) {
      mkdirSync(outDir, { recursive: true });
      session.outputs.forEach((io, i) => writeTensor(join(outDir, `output_${i}.pb`), io.name, out[io.name]));
    }
    const bench = int(a, '--bench') ?? 0;
    if (bench > 0) {
      console.log(benchLine(await timeRuns(bench, int(a, '--warmup') ?? 1, () => session.run(feeds))));
      await kernelBench(bench, () => session.run(feeds, { profile: true }));
    }
    return failed ? 1 : 0;
  } finally {
    session.dispose();
  }
}

/** Milliseconds of each of `n` runs after `warmup` untimed ones. */
export async function timeRuns(n: number, warmup: number, run: () => Promise<unknown>): Promise<number[]> {
  for (let i = 0; i < warmup; i++) await run();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  return times;
}

/** The nearest-rank percentile `p` (0..100] of `sorted` (ascending, non-empty). */
export function percentile(sorted: readonly number[], p: number): number {
  return sorted[Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length))) - 1];
}

/** "bench: N runs, p50 … ms, p90 … ms, p99 … ms, min … ms, mean … ms; throughput … runs/s". */
export function benchLine(times: readonly number[]): string {
  const s = [...times].sort((x, y) => x - y);
  const total = s.reduce((x, y) => x + y, 0);
  const ms = (v: number) => `${v.toFixed(3)} ms`;
  return `bench: ${s.length} runs, p50 ${ms(percentile(s, 50))}, p90 ${ms(percentile(s, 90))}, `
    + `p99 ${ms(percentile(s, 99))}, min ${ms(s[0])}, mean ${ms(total / s.length)}; `
    + `throughput ${(1000 * s.length / total).toFixed(1)} runs/s`;
}

/** Runs once with profiling, writes the Chrome trace to `path`, returns the outputs. */
async function profileTo<O>(path: string, run: () => Promise<ProfiledRun<O>>): Promise<O> {
  const r = await run();
  writeFileSync(path, JSON.stringify(chromeTrace(r.events)));
  console.log(`profile: ${r.events.length} events -> ${path}`);
  return r.outputs;
}

/** Profiles `n` runs and prints where the time goes, per kernel call site. */
async function kernelBench(n: number, run: () => Promise<ProfiledRun<unknown>>): Promise<void> {
  const runs = [];
  for (let i = 0; i < n; i++) runs.push((await run()).events);
  console.log('  share   calls     mean µs   GFLOP/s  kernel [ONNX nodes]');
  for (const r of kernelTable(runs)) {
    const gf = r.gflops === undefined ? '-' : r.gflops.toFixed(1);
    console.log(`${(100 * r.share).toFixed(1).padStart(6)}%  ${(r.calls / n).toFixed(0).padStart(6)}  ` +
      `${r.meanUs.toFixed(1).padStart(10)}  ${gf.padStart(8)}  ${r.name}${r.nodes ? ` [${r.nodes}]` : ''}`);
  }
}
