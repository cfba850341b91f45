// InferenceSession of kestrel/ort, after onnxruntime-common's: create() from a path, a Uint8Array
// or an ArrayBuffer (slice) holding an ONNX model — compiled once and cached (ort/cache.ts) — or a
// compiled kestrel .so; input/output names and metadata; run(feeds, fetches?, options?) returning
// only the outputs asked for; release(); the execution providers tried in order (cpu; cuda: an
// nvptx artifact on cuda:N, falling back to the next provider listed when the device cannot run
// it); profiling (enableProfiling, startProfiling, endProfiling: profiling.ts).
// Requires: kestrel's public API (runtime-vm's load; api.ts's compile, imported only when an ONNX
// model must be compiled, so running a .so never loads the compiler).
// Guarantees: every failure is a KestrelError with a code (arguments: KR0101 / KR0401; the rest
// from the compiler and runtime). All outputs are computed whatever `fetches` says; only the
// fetched ones are converted and returned.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { Codes } from '../compiler/diagnostics.js';
import { KestrelError, load, RuntimeCodes, type IoInfo, type ProfileEvent, type RunValue,
  type Session as KSession } from '../runtime-vm/index.js';
import type { Tensor as KTensor } from '../runtime-vm/index.js';
import { KESTREL_VERSION } from '../runtime-vm/version.js';
import { cacheKey, loadCached, stageModelBytes, type CacheOutcome } from './cache.js';
import { checkRunOptions, FALLBACK_CODE, mapSessionOptions, warnOnce, type Mapped, type Provider }
  from './options.js';
import { Profiler } from './profiling.js';
import { fetchList, prepareRun, type Prepared } from './run-args.js';
import { Tensor } from './tensor.js';
import type { FeedsType, FetchesType, OnnxValue, ReturnType, RunOptions, SessionOptions, ValueMetadata }
  from './types.js';

const ELF_MAGIC = [0x7f, 0x45, 0x4c, 0x46];
const isElf = (b: Uint8Array): boolean => ELF_MAGIC.every((m, i) => b[i] === m);

type Source = { readonly path?: string; readonly bytes: Uint8Array };

function sourceOf(arg0: unknown, arg1: unknown, arg2: unknown): Source {
  if (typeof arg0 === 'string') {
    try {
      return { path: arg0, bytes: new Uint8Array(readFileSync(arg0)) };
    } catch (e) {
      throw new KestrelError(Codes.MODEL_READ, `cannot read '${arg0}': ${(e as Error).message}`,
        { path: arg0 });
    }
  }
  if (arg0 instanceof Uint8Array) return { bytes: arg0 };
  const shared = typeof SharedArrayBuffer !== 'undefined' && arg0 instanceof SharedArrayBuffer;
  if (arg0 instanceof ArrayBuffer || shared) {
    const offset = typeof arg1 === 'number' ? arg1 : 0;
    const length = typeof arg1 === 'number' && typeof arg2 === 'number' ? arg2 : arg0.byteLength - offset;
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0 ||
        offset + length > arg0.byteLength) {
      throw new KestrelError(RuntimeCodes.OPTIONS_INVALID, `byteOffset ${offset} and byteLength ${length} ` +
        `fall outside the buffer of ${arg0.byteLength} bytes`, { option: 'byteOffset' });
    }
    return { bytes: new Uint8Array(arg0, offset, length) };
  }
  throw new KestrelError(Codes.MODEL_BYTES, 'create() takes a file path, a Uint8Array or an ArrayBuffer');
}

/** The options argument of the create() overloads (the offset form puts it last). */
function optionsOf(arg0: unknown, arg1: unknown, arg2: unknown, arg3: unknown): SessionOptions {
  const isBuffer = !(typeof arg0 === 'string' || arg0 instanceof Uint8Array);
  const o = isBuffer && typeof arg1 === 'number' ? (typeof arg2 === 'number' ? arg3 : arg2) : arg1;
  return (o ?? {}) as SessionOptions;
}

type Opened = { s: KSession; cache: CacheOutcome | 'uncached'; artifact: string; device: string };

const deviceOf = (p: Provider): string => (p.kind === 'cpu' ? 'cpu' : `cuda:${p.deviceId}`);

async function openSource(src: Source, m: Mapped, p: Provider): Promise<Opened> {
  const device = deviceOf(p);
  const loadOpts = { threads: m.threads, device };
  // A .so that is not ELF goes to the loader too, which says what is wrong with it (KR0001).
  if (isElf(src.bytes) || src.path?.endsWith('.so')) {
    if (src.path !== undefined) {
      return { s: await load(src.path, loadOpts), cache: 'uncached', artifact: src.path, device };
    }
    const key = cacheKey(src.bytes, undefined, 'artifact', { fixedDims: {}, threads: 0, target: 'artifact' });
    const r = await loadCached(key, async (out) => { writeArtifact(out, src.bytes); }, loadOpts);
    return { s: r.session, cache: r.outcome, artifact: r.artifact, device };
  }
  const target = p.kind === 'cuda' ? 'nvptx' : 'host';
  const key = cacheKey(src.bytes, src.path, KESTREL_VERSION, { ...m, target });
  const build = async (output: string): Promise<void> => {
    const api = await import('../api.js');
    const model = src.path ?? stageModelBytes(key, src.bytes);
    try {
      await api.compile(model, { output, target, fixedDims: m.fixedDims, threads: m.threads || undefined });
    } finally {
      if (model !== src.path) rmSync(model, { force: true });
    }
  };
  const r = await loadCached(key, build, loadOpts);
  return { s: r.session, cache: r.outcome, artifact: r.artifact, device };
}

