// The conformance runner: `npm run conformance -- DIR... [--dynamic] [--report path.json]
// [--filter regex] [--timeout s] [--jobs n]`. Finds ONNX test cases (model.onnx +
// test_data_set_K/{input,output}_J.pb), compiles and runs each in a child process (a crash or hang
// fails one case, never the run), compares with the references and prints PASS/FAIL/SKIP lines
// and a final `N passed, N failed, N skipped`. Requires: compiler/driver.ts `compile` and
// runtime-vm `load` (imported lazily, in the child only). Guarantees: exit code 0 iff no case
// failed (unsupported ops are skips); a JSON report lists every case and unsupported op -> cases.

import { fork, type ChildProcess } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { typedView, type DType } from '../ir/dtype.js';
import { Codes, UNSUPPORTED_CODES } from '../compiler/diagnostics.js';
import { OptionalType, SequenceType, ValueElemType, type OptionalMsg, type SequenceMsg }
  from '../compiler/frontend/onnx/schema.js';
import { decodeTensorProto, tensorFromMsg, type NamedConst } from '../compiler/frontend/onnx/tensor.js';
import { decodeMessage } from '../compiler/frontend/onnx/wire-guard.js';
import { floatError, floatsMatch, floatValues } from './testdata.js';
import { isSmallFloat } from '../ir/small-floats.js';

export interface Case { readonly name: string; readonly dir: string }
export interface DataSet { readonly inputs: readonly string[]; readonly outputs: readonly string[] }
export type Status = 'PASS' | 'FAIL' | 'SKIP';
export interface CaseResult {
  readonly name: string;
  readonly status: Status;
  readonly message?: string;
  readonly unsupported?: readonly string[];
  readonly ms?: number;
}

// ---- finding cases ------------------------------------------------------------------------

/** Every directory holding model.onnx under `roots` (a root may itself be a case), sorted. */
export function findCases(roots: readonly string[], filter?: RegExp): Case[] {
  const out: Case[] = [];
  for (const root of roots) {
    const base = path.resolve(root);
    const stack = [base];
    while (stack.length > 0) {
      const dir = stack.pop()!;
      if (fs.existsSync(path.join(dir, 'model.onnx'))) {
        const rel = path.relative(path.dirname(base), dir);
        out.push({ name: rel || path.basename(dir), dir });
        continue;
      }
      for (const e of safeReaddir(dir)) if (e.isDirectory()) stack.push(path.join(dir, e.name));
    }
  }
  return out.filter((c) => !filter || filter.test(c.name)).sort((a, b) => (a.name < b.name ? -1 : 1));
}

function safeReaddir(dir: string): fs.Dirent[] {
  try { return fs.readdirSync(dir, { withFileTypes: true }); } catch { return []; }
}

const byIndex = (re: RegExp) => (a: string, b: string) => Number(re.exec(a)![1]) - Number(re.exec(b)![1]);

/** The data sets of a case, inputs/outputs ordered by their index J. */
export function dataSets(caseDir: string): DataSet[] {
  const sets = safeReaddir(caseDir).map((e) => e.name).filter((n) => /^test_data_set_\d+$/.test(n))
    .sort(byIndex(/(\d+)$/));
  return sets.map((s) => {
    const files = safeReaddir(path.join(caseDir, s)).map((e) => e.name);
    const pick = (kind: string) => {
      const re = new RegExp(`^${kind}_(\\d+)\\.pb$`);
      return files.filter((f) => re.test(f)).sort(byIndex(re)).map((f) => path.join(caseDir, s, f));
    };
    return { inputs: pick('input'), outputs: pick('output') };
  });
}

// ---- comparing ------------------------------------------------------------------------------

export interface Actual {
  readonly dtype: string;
  readonly dims: readonly number[];
  readonly data: ArrayLike<unknown>;
}

/** Reference tensor as JS values (float16, bfloat16 and float8 decoded to numbers). */
export function refValues(ref: NamedConst): ArrayLike<unknown> {
  if (ref.strings) return ref.strings;
  const b = ref.bytes;
  const copy = b.buffer.slice(b.byteOffset, b.byteOffset + b.byteLength);
  const n = ref.shape.reduce((a, d) => a * d, 1);
  const view = typedView(ref.dtype, copy, 0, n);
  return isFloatType(ref.dtype) ? floatValues(ref.dtype, view) : view;
}

