// The AArch64 check under emulation: cross-compiles the standalone runtime (kestrel_vm and
// kestrel-run) with g++-aarch64-linux-gnu through native/cmake/aarch64-linux-gnu.cmake, compiles
// models with `--target aarch64`, runs each data set under `qemu-aarch64 -L /usr/aarch64-linux-gnu`
// with kestrel-run and compares its output files with the references (tools/testdata.ts's rule).
// Requires: cmake, flock (util-linux), g++-aarch64-linux-gnu, qemu-user (qemu-aarch64) and the
// sysroot the cross compiler installs; missing tools fail with the Debian package to install,
// never a skip.
// Guarantees: every output of every data set is compared; a run that fails, prints an output that
// is not a tensor, or writes a file of the wrong size is a failure with kestrel-run's message.

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile } from '../compiler/driver.js';
import type { TargetName } from '../codegen/target.js';
import { typedView } from '../ir/dtype.js';
import type { TensorType as RuntimeType, TypedArray } from '../runtime-vm/dtypes.js';
import { Tensor } from '../runtime-vm/tensor.js';
import { compareTensors, dataSetDirs, readDataSet } from './testdata.js';

export const SYSROOT = '/usr/aarch64-linux-gnu';

/** The models checked: convolutions, a transformer, a recurrent net and control flow. */
export const AARCH64_MODELS: readonly string[] = ['resnet18', 'mobilenetv2', 'bert_mini', 'lstm_2layer',
  'ctrl_loop_if'];

/** The programs the check needs and the Debian package of each. */
const TOOLS: readonly { readonly cmd: string; readonly pkg: string }[] = [
  { cmd: 'cmake', pkg: 'cmake' }, { cmd: 'flock', pkg: 'util-linux' },
  { cmd: 'aarch64-linux-gnu-g++', pkg: 'g++-aarch64-linux-gnu' },
  { cmd: 'aarch64-linux-gnu-gcc', pkg: 'gcc-aarch64-linux-gnu' }, { cmd: 'qemu-aarch64', pkg: 'qemu-user' },
];

/** Throws naming every missing tool and its Debian package. */
export function requireCrossTools(): void {
  const missing = TOOLS.filter(({ cmd }) => spawnSync(cmd, ['--version'], { stdio: 'ignore' }).error);
  if (missing.length) {
    const pkgs = missing.map((t) => t.pkg).join(' ');
    throw new Error(`the AArch64 check needs ${missing.map((t) => t.cmd).join(', ')}: ` +
      `apt-get install ${pkgs}`);
  }
  if (!existsSync(join(SYSROOT, 'lib'))) {
    throw new Error(`no AArch64 sysroot at ${SYSROOT}: apt-get install g++-aarch64-linux-gnu`);
  }
}

/** What a program printed and how it ended. */
export interface Ran {
  readonly status: number | null;
  readonly signal: NodeJS.Signals | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * Runs a program without blocking the event loop (long emulated runs and builds inside a vitest
 * worker would otherwise starve its RPC), collecting its output.
 */
export function runProgram(cmd: string, args: readonly string[]): Promise<Ran> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '', stderr = '';
    child.stdout.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.stderr.on('data', (d: Buffer) => { stderr += d.toString(); });
    child.on('error', fail);
    child.on('close', (status, signal) => done({ status, signal, stdout, stderr }));
  });
}

/** runProgram that throws with the program's stderr unless it exits 0. */
export async function mustRun(cmd: string, args: readonly string[]): Promise<Ran> {
  const r = await runProgram(cmd, args);
  if (r.status !== 0) {
    throw new Error(`${cmd} ${args.join(' ')} failed (${r.status ?? r.signal}):\n${r.stderr}`);
  }
  return r;
}

/**
 * Configures and builds native/ for AArch64 (no node addons, no LLVM); returns kestrel-run's path.
 * Holds a lock (flock) on the build folder, so test files building it at once take turns.
 */
export async function buildCrossRuntime(repo: string,
  buildDir = join(repo, 'native', 'build-aarch64')): Promise<string> {
  const native = join(repo, 'native');
  mkdirSync(buildDir, { recursive: true });
  const lock = join(buildDir, '.kestrel-build-lock');
  const toolchain = join(native, 'cmake', 'aarch64-linux-gnu.cmake');
  await mustRun('flock', [lock, 'cmake', '-S', native, '-B', buildDir, `-DCMAKE_TOOLCHAIN_FILE=${toolchain}`,
    '-DKESTREL_NODE_ADDONS=OFF', '-DCMAKE_BUILD_TYPE=Release']);
  await mustRun('flock', [lock, 'cmake', '--build', buildDir, '--target', 'kestrel-run', '-j', '2']);
  return join(buildDir, 'kestrel-run');
}

