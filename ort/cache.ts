// The compile cache of kestrel/ort: an ONNX model is compiled on first use and its artifact kept
// under $KESTREL_CACHE_DIR, else $XDG_CACHE_HOME/kestrel, else ~/.cache/kestrel, keyed by the
// model's bytes (and the size and time of files beside it that the model names: external data),
// the kestrel version and bytecode format, the host CPU (model and feature flags), the target (host
// CPU or nvptx for the cuda provider) and the options that change the code (fixed dims, threads).
// Guarantees: an entry is `<key>.so` plus `<key>.json` holding the .so's size; both are written
// under temporary names and renamed, the record last, so a reader sees whole entries only. An
// entry whose record is missing or unreadable, whose .so has another size, or that fails to load
// with an artifact error (KR0001..KR0005: load() checks the artifact's own SHA-256 digest over
// every byte, so the cache does not hash it again) is rebuilt, never trusted. Concurrent creates of
// one model in a process compile it once; across processes the last rename wins (entries are whole).
import { createHash, randomBytes } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { arch, cpus, homedir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import {
  FORMAT_VERSION, KestrelError, load, RuntimeCodes, type LoadOptions, type Session,
} from '../runtime-vm/index.js';

export interface CacheKeyParts {
  readonly fixedDims: Readonly<Record<string, number>>;
  readonly threads: number;
  /** 'host', 'nvptx' (the cuda execution provider), or 'artifact' for a .so given as bytes. */
  readonly target: string;
}

/** What happened on the last lookup of a key: tests and `KESTREL_ORT_DEBUG` read it. */
export type CacheOutcome = 'hit' | 'miss' | 'rebuilt';

export function cacheDir(): string {
  const env = process.env;
  if (env.KESTREL_CACHE_DIR) return resolve(env.KESTREL_CACHE_DIR);
  if (env.XDG_CACHE_HOME) return join(resolve(env.XDG_CACHE_HOME), 'kestrel');
  return join(homedir(), '.cache', 'kestrel');
}

const sha256 = (b: Uint8Array | string): string => createHash('sha256').update(b).digest('hex');

let cpuStamp: string | undefined;

/** The host CPU as code generation sees it: model name and feature flags. */
function hostCpu(): string {
  if (cpuStamp !== undefined) return cpuStamp;
  let flags = '';
  try {
    const info = readFileSync('/proc/cpuinfo', 'utf8');
    flags = /^(flags|Features)\s*:(.*)$/m.exec(info)?.[2]?.trim() ?? '';
  } catch { /* not Linux: the model name alone */ }
  cpuStamp = `${arch()} ${cpus()[0]?.model ?? ''} ${sha256(flags)}`;
  return cpuStamp;
}

/** Size and time of the files beside the model whose names the model mentions (external data). */
function neighbours(modelPath: string, bytes: Uint8Array): string[] {
  const dir = dirname(resolve(modelPath));
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name === basename(modelPath)) continue;
    const st = statSync(join(dir, name), { throwIfNoEntry: false });
    if (st?.isFile() && buf.includes(name)) out.push(`${name}:${st.size}:${st.mtimeMs}`);
  }
  return out;
}

export function cacheKey(bytes: Uint8Array, modelPath: string | undefined, version: string,
  parts: CacheKeyParts): string {
  const fixed = Object.entries(parts.fixedDims).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  return sha256(JSON.stringify({
    model: sha256(bytes), external: modelPath ? neighbours(modelPath, bytes) : [],
    kestrel: version, format: FORMAT_VERSION, cpu: hostCpu(), fixed, threads: parts.threads,
    target: parts.target,
  })).slice(0, 40);
}

interface EntryRecord { readonly size: number }

function entryValid(so: string, json: string): boolean {
  try {
    const rec = JSON.parse(readFileSync(json, 'utf8')) as EntryRecord;
    return statSync(so).size === rec.size;
  } catch {
    return false;
  }
}

const tmpName = (path: string): string => `${path}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`;

function writeAtomic(path: string, data: string | Uint8Array): void {
  const tmp = tmpName(path);
  writeFileSync(tmp, data);
  renameSync(tmp, path);
}

const C = RuntimeCodes;
const ARTIFACT_ERRORS = new Set<string>(
  [C.ARTIFACT_INVALID, C.MANIFEST_INVALID, C.ARTIFACT_ARCH, C.ARTIFACT_VERSION, C.BYTECODE_INVALID]);

export interface CachedLoad {
  readonly session: Session;
  readonly outcome: CacheOutcome;
  readonly artifact: string;
}

/**
 * Loads the cached artifact of `key`, or builds it with `build(output)` (which must write the .so
 * atomically, as kestrel's compile does) and records it.
 */
export async function loadCached(key: string, build: (output: string) => Promise<void>,
  options: LoadOptions): Promise<CachedLoad> {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const so = join(dir, `${key}.so`), json = join(dir, `${key}.json`);
  const present = statSync(json, { throwIfNoEntry: false }) !== undefined;
  if (present && entryValid(so, json)) {
    try {
      return { session: await load(so, options), outcome: 'hit', artifact: so };
    } catch (e) {
      if (!(e instanceof KestrelError) || !ARTIFACT_ERRORS.has(e.code)) throw e;
    }
  }
  await buildOnce(so, json, build);
  return { session: await load(so, options), outcome: present ? 'rebuilt' : 'miss', artifact: so };
}

// Concurrent creates of one model in this process share one compile.
const building = new Map<string, Promise<void>>();

function buildOnce(so: string, json: string, build: (output: string) => Promise<void>): Promise<void> {
  let pending = building.get(so);
  if (!pending) {
    pending = (async () => {
      rmSync(json, { force: true });
      await build(so);
      writeAtomic(json, JSON.stringify({ size: statSync(so).size }));
    })().finally(() => building.delete(so));
    building.set(so, pending);
  }
  return pending;
}

/** Writes model bytes to a private file in the cache directory for the compiler to read. */
export function stageModelBytes(key: string, bytes: Uint8Array): string {
  const dir = cacheDir();
  mkdirSync(dir, { recursive: true });
  const path = tmpName(join(dir, `${key}.onnx`));
  writeFileSync(path, bytes);
  return path;
}
