// Session: a loaded artifact and the way to run it, on top of the native addon
// (kestrel_runtime.node, found by addon-path.ts; see native/src/addon/addon_runtime.cc).
//
// Requires the addon, prebuilt or built (`npm run build:native`); load() says so clearly when not.
// Guarantees: run() checks input names here (KR0101, listing the expected names) and the native
// side checks dtypes (KR0102), ranks and static dims (KR0103), symbols consistent across inputs
// (KR0104) and data sizes (KR0105), naming the input and symbol; every failure is a KestrelError.
// Runs execute off the JS thread. dispose() is idempotent; run() after it rejects with KR0301;
// dispose() during a run cancels it (it rejects with KR0301) and frees native memory only after
// it stops. process.exit() and worker.terminate() cancel the runs in flight and do not wait.
// Loops: every run counts its loop iterations (backward jumps of the VM) and fails with KR0302 past
// maxIterations (LoadOptions, or RunOptions per run, which replaces it; default 1e7). run() with
// an AbortSignal: already aborted -> rejects at once with KR0302 (nothing is started); aborted
// during the run -> the native run is cancelled (seen at the next loop iteration or kernel call)
// and the promise rejects with KR0302, also when the run happened to finish first. The session
// stays usable; other runs are not affected.
// Profiling: run(feeds, { profile: true }) resolves to { outputs, events } (profile.ts); runs
// without it are not timed. Native error messages that start with an ONNX node or tensor (worded
// from the artifact's debug table) put it into KestrelError.details as well.
import { createPublicKey, type KeyObject } from 'node:crypto';
import { createRequire } from 'node:module';
import { resolve } from 'node:path';
import { findRuntimeAddon, missingAddonMessage } from './addon-path.js';
import { runtimeDType, runtimeDTypeFromCode, type TensorType } from './dtypes.js';
import { KestrelError, RuntimeCodes } from './errors.js';
import type { ProfiledRun, ProfileEvent } from './profile.js';
import { Tensor } from './tensor.js';

export interface IoInfo {
  readonly name: string;
  readonly dtype: TensorType;
  /**
   * Static dims as numbers, symbolic dims as their expression ("batch", "seq*4"); for sequences
   * and optionals, the elements' dims (informational).
   */
  readonly shape: readonly (number | string)[];
  /**
   * 'tensor'; 'sequence' (fed and returned as Tensor[]); 'optional' (a Tensor, or a Tensor[] when
   * `optionalOf` is 'sequence', or null when absent).
   */
  readonly kind: IoKind;
  readonly optionalOf?: 'tensor' | 'sequence';
}

export type IoKind = 'tensor' | 'sequence' | 'optional';
/** What run() takes and returns per input/output: see IoInfo.kind. */
export type RunValue = Tensor | Tensor[] | null;

export interface LoadOptions {
  /** Threads for parallel kernels, the caller included; 0 or absent = all cores, 1 = no workers. */
  threads?: number;
  /**
   * Most bytes of tensor storage a run may hold at once (default: half of the machine's physical
   * memory, or of the cgroup memory limit when smaller).
   */
  memoryLimitBytes?: number;
  /** Most VM instructions per run (KR0302 beyond it); absent = unlimited. */
  maxSteps?: number;
  /**
   * Most loop iterations (backward jumps of the VM: Loop/Scan trips, summed over all loops) per
   * run; KR0302 "loop iteration limit N exceeded" beyond it. Absent or 0 = 1e7; Infinity = none.
   */
  maxIterations?: number;
  /**
   * Ed25519 public keys (KeyObjects, PEM text, or 32 raw bytes): when given, the artifact must be
   * signed by one of them (`compile(..., { signingKey })`), checked before it is mapped (KR0007).
   */
  trustedKeys?: readonly (KeyObject | string | Uint8Array)[];
  /**
   * Where kernels run: 'cpu' (the default) or 'cuda' / 'cuda:N' for artifacts compiled with
   * `target: 'nvptx'` (docs/gpu.md). Loading fails with KR0501 where there is no CUDA driver or
   * device, and with KR0008 when artifact and device disagree.
   */
  device?: string;
}

