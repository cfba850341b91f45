// onnxruntime-node's session and run options mapped onto kestrel's: intraOpNumThreads -> threads
// (compile and load), freeDimensionOverrides -> fixed dims at compile time (kestrel's --fix),
// executionProviders -> the devices to try in order ('cpu'; 'cuda' with deviceId -> an nvptx
// artifact on cuda:N), enableProfiling / profileFilePrefix -> a profile of every run (profiling.ts),
// logSeverityLevel / env.logLevel -> whether kestrel/ort warns.
// Every option accepted without effect is named once per process in a warning
// (process.emitWarning, code KESTREL_ORT_OPTION_IGNORED), so nothing is ignored silently; values
// that ask for what kestrel does anyway (graphOptimizationLevel 'all', ...) are not warned about.
// Guarantees: an invalid value, or an execution-provider list naming no provider kestrel has, is a
// KestrelError KR0401.
import { KestrelError, RuntimeCodes } from '../runtime-vm/index.js';
import type { RunOptions, SessionOptions } from './types.js';

export const WARNING_CODE = 'KESTREL_ORT_OPTION_IGNORED';
/** The warning of a session that falls back from a provider that cannot run here to the next one. */
export const FALLBACK_CODE = 'KESTREL_ORT_PROVIDER_FALLBACK';

/** A device to try, from executionProviders: the CPU, or CUDA device N with an nvptx artifact. */
export type Provider = { readonly kind: 'cpu' } | { readonly kind: 'cuda'; readonly deviceId: number };

/** What kestrel takes from the session options. */
export interface Mapped {
  readonly threads: number;
  readonly fixedDims: Readonly<Record<string, number>>;
  /** The devices in the order listed (never empty; absent or [] = the CPU). */
  readonly providers: readonly Provider[];
  /** enableProfiling: every run is profiled from create on. */
  readonly profiling: boolean;
  /** The profile file's prefix (profileFilePrefix, else onnxruntime's 'onnxruntime_profile_'). */
  readonly profilePrefix: string;
  /** Warnings are shown at severity 2 (warning, onnxruntime's default) and below. */
  readonly warn: boolean;
}

const SESSION_NO_EFFECT = new Set([
  'interOpNumThreads', 'graphOptimizationLevel', 'enableCpuMemArena', 'enableMemPattern', 'executionMode',
  'optimizedModelFilePath', 'logId', 'logVerbosityLevel',
  'preferredOutputLocation', 'enableGraphCapture', 'extra', 'externalData',
]);
// Values that ask for what kestrel does anyway: no warning (it runs nodes one after another,
// optimises fully and pools memory).
const ALREADY_SO: Readonly<Record<string, unknown>> = Object.freeze({
  graphOptimizationLevel: 'all', executionMode: 'sequential', enableCpuMemArena: true, enableMemPattern: true,
  enableGraphCapture: false,
});
const SESSION_MAPPED = new Set(['intraOpNumThreads', 'freeDimensionOverrides', 'executionProviders',
  'logSeverityLevel', 'enableProfiling', 'profileFilePrefix']);
/** onnxruntime's default profile file prefix (the file is `${prefix}_${time}.json`). */
export const DEFAULT_PROFILE_PREFIX = 'onnxruntime_profile_';
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
  const { providers, notes } = providersOf(o.executionProviders);
  warnIgnored([...labels, ...notes], 'session', warn);
  return { threads: threadsOf(o.intraOpNumThreads), fixedDims: fixedDimsOf(o.freeDimensionOverrides),
    providers, ...profilingOf(o.enableProfiling, o.profileFilePrefix), warn };
}

function profilingOf(enabled: unknown, prefix: unknown): { profiling: boolean; profilePrefix: string } {
  if (enabled !== undefined && typeof enabled !== 'boolean') {
    throw invalid(`enableProfiling must be a boolean, got ${String(enabled)}`, 'enableProfiling');
  }
  if (prefix !== undefined && (typeof prefix !== 'string' || prefix === '')) {
    throw invalid(`profileFilePrefix must be a non-empty string, got ${String(prefix)}`, 'profileFilePrefix');
  }
  const profilePrefix = (prefix as string | undefined) ?? DEFAULT_PROFILE_PREFIX;
  return { profiling: enabled === true, profilePrefix };
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

const KNOWN_PROVIDERS = new Set(['cpu', 'cuda']);

/**
 * The devices of an executionProviders list, in its order, and the names of entries and settings
 * without effect (providers kestrel does not have, provider options other than cuda's deviceId).
 * KR0401 when the list names no provider kestrel has, or a deviceId that is not an ordinal.
 */
function providersOf(list: unknown): { providers: Provider[]; notes: string[] } {
  if (list === undefined) return { providers: [{ kind: 'cpu' }], notes: [] };
  if (!Array.isArray(list)) throw invalid('executionProviders must be an array', 'executionProviders');
  if (list.length === 0) return { providers: [{ kind: 'cpu' }], notes: [] };
  const entries = list.map((p: unknown) =>
    (typeof p === 'string' ? { name: p } : p as Record<string, unknown>));
  const providers: Provider[] = [];
  const notes: string[] = [];
  for (const e of entries) {
    const name = String(e?.name);
    if (!KNOWN_PROVIDERS.has(name)) {
      notes.push(`executionProviders '${name}'`);
      continue;
    }
    const extra = Object.keys(e).filter((k) => k !== 'name' && !(name === 'cuda' && k === 'deviceId'));
    notes.push(...extra.map((k) => `${name}.${k}`));
    providers.push(name === 'cpu' ? { kind: 'cpu' } : { kind: 'cuda', deviceId: deviceIdOf(e.deviceId) });
  }
  if (providers.length === 0) {
    const listed = entries.map((e) => `'${String(e?.name)}'`).join(', ');
    throw invalid(`execution provider(s) ${listed} are not available in kestrel: ` +
      "use executionProviders: ['cpu'], or 'cuda' for an NVIDIA GPU", 'executionProviders');
  }
  return { providers, notes };
}

function deviceIdOf(id: unknown): number {
  if (id === undefined) return 0;
  if (!Number.isSafeInteger(id) || (id as number) < 0) {
    throw invalid(`cuda deviceId must be a non-negative integer, got ${String(id)}`, 'executionProviders');
  }
  return id as number;
}

export function warnIgnored(names: readonly string[], kind: 'session' | 'run', show: boolean): void {
  const fresh = names.filter((n) => !warned.has(`${kind}:${n}`));
  if (!show || fresh.length === 0) return;
  for (const n of fresh) warned.add(`${kind}:${n}`);
  process.emitWarning(`kestrel/ort: ${kind} option(s) accepted without effect: ${fresh.join(', ')}`,
    { code: WARNING_CODE });
}

/** Emits `message` once per process for `key` (when warnings are shown). */
export function warnOnce(key: string, message: string, code: string, show: boolean): void {
  if (!show || warned.has(key)) return;
  warned.add(key);
  process.emitWarning(message, { code });
}
