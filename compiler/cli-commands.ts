// The kestrel CLI's command table: each command's positionals, flags (name, kind, help) and handler.
// A new flag is one row in its command's `flags`; a new command is one entry in COMMANDS. Parsing,
// checking and the usage text all come from these rows (cli-args.ts).
// Requires: nothing at import beyond the modules below. Guarantees: a handler is only called with
// Args that passed its spec; it returns the exit code (0 ok, 1 failure) or throws.

import { readFileSync } from 'node:fs';
import { basename, dirname, resolve } from 'node:path';
import type { TargetName } from '../codegen/target.js';
import { str, UsageError, type Args, type CommandSpec, type FlagSpec } from './cli-args.js';
import { cmdRun, keyFile } from './cli-run.js';
import { compile } from './driver.js';
import { importOnnxCollect } from './frontend/onnx/import.js';
import { describeArtifact, inspectModule } from './inspect.js';
import { cmdTune, cmdTuneWorker, tuningLogSchedules } from './tune/cli-tune.js';

export interface Command {
  readonly spec: CommandSpec;
  readonly run: (a: Args) => Promise<number>;
}

const TARGET: FlagSpec = { name: 'target', kind: 'string', value: 'T',
  help: 'host (default), x86_64 or aarch64, with [:CPU][+FEATURE...]; nvptx[:sm_80|sm_86|sm_90] (GPU)' };
const FIX: FlagSpec = { name: 'fix', kind: 'list', value: 'SYM=N', repeat: true,
  help: 'fix a symbolic dim to a number (sym=N[,sym=N...])' };

const QUEUE: FlagSpec = { name: 'queue', kind: 'string', value: 'redis://HOST:PORT',
  help: 'the Redis of a tuning fleet (docs/tuning.md)' };

/** --fix a=1,b=2 -> { a: 1, b: 2 }. */
export function fixArg(a: Args): Record<string, number> | undefined {
  const fixed = str(a, '--fix');
  return fixed ? Object.fromEntries(fixed.split(',').map((kv) => {
    const [k, v] = kv.split('=');
    if (!k || !/^\d+$/.test(v ?? '')) {
      throw new UsageError(a.command, `--fix expects name=value[,name=value], got '${kv}'`);
    }
    return [k, Number(v)];
  })) : undefined;
}

/** -o, or MODEL.so in the working directory (never beside the model: its folder may be read-only). */
export function compileOutput(a: Args): string {
  return str(a, '--output') ?? resolve(`${basename(a.positional[0], '.onnx')}.so`);
}

async function cmdCompile(a: Args): Promise<number> {
  const model = a.positional[0];
  const output = compileOutput(a);
  const target = (str(a, '--target') ?? 'host') as TargetName;
  const logFile = str(a, '--tuning-log');
  const schedules = logFile ? tuningLogSchedules(logFile, target, (t) => console.error(t)) : undefined;
  if (logFile) {
    const buckets = schedules!.filter((x) => x.bucket !== undefined).length;
    const workloads = new Set(schedules!.map((x) => x.workload)).size;
    console.log(`tuning log ${logFile}: ${workloads} tuned workloads`
      + `${buckets ? ` (${buckets} shape-bucket schedules)` : ''}`);
  }
  const r = await compile(model, {
    output, target, dynamic: a.flags.has('--dynamic'), fixedDims: fixArg(a),
    signingKey: keyFile(a, '--sign'), schedules,
    onStaleSchedule: logFile ? (e) => console.error(`warning: tuning log record skipped: ${e.message}`)
      : undefined,
  });
  console.log(`compiled ${model} -> ${r.output}: ${r.kernels} kernels, `
    + `${(r.constantsBytes / 1e6).toFixed(2)} MB constants, ${r.seconds.toFixed(2)} s`);
  return 0;
}

async function cmdInspect(a: Args): Promise<number> {
  const path = a.positional[0];
  if (path.endsWith('.so')) {
    process.stdout.write(describeArtifact(path));
    return 0;
  }
  const r = importOnnxCollect(new Uint8Array(readFileSync(path)), { modelDir: dirname(path) });
  console.log(inspectModule(r.module, r.unsupported));
  return 0;
}

const COMPILE: Command = {
  spec: {
    name: 'compile', summary: 'compile an ONNX model into one .so artifact',
    positionals: [{ name: 'model.onnx' }],
    flags: [
      { name: 'output', short: 'o', kind: 'path', value: 'FILE.so',
        help: 'where to write the artifact (default: MODEL.so in the working directory)' },
      TARGET,
      { name: 'dynamic', kind: 'bool', help: 'make every input dim symbolic (one artifact for all sizes)' },
      FIX,
      { name: 'sign', kind: 'path', value: 'KEY.pem',
        help: 'sign with an Ed25519 private key (openssl genpkey -algorithm ed25519)' },
      { name: 'tuning-log', kind: 'path', value: 'LOG.jsonl',
        help: 'use the best schedule per workload from a `kestrel tune` log' },
    ],
    notes: ['example: kestrel compile model.onnx -o model.so --target x86_64:skylake-avx512'],
  },
  run: cmdCompile,
};

