// onnxruntime-node's session and run options mapped onto kestrel's: intraOpNumThreads -> threads
// (compile and load), freeDimensionOverrides -> fixed dims at compile time (kestrel's --fix),
// executionProviders -> 'cpu' only, logSeverityLevel / env.logLevel -> whether kestrel/ort warns.
// Every option accepted without effect is named once per process in a warning
// (process.emitWarning, code KESTREL_ORT_OPTION_IGNORED), so nothing is ignored silently; values
// that ask for what kestrel does anyway (graphOptimizationLevel 'all', ...) are not warned about.
// Guarantees: an invalid value or an execution-provider list without 'cpu' is a KestrelError KR0401.
import { KestrelError, RuntimeCodes } from '../runtime-vm/index.js';
import type { RunOptions, SessionOptions } from './types.js';

export const WARNING_CODE = 'KESTREL_ORT_OPTION_IGNORED';

/** What kestrel takes from the session options. */
export interface Mapped {
  readonly threads: number;
  readonly fixedDims: Readonly<Record<string, number>>;
  /** Warnings are shown at severity 2 (warning, onnxruntime's default) and below. */
  readonly warn: boolean;
}

const SESSION_NO_EFFECT = new Set([
  'interOpNumThreads', 'graphOptimizationLevel', 'enableCpuMemArena', 'enableMemPattern', 'executionMode',
  'optimizedModelFilePath', 'enableProfiling', 'profileFilePrefix', 'logId', 'logVerbosityLevel',
  'preferredOutputLocation', 'enableGraphCapture', 'extra', 'externalData',
]);
// Values that ask for what kestrel does anyway: no warning (it runs nodes one after another,
// optimises fully, pools memory and does not profile).
const ALREADY_SO: Readonly<Record<string, unknown>> = Object.freeze({
  graphOptimizationLevel: 'all', executionMode: 'sequential', enableCpuMemArena: true, enableMemPattern: true,
  enableProfiling: false, enableGraphCapture: false,
});
const SESSION_MAPPED = new Set(['intraOpNumThreads', 'freeDimensionOverrides', 'executionProviders',
  'logSeverityLevel']);
const RUN_NO_EFFECT = new Set(['logSeverityLevel', 'logVerbosityLevel', 'tag', 'extra']);
const RUN_MAPPED = new Set(['terminate', 'signal']);

/** The log level of the namespace's `env` (onnxruntime's env.logLevel). */
export const env: { logLevel: 'verbose' | 'info' | 'warning' | 'error' | 'fatal' } = { logLevel: 'warning' };

const warned = new Set<string>();

const invalid = (message: string, option: string): KestrelError =>
  new KestrelError(RuntimeCodes.OPTIONS_INVALID, message, { option });

/** Forgets which warnings were given (tests). */
export function resetWarnings(): void {
  warned.clear();
}

export function mapSessionOptions(o: SessionOptions): Mapped {
  if (typeof o !== 'object' || o === null) throw invalid("'options' must be an object", 'options');
  const warn = shouldWarn(o.logSeverityLevel);
  const given = o as Record<string, unknown>;
  const ignored = Object.keys(o).filter((k) => given[k] !== undefined && !SESSION_MAPPED.has(k) &&
    !(k in ALREADY_SO && ALREADY_SO[k] === given[k]));
  const labels = ignored.map((k) => (SESSION_NO_EFFECT.has(k) ? k : `${k} (unknown)`));
  warnIgnored([...labels, ...providerNotes(o.executionProviders)], 'session', warn);
  return { threads: threadsOf(o.intraOpNumThreads), fixedDims: fixedDimsOf(o.freeDimensionOverrides), warn };
}

/** Checks run options and warns (once) about those without effect. */
export function checkRunOptions(o: RunOptions | undefined, warn: boolean): void {
  if (o === undefined) return;
  if (typeof o !== 'object' || o === null) throw invalid("'options' must be an object", 'options');
  const ignored = Object.keys(o).filter((k) => (o as Record<string, unknown>)[k] !== undefined &&
    !RUN_MAPPED.has(k));
  warnIgnored(ignored.map((k) => RUN_NO_EFFECT.has(k) ? k : `${k} (unknown)`), 'run', warn);
}

function shouldWarn(level: unknown): boolean {
  if (level !== undefined && ![0, 1, 2, 3, 4].includes(level as number)) {
    throw invalid(`logSeverityLevel must be 0..4, got ${String(level)}`, 'logSeverityLevel');
  }
  const envLevel = ['verbose', 'info', 'warning', 'error', 'fatal'].indexOf(env.logLevel);
  return ((level as number | undefined) ?? envLevel) <= 2;
}

function threadsOf(n: unknown): number {
  if (n === undefined) return 0;
  if (!Number.isSafeInteger(n) || (n as number) < 0) {
    throw invalid(`intraOpNumThreads must be a non-negative integer, got ${String(n)}`, 'intraOpNumThreads');
  }
  return n as number;
}

function fixedDimsOf(o: unknown): Readonly<Record<string, number>> {
  if (o === undefined) return {};
  if (typeof o !== 'object' || o === null) {
    throw invalid('freeDimensionOverrides must be a record of dim names to sizes', 'freeDimensionOverrides');
  }
  for (const [k, v] of Object.entries(o)) {
    if (!Number.isSafeInteger(v) || v < 1) {
      throw invalid(`freeDimensionOverrides.${k} must be a positive integer, got ${String(v)}`,
        'freeDimensionOverrides');
    }
  }
  return Object.freeze({ ...(o as Record<string, number>) });
}

/** Names of provider settings without effect; KR0401 when 'cpu' is not among the providers. */
function providerNotes(list: unknown): string[] {
  if (list === undefined) return [];
  if (!Array.isArray(list)) throw invalid('executionProviders must be an array', 'executionProviders');
  const names = list.map((p: unknown) =>
    (typeof p === 'string' ? p : (p as { name?: unknown } | null)?.name));
  if (!names.includes('cpu')) {
    const listed = names.map((n) => `'${String(n)}'`).join(', ');
    throw invalid(`execution provider(s) ${listed} are not available ` +
      "in kestrel; it runs on the CPU: use executionProviders: ['cpu']", 'executionProviders');
  }
  const others = names.filter((n) => n !== 'cpu').map((n) => `executionProviders '${String(n)}'`);
  const cpuKeys = list.filter((p) => typeof p === 'object' && p !== null && p.name === 'cpu')
    .flatMap((p: Record<string, unknown>) => Object.keys(p).filter((k) => k !== 'name'))
    .map((k) => `cpu.${k}`);
  return [...others, ...cpuKeys];
}

export function warnIgnored(names: readonly string[], kind: 'session' | 'run', show: boolean): void {
  const fresh = names.filter((n) => !warned.has(`${kind}:${n}`));
  if (!show || fresh.length === 0) return;
  for (const n of fresh) warned.add(`${kind}:${n}`);
  process.emitWarning(`kestrel/ort: ${kind} option(s) accepted without effect: ${fresh.join(', ')}`,
    { code: WARNING_CODE });
}