/** Compares one output with its reference; returns undefined when it matches, else why not. */
export function compareOutput(name: string, got: Actual, ref: NamedConst): string | undefined {
  if (got.dtype !== ref.dtype) return `mismatch: output '${name}' dtype ${got.dtype}, expected ${ref.dtype}`;
  if (got.dims.length !== ref.shape.length || got.dims.some((d, i) => d !== ref.shape[i])) {
    return `mismatch: output '${name}' shape [${got.dims}], expected [${ref.shape}]`;
  }
  const want = refValues(ref);
  const have = isFloatType(ref.dtype) ? floatValues(got.dtype, got.data) : got.data;
  return isFloatType(ref.dtype)
    ? compareFloats(name, have as ArrayLike<number>, want as ArrayLike<number>, ref.dtype)
    : compareExact(name, have, want);
}

const isFloatType = (d: DType) => d === 'float32' || d === 'float64' || d === 'float16' || isSmallFloat(d);

export function compareFloats(name: string, got: ArrayLike<number>, ref: ArrayLike<number>,
  dtype?: DType): string | undefined {
  const e = floatError(got, ref, dtype);
  if (e.nanAt >= 0) {
    return `mismatch: output '${name}' NaN differs at ${e.nanAt} (${got[e.nanAt]} vs ${ref[e.nanAt]})`;
  }
  if (floatsMatch(e)) return undefined;
  return `mismatch: output '${name}' max err ${e.maxErr} at ${e.at} (${got[e.at]} vs ${ref[e.at]}), `
    + `tolerance ${e.tolerance}`;
}

function compareExact(name: string, got: ArrayLike<unknown>, ref: ArrayLike<unknown>): string | undefined {
  for (let i = 0; i < ref.length; i++) {
    if (got[i] !== ref[i]) return `mismatch: output '${name}' differs at ${i} (${got[i]} vs ${ref[i]})`;
  }
  return undefined;
}

// ---- running one case (in a child process) --------------------------------------------------

interface ErrorLike {
  code?: string; message?: string;
  details?: { unsupported?: { op: string; reason?: string }[]; dtype?: unknown };
}

/** Compiles and runs one case in this process. */
export async function runCaseHere(c: Case, dynamic: boolean): Promise<CaseResult> {
  const t0 = Date.now();
  const so = path.join(os.tmpdir(), `kestrel-conf-${process.pid}-${Math.random().toString(36).slice(2)}.so`);
  try {
    const { compile } = await import('../compiler/driver.js');
    await compile(path.join(c.dir, 'model.onnx'), { output: so, dynamic });
    const msg = await runDataSets(c, so);
    const ms = Date.now() - t0;
    return { name: c.name, status: msg ? 'FAIL' : 'PASS', ...(msg ? { message: msg } : {}), ms };
  } catch (e) {
    return { ...errorResult(c.name, e as ErrorLike), ms: Date.now() - t0 };
  } finally {
    fs.rmSync(so, { force: true });
  }
}

export function errorResult(name: string, e: ErrorLike): CaseResult {
  if (e?.code && e.code !== Codes.UNSUPPORTED_OPS && UNSUPPORTED_CODES.has(e.code)) {
    const what = e.code === Codes.TENSOR_DTYPE_UNSUPPORTED ?
        `dtype:${String(e.details?.dtype ?? '?')}` : `feature:${e.code}`;
    return { name, status: 'SKIP', message: `unsupported ${what} (${e.message ?? ''})`, unsupported: [what] };
  }
  if (e?.code === Codes.UNSUPPORTED_OPS) {
    const list = e.details?.unsupported ?? [];
    const ops = [...new Set(list.map((u) => u.op))];
    // The reasons (a missing converter, an op form such as antialias) go into the report too.
    const reasons = [...new Set(list.map((u) => u.reason).filter((r): r is string => !!r))];
    const why = reasons.length ? `: ${reasons.join('; ')}` : '';
    return { name, status: 'SKIP', message: `unsupported ${ops.join(', ')}${why}`, unsupported: ops };
  }
  return { name, status: 'FAIL', message: e?.message ?? String(e) };
}

/** A test value: a tensor, a sequence of tensors, or null (an empty optional). */
export interface TestValue { readonly name: string; readonly value: NamedConst | NamedConst[] | null }

/**
 * Decodes a test data file as the kind the model's input/output has: TensorProto for tensors,
 * SequenceProto for sequences, OptionalProto for optionals (of tensors or sequences of tensors).
 */
export function decodeTestValue(bytes: Uint8Array, kind: string | undefined): TestValue {
  if (kind === 'sequence') {
    const m = decodeMessage<SequenceMsg>(bytes, SequenceType);
    return { name: m.name ?? '', value: sequenceValue(m) };
  }
  if (kind === 'optional') {
    const m = decodeMessage<OptionalMsg>(bytes, OptionalType);
    const value = m.elemType === ValueElemType.SEQUENCE && m.sequenceValue ? sequenceValue(m.sequenceValue)
      : m.elemType === ValueElemType.TENSOR && m.tensorValue ? tensorFromMsg(m.tensorValue, {}) : null;
    return { name: m.name ?? '', value };
  }
  const t = decodeTensorProto(bytes);
  return { name: t.name, value: t };
}