const RUN: Command = {
  spec: {
    name: 'run', summary: 'run an artifact on a test-data folder or on random inputs',
    positionals: [{ name: 'model.so' }],
    flags: [
      { name: 'inputs', kind: 'path', value: 'DIR',
        help: 'input_K.pb tensors (ONNX test-data layout); default: random inputs' },
      { name: 'shapes', kind: 'list', value: 'NAME=DxD...', repeat: true,
        help: 'dims of a random input with symbolic dims (input=1x3x224x224)' },
      { name: 'seed', kind: 'count', value: 'N', help: 'seed of the random inputs (default 0)' },
      { name: 'outputs', kind: 'path', value: 'DIR', help: 'write output_K.pb tensors to DIR' },
      { name: 'check', kind: 'bool', help: 'compare with the output_K.pb of --inputs DIR' },
      { name: 'bench', kind: 'positive', value: 'N',
        help: 'time N runs: p50/p90/p99 latency, throughput, per-kernel table' },
      { name: 'warmup', kind: 'count', value: 'N', help: 'untimed runs before --bench (default 1)' },
      { name: 'threads', kind: 'count', value: 'N', help: 'threads for parallel kernels (0 = all cores)' },
      { name: 'device', kind: 'string', value: 'D',
        help: 'cpu (default), or cuda:N for artifacts compiled with --target nvptx' },
      { name: 'trusted-key', kind: 'path', value: 'PUBLIC.pem', help: 'require a signature by this key' },
      { name: 'profile', kind: 'path', value: 'trace.json', help: 'write the Chrome trace of one run' },
    ],
    notes: ['example: kestrel run model.so --bench 100 --shapes input=1x3x224x224'],
  },
  run: cmdRun,
};

const INSPECT: Command = {
  spec: {
    name: 'inspect', summary: 'describe a model (graph, unsupported ops) or an artifact (target, '
      + 'CPU features, inputs)',
    positionals: [{ name: 'model.onnx|model.so' }], flags: [],
  },
  run: cmdInspect,
};

const TUNE: Command = {
  spec: {
    name: 'tune', summary: 'search kernel schedules on this machine and log the measurements',
    positionals: [{ name: 'model.onnx|log.jsonl', variadic: true }],
    flags: [
      { name: 'log', kind: 'path', value: 'LOG.jsonl', help: 'append measurements here (resumes)' },
      { name: 'budget', kind: 'string', value: 'TIME', help: 'time budget: 90s, 20m, 1h (default 20m)' },
      { name: 'trials', kind: 'positive', value: 'N', help: 'stop after N measured candidates' },
      TARGET, FIX,
      { name: 'shapes', kind: 'list', value: 'SYM=N,N...', repeat: true,
        help: 'shape buckets: tune each kernel with these symbols at each value (seq=16,37,128)' },
      { name: 'threads', kind: 'count', value: 'N', help: 'threads while measuring' },
      { name: 'merge', kind: 'bool', help: 'merge the logs given as arguments into -o' },
      { name: 'output', short: 'o', kind: 'path', value: 'FILE', help: 'the merged log (with --merge)' },
      { name: 'samples', kind: 'positive', value: 'N', help: 'timed samples per candidate (default 11)' },
      QUEUE,
      { name: 'sign', kind: 'path', value: 'KEY.pem', help: 'sign the candidates sent to --queue workers' },
    ],
    notes: ['examples: kestrel tune model.onnx --log tune.jsonl --budget 20m',
      '          kestrel tune model.onnx --log tune.jsonl --trials 400 --queue redis://10.0.0.5:6379',
      '          kestrel tune model.onnx --log tune.jsonl --trials 40 --shapes seq=16,37,128',
      '          kestrel tune --merge a.jsonl b.jsonl -o all.jsonl', 'docs: docs/tuning.md'],
  },
  run: async (a) => { await cmdTune(a, fixArg(a)); return 0; },
};

const TUNE_WORKER: Command = {
  spec: {
    name: 'tune-worker', summary: "measure a tuning queue's jobs for this machine's target (a fleet)",
    positionals: [],
    flags: [
      QUEUE, TARGET,
      { name: 'concurrency', kind: 'positive', value: 'N', help: 'jobs measured at once (default 1)' },
      { name: 'threads', kind: 'count', value: 'N', help: 'threads while measuring' },
      { name: 'trusted-key', kind: 'path', value: 'PUBLIC.pem',
        help: 'measure only artifacts signed by this key (the coordinator tunes with --sign)' },
      { name: 'stall', kind: 'string', value: 'TIME',
        help: "how soon a dead worker's job goes to another worker (default 30s)" },
    ],
    notes: ['example: kestrel tune-worker --queue redis://10.0.0.5:6379', 'docs: docs/tuning.md'],
  },
  run: async (a) => { await cmdTuneWorker(a); return 0; },
};

export const COMMANDS: readonly Command[] = [COMPILE, RUN, INSPECT, TUNE, TUNE_WORKER];