export interface SetResult {
  readonly set: string;
  readonly ok: boolean;
  readonly maxErr: number;
  readonly message: string;
  readonly seconds: number;
}

/** Runs an AArch64 program under qemu-aarch64 with the cross sysroot. */
export function qemu(program: string, args: readonly string[]): Promise<Ran> {
  return runProgram('qemu-aarch64', ['-L', SYSROOT, program, ...args]);
}

/** kestrel-run's `--input` argument for one tensor, its bytes written to `file`. */
function inputArg(name: string, t: Tensor, file: string): string {
  const v = t.data as TypedArray;
  writeFileSync(file, new Uint8Array(v.buffer, v.byteOffset, v.byteLength));
  return `${name}=${file}:${t.type}:${t.dims.join(',')}`;
}

/** Parses `name dtype [d0, d1] -> output_K.bin` lines into tensors read from `dir`. */
function readOutputs(stdout: string, dir: string): Map<number, Tensor> {
  const out = new Map<number, Tensor>();
  for (const line of stdout.split('\n')) {
    const m = /^(.*) (\S+) \[([^\]]*)\] -> output_(\d+)\.bin$/.exec(line);
    if (!m) continue;
    const dims = m[3] === '' ? [] : m[3].split(', ').map(Number);
    const bytes = new Uint8Array(readFileSync(join(dir, `output_${m[4]}.bin`)));
    const n = dims.reduce((a, b) => a * b, 1);
    const data = typedView(m[2] as RuntimeType, bytes.buffer, 0, n) as TypedArray;
    out.set(Number(m[4]), new Tensor(m[2] as RuntimeType, data, dims));
  }
  return out;
}

/** Runs one data set under qemu and compares every output with its reference. */
export async function runDataSet(runner: string, artifact: string, setDir: string,
  work: string): Promise<SetResult> {
  const set = setDir.split('/').pop()!;
  const dir = join(work, set);
  mkdirSync(dir, { recursive: true });
  const data = readDataSet(setDir);
  const args = data.inputs.flatMap((inp, i) => ['--input', inputArg(inp.name, inp.tensor,
    join(dir, `input_${i}.bin`))]);
  const t0 = performance.now();
  const r = await qemu(runner, [artifact, ...args, '--outputs', dir]);
  const seconds = (performance.now() - t0) / 1000;
  const fail = (message: string): SetResult => ({ set, ok: false, maxErr: Infinity, message, seconds });
  if (r.status !== 0) return fail(`kestrel-run exited ${r.status ?? r.signal}: ${r.stderr.trim()}`);
  let outs: Map<number, Tensor>;
  try {
    outs = readOutputs(r.stdout, dir);
  } catch (e) {
    return fail(`unreadable output: ${(e as Error).message}`);
  }
  let maxErr = 0;
  for (const [k, ref] of data.outputs.entries()) {
    const got = outs.get(k);
    if (!got) return fail(`output ${k} (${ref.name}) was not written`);
    const c = compareTensors(got, ref.tensor);
    if (!c.ok) return fail(`output ${k} (${ref.name}): ${c.message}`);
    maxErr = Math.max(maxErr, c.maxErr);
  }
  return { set, ok: true, maxErr, message: 'ok', seconds };
}

export interface ModelResult {
  readonly model: string;
  readonly compileSeconds: number;
  readonly sets: readonly SetResult[];
}

/**
 * Compiles `modelDir/model.onnx` for AArch64 (`target` may name a CPU and features) into `work`
 * and checks every data set under qemu, calling `onSet` after each (emulated runs are slow:
 * progress shows as it happens).
 */
export async function checkModel(runner: string, modelDir: string, work: string,
  onSet: (s: SetResult) => void = () => {}, target: TargetName = 'aarch64'): Promise<ModelResult> {
  const model = modelDir.split('/').pop()!;
  const dir = join(work, model);
  mkdirSync(dir, { recursive: true });
  const artifact = join(dir, `${model}.so`);
  const t0 = performance.now();
  await compile(join(modelDir, 'model.onnx'), { output: artifact, target });
  const compileSeconds = (performance.now() - t0) / 1000;
  const sets: SetResult[] = [];
  for (const s of dataSetDirs(modelDir)) {
    sets.push(await runDataSet(runner, resolve(artifact), s, dir));
    onSet(sets[sets.length - 1]);
  }
  return { model, compileSeconds, sets };
}