export interface RunOptions {
  /** Cancels the run: the promise rejects with KR0302 and the session stays usable. */
  signal?: AbortSignal;
  /** Replaces LoadOptions.maxIterations for this run (absent or 0 = the session's). */
  maxIterations?: number;
  /**
   * Times every kernel call and VM builtin of this run: run() then resolves to
   * `{ outputs, events }` (see profile.ts). Runs without it are not timed at all.
   */
  profile?: boolean;
}

interface NativeIo {
  name: string; dtype: number; shape: (number | string)[]; kind?: IoKind; optionalOf?: 'tensor' | 'sequence';
}
/** Tensors as the addon takes and gives them: string tensors' data is an array of strings. */
interface NativeIn { dtype: number; dims: readonly number[]; data: ArrayBufferView | readonly string[] }
interface NativeOut { dtype: number; dims: number[]; data: ArrayBuffer | string[] }
type NativeOuts = (NativeOut | NativeOut[] | null)[] & { profile?: string };
interface NativeSession {
  info(): { inputs: NativeIo[]; outputs: NativeIo[] };
  run(inputs: (NativeIn | NativeIn[] | null)[], maxIterations?: number, profile?: boolean):
    Promise<NativeOuts> & { id: number };
  /** Cancels the run whose promise carries `id` if it is still in flight; otherwise nothing. */
  cancel(id: number): void;
  dispose(): void;
}
interface Addon {
  inspect(path: string): { manifest: string; check: { code: string; message: string } | null };
  NativeSession: new (path: string, threads: number, mem: number, steps: number, iterations: number,
    trustedKeys?: Uint8Array, device?: string) => NativeSession;
}

let addon: Addon | undefined;

function loadAddon(): Addon {
  if (addon) return addon;
  const path = findRuntimeAddon();
  if (!path) throw new KestrelError(RuntimeCodes.ARTIFACT_INVALID, missingAddonMessage());
  addon = createRequire(import.meta.url)(path) as Addon;
  return addon;
}

function toKestrel(e: unknown): unknown {
  if (e instanceof KestrelError || !(e instanceof Error)) return e;
  const code = (e as Error & { code?: unknown }).code;
  if (typeof code !== 'string' || !/^K[RC]\d{4}$/.test(code)) return e;
  return new KestrelError(code, e.message, where(e.message));
}

/**
 * The ONNX node or tensor a native message starts with (the runtime words them from the
 * artifact's debug table): `node 'n' (Op)` / `nodes 'n' (Op), ...` -> { node, opType } of the first,
 * `tensor 't'` -> { tensor }.
 */
function where(message: string): Record<string, string> {
  const n = /^nodes? '((?:[^']|'(?! \())*)' \(([^)]*)\)/.exec(message);
  if (n) return { node: n[1], opType: n[2] };
  const t = /^tensor '((?:[^']|'(?! ))*)'/.exec(message);
  return t ? { tensor: t[1] } : {};
}

function cancelled(): KestrelError {
  return new KestrelError(RuntimeCodes.CANCELLED, 'cancelled (the AbortSignal was aborted)');
}

function checkLimit(v: number | undefined, what: string): void {
  if (v !== undefined && (typeof v !== 'number' || Number.isNaN(v) || v < 0)) {
    throw new KestrelError(RuntimeCodes.CANCELLED, `${what} must be a non-negative number, got ${String(v)}`);
  }
}

function ioInfo(n: NativeIo): IoInfo {
  const dtype = runtimeDTypeFromCode(n.dtype)?.name;
  if (!dtype) throw new KestrelError(RuntimeCodes.MANIFEST_INVALID, `unknown dtype code ${n.dtype}`);
  const kind = n.kind ?? 'tensor';
  return Object.freeze({ name: n.name, dtype, shape: Object.freeze([...n.shape]), kind,
    ...(kind === 'optional' ? { optionalOf: n.optionalOf ?? 'tensor' } : {}) });
}