function sequenceValue(m: SequenceMsg): NamedConst[] {
  if ((m.elemType ?? ValueElemType.TENSOR) !== ValueElemType.TENSOR) {
    throw new Error(`SequenceProto of elem_type ${m.elemType} (only tensors are supported)`);
  }
  return (m.tensorValues ?? []).map((t, i) => tensorFromMsg(t, {}, `element_${i}`));
}

/** Compares a sequence/optional/tensor output with its reference value. */
function compareValue(name: string, got: unknown, ref: NamedConst | NamedConst[] | null): string | undefined {
  if (ref === null) return got === null ? undefined
    : `mismatch: output '${name}' should be an empty optional`;
  if (!Array.isArray(ref)) {
    const t = got as { type: string; dims: number[]; data: ArrayLike<unknown> } | null;
    if (!t || Array.isArray(t)) return `mismatch: output '${name}' is not a tensor`;
    return compareOutput(name, { dtype: t.type, dims: t.dims, data: t.data }, ref);
  }
  if (!Array.isArray(got)) return `mismatch: output '${name}' is not a sequence`;
  if (got.length !== ref.length) {
    return `mismatch: output '${name}' has ${got.length} tensors, expected ${ref.length}`;
  }
  for (let i = 0; i < ref.length; i++) {
    const why = compareValue(`${name}[${i}]`, got[i], ref[i]!);
    if (why) return why;
  }
  return undefined;
}

async function runDataSets(c: Case, so: string): Promise<string | undefined> {
  const { load, Tensor } = await import('../runtime-vm/index.js');
  const s = await load(so);
  const tensor = (t: NamedConst) => {
    if (t.strings) return new Tensor('string', t.strings, t.shape);
    const copy = t.bytes.buffer.slice(t.bytes.byteOffset, t.bytes.byteOffset + t.bytes.byteLength);
    const n = t.shape.reduce((a, d) => a * d, 1);
    return new Tensor(t.dtype, typedView(t.dtype, copy, 0, n), t.shape);
  };
  try {
    for (const [k, ds] of dataSets(c.dir).entries()) {
      const feeds: Record<string, InstanceType<typeof Tensor> | InstanceType<typeof Tensor>[] | null> = {};
      ds.inputs.forEach((f, j) => {
        const info = s.inputs[j];
        const { name, value } = decodeTestValue(fs.readFileSync(f), info?.kind);
        const key = name && s.inputs.some((i) => i.name === name) ? name : info?.name ?? name;
        feeds[key] = value === null ? null : Array.isArray(value) ? value.map(tensor) : tensor(value);
      });
      const out = await s.run(feeds) as Record<string, unknown>;
      for (const [j, f] of ds.outputs.entries()) {
        const { name: refName, value } = decodeTestValue(fs.readFileSync(f), s.outputs[j]?.kind);
        const name = refName && refName in out ? refName : s.outputs[j]!.name;
        if (!(name in out)) return `data set ${k}: output '${name}' missing`;
        const why = compareValue(name, out[name], value);
        if (why) return `data set ${k}: ${why}`;
      }
    }
  } finally {
    s.dispose();
  }
  return undefined;
}

/** Child-process entry: answers {case, dynamic} messages with CaseResults. */
function childMain(): void {
  process.on('message', (m: { c: Case; dynamic: boolean }) => {
    void runCaseHere(m.c, m.dynamic).then((r) => process.send!(r));
  });
}

// ---- the pool -------------------------------------------------------------------------------

export interface PoolOptions {
  readonly jobs: number;
  readonly timeoutMs: number;
  readonly dynamic: boolean;
  /** Script forked per worker; it must answer each {c, dynamic} message with one CaseResult. */
  readonly workerScript: string;
  readonly workerArgs?: readonly string[];
  readonly onResult?: (r: CaseResult) => void;
}

