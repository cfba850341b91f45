#!/usr/bin/env node
// The kestrel command line: compile, run, inspect.
//   kestrel compile model.onnx -o model.so [--target host|x86_64|aarch64[:CPU][+FEATURE...]|nvptx[:sm_XX]]
//                   [--dynamic] [--sign KEY.pem]
//   kestrel run model.so --inputs DIR [--outputs DIR] [--check] [--bench N] [--threads N]
//                        [--device cpu|cuda:N] [--trusted-key PUBLIC.pem] [--profile trace.json]
//   kestrel inspect model.onnx|model.so
//   kestrel tune model.onnx --log tune.jsonl [--budget 20m] [--trials N] [--target ...]
//   kestrel tune --merge a.jsonl b.jsonl -o all.jsonl
// --profile writes the Chrome trace of one run; --bench N prints latency over N runs, then a
// per-kernel table from N more runs, profiled (share of time, calls, mean µs, GFLOP/s).
// Errors print as `error KCxxxx: message` and exit with status 1.

import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { dtypeInfo, type DType } from '../ir/dtype.js';
import { load } from '../runtime-vm/session.js';
import type { Tensor } from '../runtime-vm/tensor.js';
import { KestrelError } from '../runtime-vm/errors.js';
import { chromeTrace, kernelTable, type ProfiledRun } from '../runtime-vm/profile.js';
import { compile } from './driver.js';
import { importOnnxCollect } from './frontend/onnx/import.js';
import { TensorType as TensorProto } from './frontend/onnx/schema.js';
import { describeArtifact, inspectModule } from './inspect.js';
import { cmdTune, tuningLogSchedules } from './tune/cli-tune.js';
import { compareTensors, readDataSet } from '../tools/testdata.js';
import type { TargetName } from '../codegen/target.js';

const USAGE = `usage:
  kestrel compile model.onnx -o model.so [--target host|x86_64|aarch64[:CPU][+FEATURE...]]
                [--target nvptx[:sm_80|sm_86|sm_90]]   (NVIDIA GPUs: docs/gpu.md)
                [--dynamic] [--fix sym=N,...]
                [--sign KEY.pem]      (an Ed25519 private key: openssl genpkey -algorithm ed25519)
  kestrel run model.so --inputs DIR [--outputs DIR] [--check] [--bench N] [--threads N]
                [--device cpu|cuda:N]        (cuda:N for artifacts compiled with --target nvptx)
                [--trusted-key PUBLIC.pem]   (require a signature by this key)
                [--profile trace.json]
  kestrel inspect model.onnx|model.so
  kestrel tune model.onnx --log tune.jsonl [--budget 20m] [--trials N] [--target ...] [--fix sym=N,...]
  kestrel tune --merge a.jsonl b.jsonl ... -o all.jsonl
  (compile takes --tuning-log tune.jsonl: the best record per workload; defaults elsewhere)`;

interface Args { positional: string[]; flags: Map<string, string | true> }

const VALUED = new Set(['-o', '--output', '--target', '--fix', '--inputs', '--outputs', '--bench',
  '--threads', '--sign', '--trusted-key', '--tuning-log', '--log', '--budget', '--trials',
  '--profile', '--device']);

function parseArgs(argv: readonly string[]): Args {
  const positional: string[] = [];
  const flags = new Map<string, string | true>();
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (!a.startsWith('-')) positional.push(a);
    else if (VALUED.has(a)) {
      if (i + 1 >= argv.length) throw new Error(`${a} needs a value`);
      flags.set(a, argv[++i]);
    } else flags.set(a, true);
  }
  return { positional, flags };
}

const str = (a: Args, ...names: string[]): string | undefined => {
  for (const n of names) { const v = a.flags.get(n); if (typeof v === 'string') return v; }
  return undefined;
};

/** The PEM text of the key file named by `flag`, if given. */
function keyFile(a: Args, flag: string): string | undefined {
  const path = str(a, flag);
  return path === undefined ? undefined : readFileSync(path, 'utf8');
}

function fixArg(a: Args): Record<string, number> | undefined {
  const fixed = str(a, '--fix');
  return fixed ? Object.fromEntries(fixed.split(',').map((kv) => {
    const [k, v] = kv.split('=');
    if (!k || !/^\d+$/.test(v ?? '')) throw new Error(`--fix expects name=value[,name=value], got '${kv}'`);
    return [k, Number(v)];
  })) : undefined;
}