function outputValue(info: IoInfo, o: NativeOut | NativeOut[] | null): RunValue {
  if (o === null) return null;
  return Array.isArray(o) ? o.map((t) => outputTensor(info, t)) : outputTensor(info, o);
}

const nativeIn = (t: Tensor): NativeIn => ({ dtype: runtimeDType(t.type)!.code, dims: t.dims, data: t.data });

function outputTensor(info: IoInfo, o: NativeOut): Tensor {
  const dt = runtimeDTypeFromCode(o.dtype);
  if (!dt) throw new KestrelError(RuntimeCodes.MANIFEST_INVALID, `output '${info.name}': dtype ${o.dtype}`);
  const data = dt.array ? new dt.array(o.data as ArrayBuffer) : o.data as string[];
  return new Tensor(dt.name, data, o.dims);
}

export class Session {
  readonly inputs: readonly IoInfo[];
  readonly outputs: readonly IoInfo[];
  private native: NativeSession | undefined;

  /** Use load(). */
  constructor(native: NativeSession) {
    this.native = native;
    const info = native.info();
    this.inputs = Object.freeze(info.inputs.map(ioInfo));
    this.outputs = Object.freeze(info.outputs.map(ioInfo));
  }

  get disposed(): boolean {
    return this.native === undefined;
  }

  /**
   * Runs the model. Tensor inputs take a Tensor, sequence inputs a Tensor[], optional inputs either
   * (or null when absent); outputs come back the same way (see IoInfo.kind). The result type says
   * Tensor for the common case: a caller of a model with sequence outputs reads them as Tensor[].
   */
  run(feeds: Record<string, RunValue>, options: RunOptions & { profile: true }):
    Promise<ProfiledRun<Record<string, Tensor>>>;
  run(feeds: Record<string, RunValue>, options?: RunOptions): Promise<Record<string, Tensor>>;
  async run(feeds: Record<string, RunValue>, options: RunOptions = {}):
    Promise<Record<string, Tensor> | ProfiledRun<Record<string, Tensor>>> {
    const native = this.native;
    if (!native) throw new KestrelError(RuntimeCodes.DISPOSED, 'run() on a disposed session');
    const { signal, maxIterations, profile } = options ?? {};
    checkLimit(maxIterations, 'maxIterations');
    if (signal?.aborted) throw cancelled();
    const ordered = this.order(feeds);
    let outs: NativeOuts;
    let pending: ReturnType<NativeSession['run']>;
    try {
      pending =
        native.run(ordered.map((v) => (v === null ? null : Array.isArray(v) ? v.map(nativeIn) : nativeIn(v))),
        maxIterations ?? 0, profile === true);
    } catch (e) {
      throw toKestrel(e);
    }
    const onAbort = (): void => native.cancel(pending.id);
    signal?.addEventListener('abort', onAbort, { once: true });
    try {
      outs = await pending;
    } catch (e) {
      throw toKestrel(e);
    } finally {
      signal?.removeEventListener('abort', onAbort);
    }
    if (signal?.aborted) throw cancelled();
    const result: Record<string, RunValue> = {};
    this.outputs.forEach((info, i) => { result[info.name] = outputValue(info, outs[i]); });
    const outputs = result as Record<string, Tensor>;
    if (profile !== true) return outputs;
    return { outputs, events: JSON.parse(outs.profile ?? '[]') as ProfileEvent[] };
  }

  /** Frees the native session; idempotent. Runs in flight are cancelled (KR0301) and stop first. */
  dispose(): void {
    this.native?.dispose();
    this.native = undefined;
  }

  // Feeds in manifest order, or KR0101 naming the missing/unknown names and what was expected.
  private order(feeds: Record<string, RunValue>): RunValue[] {
    if (typeof feeds !== 'object' || feeds === null) {
      throw new KestrelError(RuntimeCodes.INPUT_NAMES, 'run() expects a record of named tensors');
    }
    const expected = this.inputs.map((i) => i.name);
    const given = Object.keys(feeds);
    const unknown = given.filter((n) => !expected.includes(n));
    const missing = expected.filter((n) => !given.includes(n));
    if (unknown.length || missing.length) {
      const parts = [unknown.length ? `unknown input(s) ${unknown.map((n) => `'${n}'`).join(', ')}` : '',
        missing.length ? `missing input(s) ${missing.map((n) => `'${n}'`).join(', ')}` : ''];
      throw new KestrelError(RuntimeCodes.INPUT_NAMES, `${parts.filter(Boolean).join('; ')}; expected ` +
        `inputs: ${this.describeInputs()}`, { unknown, missing, expected });
    }
    return this.inputs.map((info) => checkFeed(info, feeds[info.name]));
  }