/** Runs cases on `jobs` child processes; a crash or timeout fails the case and respawns. */
export function runPool(cases: readonly Case[], o: PoolOptions): Promise<CaseResult[]> {
  const results = new Array<CaseResult>(cases.length);
  let next = 0, done = 0;
  return new Promise((resolve) => {
    if (cases.length === 0) { resolve([]); return; }
    const finish = (i: number, r: CaseResult) => {
      results[i] = r; done++; o.onResult?.(r);
      if (done === cases.length) resolve(results);
    };
    const startWorker = (): void => {
      if (next >= cases.length) return;
      const child = fork(o.workerScript, [...(o.workerArgs ?? [])],
        { stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
      child.stderr?.resume();
      feed(child);
    };
    const feed = (child: ChildProcess): void => {
      if (next >= cases.length) { child.kill(); return; }
      const i = next++;
      let settled = false;
      const settle = (r: CaseResult, restart: boolean) => {
        if (settled) return;
        settled = true; clearTimeout(timer);
        child.removeAllListeners('message'); child.removeAllListeners('exit');
        if (restart) { child.kill('SIGKILL'); startWorker(); } else feed(child);
        finish(i, r);
      };
      const timer = setTimeout(() => settle({ name: cases[i]!.name, status: 'FAIL',
        message: `timeout after ${o.timeoutMs / 1000} s` }, true), o.timeoutMs);
      child.once('message', (r) => settle(r as CaseResult, false));
      child.once('exit', (code, sig) => settle({ name: cases[i]!.name, status: 'FAIL',
        message: `worker crashed (${sig ?? `exit ${code}`})` }, true));
      child.send({ c: cases[i], dynamic: o.dynamic });
    };
    for (let k = 0; k < Math.min(o.jobs, cases.length); k++) startWorker();
  });
}

// ---- report and CLI -------------------------------------------------------------------------

export function resultLine(r: CaseResult): string {
  return r.status === 'PASS' ? `PASS ${r.name}` : `${r.status} ${r.name}: ${r.message ?? ''}`;
}

export function makeReport(results: readonly CaseResult[]): Record<string, unknown> {
  const unsupported: Record<string, string[]> = Object.create(null) as Record<string, string[]>;
  for (const r of results) for (const op of r.unsupported ?? []) (unsupported[op] ??= []).push(r.name);
  const count = (s: Status) => results.filter((r) => r.status === s).length;
  return {
    summary: { passed: count('PASS'), failed: count('FAIL'), skipped: count('SKIP') },
    cases: results, unsupported,
  };
}

export function summaryLine(results: readonly CaseResult[]): string {
  const count = (s: Status) => results.filter((r) => r.status === s).length;
  return `${count('PASS')} passed, ${count('FAIL')} failed, ${count('SKIP')} skipped`;
}

interface CliArgs {
  dirs: string[]; dynamic: boolean; report: string; filter?: RegExp; timeout: number; jobs: number;
  help?: boolean;
}

const USAGE = `usage: conformance DIR... [--dynamic] [--report FILE] [--filter REGEX] [--timeout S] [--jobs N]
  --dynamic        give every input symbolic dims (the shapes are known only at run time), as
                   kestrel compile --dynamic does: lengths that fix a rank stay static
  --report FILE    write the JSON report there (default conformance-report.json)
  --filter REGEX   only the cases whose name matches
  --timeout S      seconds per case before it counts as failed (60)
  --jobs N         cases compiled and run at once (2)`;

export function parseArgs(argv: readonly string[]): CliArgs {
  const a: CliArgs = { dirs: [], dynamic: false, report: 'conformance-report.json', timeout: 60, jobs: 2 };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i]!;
    if (v === '--help' || v === '-h') a.help = true;
    else if (v === '--dynamic') a.dynamic = true;
    else if (v === '--report') a.report = argv[++i] ?? a.report;
    else if (v === '--filter') a.filter = new RegExp(argv[++i] ?? '');
    else if (v === '--timeout') a.timeout = Number(argv[++i]);
    else if (v === '--jobs') a.jobs = Math.max(1, Number(argv[++i]));
    else if (v.startsWith('--')) throw new Error(`unknown option ${v}`);
    else a.dirs.push(v);
  }
  if (a.dirs.length === 0 && !a.help) throw new Error(USAGE);
  return a;
}

async function cliMain(argv: readonly string[]): Promise<number> {
  const args = parseArgs(argv);
  if (args.help) {
    console.log(USAGE);
    return 0;
  }
  const cases = findCases(args.dirs, args.filter);
  const results = await runPool(cases, {
    jobs: args.jobs, timeoutMs: args.timeout * 1000, dynamic: args.dynamic,
    workerScript: fileURLToPath(import.meta.url), workerArgs: ['--child'],
    onResult: (r) => console.log(resultLine(r)),
  });
  fs.writeFileSync(args.report, JSON.stringify(makeReport(results), null, 2) + '\n');
  console.log(summaryLine(results));
  return results.some((r) => r.status === 'FAIL') ? 1 : 0;
}

const isMain = process.argv[1] !== undefined
  && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href;
if (isMain && process.argv.includes('--child')) childMain();
else if (isMain) {
  cliMain(process.argv.slice(2)).then((code) => { process.exitCode = code; }, (e: Error) => {
    console.error(e.message);
    process.exitCode = 2;
  });
}