async function cmdCompile(a: Args): Promise<void> {
  const model = a.positional[0];
  const output = str(a, '-o', '--output')
    ?? join(dirname(model ?? '.'), `${basename(model ?? 'model', '.onnx')}.so`);
  if (!model) throw new Error('compile needs a model path');
  const fixedDims = fixArg(a);
  const target = (str(a, '--target') ?? 'host') as TargetName;
  const logFile = str(a, '--tuning-log');
  const schedules = logFile ? tuningLogSchedules(logFile, target, (t) => console.error(t)) : undefined;
  if (logFile) console.log(`tuning log ${logFile}: ${schedules!.length} tuned workloads`);
  const r = await compile(model, {
    output, target, dynamic: a.flags.has('--dynamic'), fixedDims, signingKey: keyFile(a, '--sign'), schedules,
    onStaleSchedule: logFile ? (e) => console.error(`warning: tuning log record skipped: ${e.message}`)
      : undefined,
  });
  console.log(`compiled ${model} -> ${r.output}: ${r.kernels} kernels, `
    + `${(r.constantsBytes / 1e6).toFixed(2)} MB constants, ${r.seconds.toFixed(2)} s`);
}

function describe(t: Tensor): string {
  return `${t.type}[${t.dims.join(', ')}]`;
}

function writeTensor(path: string, name: string, t: Tensor): void {
  const d = t.data;
  const bytes = new Uint8Array(d.buffer, d.byteOffset, d.byteLength);
  const msg = TensorProto.create({ name, dims: [...t.dims], dataType: dtypeInfo(t.type as DType).onnx,
    rawData: bytes });
  writeFileSync(path, TensorProto.encode(msg).finish());
}

async function cmdRun(a: Args): Promise<number> {
  const so = a.positional[0];
  const dir = str(a, '--inputs');
  if (!so || !dir) throw new Error('run needs an artifact and --inputs DIR');
  const threads = str(a, '--threads');
  const trusted = keyFile(a, '--trusted-key');
  const device = str(a, '--device');
  const session = await load(so, { ...(threads ? { threads: Number(threads) } : {}),
    ...(trusted ? { trustedKeys: [trusted] } : {}), ...(device ? { device } : {}) });
  try {
    const data = readDataSet(dir);
    if (data.inputs.length !== session.inputs.length) {
      throw new Error(`${dir} holds ${data.inputs.length} inputs; the model takes ${session.inputs.length}`);
    }
    const feeds = Object.fromEntries(session.inputs.map((io, i) => [io.name, data.inputs[i].tensor]));
    const trace = str(a, '--profile');
    const out = trace ? await profileTo(trace, () => session.run(feeds, { profile: true }))
      : await session.run(feeds);
    let failed = 0;
    session.outputs.forEach((io, i) => {
      let line = `${io.name}: ${describe(out[io.name])}`;
      if (a.flags.has('--check') && data.outputs[i]) {
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
    const bench = Number(str(a, '--bench') ?? 0);
    if (bench > 0) {
      await runBench(bench, () => session.run(feeds));
      await kernelBench(bench, () => session.run(feeds, { profile: true }));
    }
    return failed ? 1 : 0;
  } finally {
    session.dispose();
  }
}

async function runBench(n: number, run: () => Promise<unknown>): Promise<void> {
  await run();
  const times: number[] = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await run();
    times.push(performance.now() - t0);
  }
  times.sort((x, y) => x - y);
  console.log(`bench: ${n} runs, median ${times[n >> 1].toFixed(3)} ms, min ${times[0].toFixed(3)} ms`);
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

async function cmdInspect(a: Args): Promise<void> {
  const path = a.positional[0];
  if (!path) throw new Error('inspect needs a path');
  if (path.endsWith('.so')) {
    process.stdout.write(describeArtifact(path));
    return;
  }
  const r = importOnnxCollect(new Uint8Array(readFileSync(path)), { modelDir: dirname(path) });
  console.log(inspectModule(r.module, r.unsupported));
}

export async function main(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    const a = parseArgs(rest);
    switch (cmd) {
      case 'compile': await cmdCompile(a); return 0;
      case 'run': return await cmdRun(a);
      case 'inspect': await cmdInspect(a); return 0;
      case 'tune': await cmdTune(a, fixArg(a)); return 0;
      default:
        console.error(USAGE);
        return cmd === undefined || cmd === '--help' || cmd === '-h' ? 0 : 2;
    }
  } catch (e) {
    if (e instanceof KestrelError) console.error(`error ${e.message}`);
    else console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