// Failures of a device, not of the model: with a later provider in the list, kestrel falls back to
// it, as onnxruntime leaves to the CPU what a provider cannot run (KR0501 no driver or device,
// KR0502 a failed driver call, KR0008 artifact and device disagree, KC0901 no code for the GPU).
const DEVICE_FAILURES = new Set<string>([
  RuntimeCodes.CUDA_UNAVAILABLE, RuntimeCodes.CUDA_ERROR, RuntimeCodes.DEVICE_MISMATCH, Codes.CODEGEN,
]);

// Devices found missing (KR0501) in this process: the runtime opens the driver once per process, so
// later creates on them fail at once instead of compiling an nvptx artifact first.
const missingDevices = new Map<string, KestrelError>();

async function openOn(src: Source, m: Mapped, p: Provider): Promise<Opened> {
  const known = missingDevices.get(deviceOf(p));
  if (known) throw known;
  try {
    return await openSource(src, m, p);
  } catch (e) {
    const missing = e instanceof KestrelError && e.code === RuntimeCodes.CUDA_UNAVAILABLE;
    if (missing) missingDevices.set(deviceOf(p), e);
    throw e;
  }
}

/** Opens the source on the first provider of the list that works (see DEVICE_FAILURES). */
async function openOnProviders(src: Source, m: Mapped): Promise<Opened> {
  for (const [i, p] of m.providers.entries()) {
    const next = m.providers[i + 1];
    try {
      return await openOn(src, m, p);
    } catch (e) {
      if (!next || !(e instanceof KestrelError) || !DEVICE_FAILURES.has(e.code)) throw e;
      warnOnce(`fallback:${deviceOf(p)}:${e.code}`, `kestrel/ort: executionProviders '${p.kind}' ` +
        `(${deviceOf(p)}) cannot run here, falling back to '${next.kind}': ${e.message}`,
      FALLBACK_CODE, m.warn);
    }
  }
  throw new KestrelError(RuntimeCodes.OPTIONS_INVALID, 'no execution provider',
    { option: 'executionProviders' });
}

function writeArtifact(out: string, bytes: Uint8Array): void {
  const tmp = `${out}.${process.pid}.tmp`;
  writeFileSync(tmp, bytes);
  renameSync(tmp, out);
}

function metadata(io: IoInfo): ValueMetadata {
  if (io.kind !== 'tensor') return Object.freeze({ name: io.name, isTensor: false as const });
  return Object.freeze({ name: io.name, isTensor: true as const, type: io.dtype, shape: io.shape });
}

/** kestrel's addition to a session: what runs where, and whether it came from the cache. */
export interface KestrelInfo {
  readonly artifact: string;
  readonly cache: CacheOutcome | 'uncached';
  /** 'cpu' or 'cuda:N': the first of the execution providers that could run the model. */
  readonly device: string;
}

const PROVIDER_NAMES: Readonly<Record<string, string>> = { cpu: 'CPUExecutionProvider',
  cuda: 'CUDAExecutionProvider' };
