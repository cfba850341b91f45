// InferenceSession of kestrel/ort, after onnxruntime-common's: create() from a path, a Uint8Array
// or an ArrayBuffer (slice) holding an ONNX model — compiled once and cached (ort/cache.ts) — or a
// compiled kestrel .so; input/output names and metadata; run(feeds, fetches?, options?) returning
// only the outputs asked for; release().
// Requires: kestrel's public API (runtime-vm's load; api.ts's compile, imported only when an ONNX
// model must be compiled, so running a .so never loads the compiler).
// Guarantees: every failure is a KestrelError with a code (arguments: KR0101 / KR0401; the rest
// from the compiler and runtime). All outputs are computed whatever `fetches` says; only the
// fetched ones are converted and returned.
import { readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { Codes } from '../compiler/diagnostics.js';
import { KestrelError, load, RuntimeCodes, type IoInfo, type RunValue, type Session as KSession }
  from '../runtime-vm/index.js';
import type { Tensor as KTensor } from '../runtime-vm/index.js';
import { KESTREL_VERSION } from '../runtime-vm/version.js';
import { cacheKey, loadCached, stageModelBytes, type CacheOutcome } from './cache.js';
import { checkRunOptions, mapSessionOptions, warnIgnored, type Mapped } from './options.js';
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

type Opened = { s: KSession; cache: CacheOutcome | 'uncached'; artifact: string };

async function openSource(src: Source, m: Mapped): Promise<Opened> {
  const loadOpts = { threads: m.threads };
  // A .so that is not ELF goes to the loader too, which says what is wrong with it (KR0001).
  if (isElf(src.bytes) || src.path?.endsWith('.so')) {
    if (src.path !== undefined) {
      return { s: await load(src.path, loadOpts), cache: 'uncached', artifact: src.path };
    }
    const key = cacheKey(src.bytes, undefined, 'artifact', { fixedDims: {}, threads: 0 });
    const r = await loadCached(key, async (out) => { writeArtifact(out, src.bytes); }, loadOpts);
    return { s: r.session, cache: r.outcome, artifact: r.artifact };
  }
  const key = cacheKey(src.bytes, src.path, KESTREL_VERSION, m);
  const build = async (output: string): Promise<void> => {
    const api = await import('../api.js');
    const model = src.path ?? stageModelBytes(key, src.bytes);
    try {
      await api.compile(model, { output, fixedDims: m.fixedDims, threads: m.threads || undefined });
    } finally {
      if (model !== src.path) rmSync(model, { force: true });
    }
  };
  const r = await loadCached(key, build, loadOpts);
  return { s: r.session, cache: r.outcome, artifact: r.artifact };
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

export class InferenceSession {
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly inputMetadata: readonly ValueMetadata[];
  readonly outputMetadata: readonly ValueMetadata[];
  /** kestrel's addition: the artifact run and whether it came from the cache. */
  readonly kestrel: { readonly artifact: string; readonly cache: CacheOutcome | 'uncached' };
  readonly #session: KSession;
  readonly #warn: boolean;

  private constructor(s: KSession, kestrel: InferenceSession['kestrel'], warn: boolean) {
    this.#session = s;
    this.#warn = warn;
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
    const mapped = mapSessionOptions(optionsOf(arg0, arg1, arg2, arg3));
    const { s, cache, artifact } = await openSource(sourceOf(arg0, arg1, arg2), mapped);
    return new InferenceSession(s, { artifact, cache }, mapped.warn);
  }

  run(feeds: FeedsType, options?: RunOptions): Promise<ReturnType>;
  run(feeds: FeedsType, fetches: FetchesType, options?: RunOptions): Promise<ReturnType>;
  async run(feeds: FeedsType, arg1?: FetchesType | RunOptions, arg2?: RunOptions): Promise<ReturnType> {
    const p = prepareRun(feeds, arg1, arg2, this.inputNames, this.outputNames);
    checkRunOptions(p.options, this.#warn);
    const out = await runWithTerminate(this.#session, p);
    const result: Record<string, OnnxValue> = {};
    for (const [name, into] of fetchList(p, this.outputNames)) result[name] = toOrt(name, out[name], into);
    return result;
  }

  async release(): Promise<void> {
    this.#session.dispose();
  }

  /** kestrel has no profiler yet: warns once (as enableProfiling does). */
  startProfiling(): void {
    warnIgnored(['startProfiling'], 'session', this.#warn);
  }

  endProfiling(): void {
    warnIgnored(['endProfiling'], 'session', this.#warn);
  }
}

const cancelled = (): KestrelError =>
  new KestrelError(RuntimeCodes.CANCELLED, 'terminated (RunOptions.terminate)');

/** Runs with the RunOptions' signal, and stops when `terminate` is (or becomes) true. */
async function runWithTerminate(s: KSession, p: Prepared): Promise<Record<string, RunValue>> {
  const o = p.options;
  if (o?.terminate === true) throw cancelled();
  if (!o) return s.run(p.feeds);
  const ctl = new AbortController();
  const forward = (): void => ctl.abort();
  o.signal?.addEventListener('abort', forward, { once: true });
  if (o.signal?.aborted) ctl.abort();
  const poll = setInterval(() => { if (o.terminate === true) ctl.abort(); }, 5);
  poll.unref();
  try {
    return await s.run(p.feeds, { signal: ctl.signal });
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