  private describeInputs(): string {
    return this.inputs.map((i) => `${i.name}: ${i.dtype}[${i.shape.join(', ')}]`).join(', ');
  }
}

/** A feed of the kind the input takes (KR0105 otherwise). */
function checkFeed(info: IoInfo, v: RunValue | undefined): RunValue {
  const name = info.name;
  const seq = info.kind === 'sequence' || (info.kind === 'optional' && info.optionalOf === 'sequence');
  if (info.kind === 'optional' && (v === null || v === undefined)) return null;
  const ok = seq ? Array.isArray(v) && v.every((t) => t instanceof Tensor) : v instanceof Tensor;
  if (!ok) {
    throw new KestrelError(RuntimeCodes.INPUT_DATA,
      `input '${name}' is not ${seq ? 'an array of Tensors (a sequence)' : 'a Tensor'}`, { input: name });
  }
  return v!;
}

export interface ArtifactInfo {
  /** The artifact's manifest (its JSON, parsed): inputs, outputs, target, versions, hashes. */
  readonly manifest: Readonly<Record<string, unknown>>;
  /** Why load() would refuse the artifact on this host (version, architecture, CPU), or null. */
  readonly loadError: KestrelError | null;
}

/**
 * Reads an artifact's manifest without mapping or running anything in it, after checking its
 * digest and ELF headers (a corrupt file throws KR0001/KR0002, as load() would).
 */
export function inspectArtifact(path: string): ArtifactInfo {
  const { inspect } = loadAddon();
  let r: ReturnType<Addon['inspect']>;
  try {
    r = inspect(resolve(path));
  } catch (e) {
    throw toKestrel(e);
  }
  return Object.freeze({
    manifest: Object.freeze(JSON.parse(r.manifest) as Record<string, unknown>),
    loadError: r.check ? new KestrelError(r.check.code, r.check.message) : null,
  });
}

/** The trusted keys as concatenated raw 32-byte Ed25519 public keys (KR0007 for anything else). */
function rawKeys(keys: LoadOptions['trustedKeys']): Uint8Array | undefined {
  if (!keys?.length) return undefined;
  return Buffer.concat(keys.map((k) => {
    if (k instanceof Uint8Array && k.byteLength === 32) return k;
    try {
      const key = k as KeyObject | string;
      const pub = typeof key !== 'string' && key.type === 'public' ? key : createPublicKey(key);
      const jwk = pub.export({ format: 'jwk' }) as { crv?: string; x?: string };
      if (jwk.crv === 'Ed25519' && jwk.x) return Buffer.from(jwk.x, 'base64url');
    } catch { /* reported below */ }
    throw new KestrelError(RuntimeCodes.SIGNATURE, 'trusted keys must be Ed25519 public keys (KeyObject, PEM '
      + 'or 32 raw bytes)');
  }));
}

/**
 * Loads a compiled artifact (.so). An artifact is native code; before any of it is mapped the
 * runtime checks its digest, manifest, version, architecture and CPU features (kestrel_runtime.h),
 * and with `trustedKeys` its signature.
 */
export async function load(path: string, options: LoadOptions = {}): Promise<Session> {
  const { NativeSession } = loadAddon();
  checkLimit(options.maxIterations, 'maxIterations');
  try {
    const keys = rawKeys(options.trustedKeys);
    return new Session(new NativeSession(resolve(path), options.threads ?? 0, options.memoryLimitBytes ?? 0,
      options.maxSteps ?? 0, options.maxIterations ?? 0, keys, options.device));
  } catch (e) {
    throw toKestrel(e);
  }
}