const providerName = (device: string): string => PROVIDER_NAMES[device.split(':')[0]];

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  readonly kestrel: KestrelInfo;
  readonly #session: KSession;
  readonly #warn: boolean;
  readonly #prefix: string;
  #profiler: Profiler | undefined;

  private constructor(s: KSession, kestrel: KestrelInfo, m: Mapped, profiler: Profiler | undefined) {
    this.#session = s;
    this.#warn = m.warn;
    this.#prefix = m.profilePrefix;
    this.#profiler = profiler;
    this.kestrel = Object.freeze(kestrel);
    this.inputNames = Object.freeze(s.inputs.map((i) => i.name));
    this.outputNames = Object.freeze(s.outputs.map((o) => o.name));
    this.inputMetadata = Object.freeze(s.inputs.map(metadata));
    this.outputMetadata = Object.freeze(s.outputs.map(metadata));
  }

  static create(path: string, options?: SessionOptions): Promise<InferenceSession>;
  static create(buffer: ArrayBufferLike, options?: SessionOptions): Promise<InferenceSession>;
  static create(buffer: ArrayBufferLike, byteOffset: number, byteLength?: number, options?: SessionOptions):
    Promise<InferenceSession>;
  static create(buffer: Uint8Array, options?: SessionOptions): Promise<InferenceSession>;
  static async create(arg0: unknown, arg1?: unknown, arg2?: unknown, arg3?: unknown):
    Promise<InferenceSession> {
    const t0 = performance.now();
    const mapped = mapSessionOptions(optionsOf(arg0, arg1, arg2, arg3));
    const src = sourceOf(arg0, arg1, arg2);
    const t1 = performance.now();
    const { s, cache, artifact, device } = await openOnProviders(src, mapped);
    if (!mapped.profiling) {
      return new InferenceSession(s, { artifact, cache, device }, mapped, undefined);
    }
    const profiler = new Profiler(mapped.profilePrefix, providerName(device), t0);
    profiler.session(src.path !== undefined ? 'model_loading_uri' : 'model_loading_array', t0, t1);
    profiler.session('session_initialization', t1, performance.now(), { artifact, cache, device });
    return new InferenceSession(s, { artifact, cache, device }, mapped, profiler);
  }

  run(feeds: FeedsType, options?: RunOptions): Promise<ReturnType>;
  run(feeds: FeedsType, fetches: FetchesType, options?: RunOptions): Promise<ReturnType>;
  async run(feeds: FeedsType, arg1?: FetchesType | RunOptions, arg2?: RunOptions): Promise<ReturnType> {
    const p = prepareRun(feeds, arg1, arg2, this.inputMetadata, this.outputNames);
    checkRunOptions(p.options, this.#warn);
    const profiler = this.#profiler;
    const start = performance.now();
    const { outputs, events } = await runWithTerminate(this.#session, p, profiler !== undefined);
    profiler?.run(start, performance.now(), events ?? []);
    const result: Record<string, OnnxValue> = {};
    for (const [name, into] of fetchList(p, this.outputNames)) {
      result[name] = toOrt(name, outputs[name], into);
    }
    return result;
  }

  /** Frees the session; a profile still being recorded is written first (as onnxruntime does). */
  async release(): Promise<void> {
    if (this.#profiler) this.endProfiling();
    this.#session.dispose();
  }

  /**
   * Starts a profile of the runs from now on, unless one is being recorded (onnxruntime-node's
   * startProfiling does nothing; kestrel's starts one, with the session's profileFilePrefix).
   */
  startProfiling(): void {
    this.#profiler ??= new Profiler(this.#prefix, providerName(this.kestrel.device));
  }

  /**
   * Writes the profile recorded since create (enableProfiling) or startProfiling and stops
   * recording; returns the file's name ('' when no profile was being recorded), as onnxruntime's
   * EndProfiling does (onnxruntime-node returns nothing).
   */
  endProfiling(): string {
    const profiler = this.#profiler;
    this.#profiler = undefined;
    return profiler?.write() ?? '';
  }
}

const cancelled = (): KestrelError =>
  new KestrelError(RuntimeCodes.CANCELLED, 'terminated (RunOptions.terminate)');

type RunResult = { outputs: Record<string, RunValue>; events?: readonly ProfileEvent[] };

async function exec(s: KSession, feeds: Record<string, RunValue>, signal: AbortSignal | undefined,
  profile: boolean): Promise<RunResult> {
  if (!profile) return { outputs: await s.run(feeds, signal ? { signal } : undefined) };
  return s.run(feeds, { signal, profile: true });
}

/** Runs with the RunOptions' signal, and stops when `terminate` is (or becomes) true. */
async function runWithTerminate(s: KSession, p: Prepared, profile: boolean): Promise<RunResult> {
  const o = p.options;
  if (o?.terminate === true) throw cancelled();
  if (!o) return exec(s, p.feeds, undefined, profile);
  const ctl = new AbortController();
  const forward = (): void => ctl.abort();
  o.signal?.addEventListener('abort', forward, { once: true });
  if (o.signal?.aborted) ctl.abort();
  const poll = setInterval(() => { if (o.terminate === true) ctl.abort(); }, 5);
  poll.unref();
  try {
    return await exec(s, p.feeds, ctl.signal, profile);
  } finally {
    clearInterval(poll);
    o.signal?.removeEventListener('abort', forward);
  }
}

function toOrt(name: string, v: RunValue | undefined, into: OnnxValue | null): OnnxValue {
  if (v === null || v === undefined) return null as unknown as OnnxValue; // an absent optional
  if (Array.isArray(v)) return v.map((t) => Tensor.fromKestrel(t)) as unknown as OnnxValue; // a sequence
  if (!into) return Tensor.fromKestrel(v);
  return copyInto(name, v, into);
}

/** Writes an output into the tensor the caller pre-allocated in `fetches`. */
function copyInto(name: string, v: KTensor, into: Tensor): Tensor {
  if (into.type !== v.type || into.dims.join(',') !== v.dims.join(',')) {
    throw new KestrelError(RuntimeCodes.INPUT_SHAPE, `output '${name}' is ${v.type}[${v.dims.join(', ')}], ` +
      `the tensor given in fetches is ${into.type}[${into.dims.join(', ')}]`, { output: name });
  }
  (into.data as unknown as { set(a: ArrayLike<unknown>): void }).set(v.data as ArrayLike<unknown>);
  return into;
}
