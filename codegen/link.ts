// Links object files into the artifact .so with the system C compiler driver (`cc`, or
// `aarch64-linux-gnu-gcc` for an AArch64 target on another host), run without a shell, then seals
// it (codegen/seal.ts) and writes it in place.
// Requires: a working linker on PATH. Guarantees:
// - the output path must be missing or a regular file: a device (/dev/null, /dev/full), directory,
//   FIFO or symbolic link is never replaced (KC0902);
// - the linker works in a private folder under os.tmpdir(); the sealed artifact is written to a
//   temporary name beside the output (`.NAME.kestrel-tmp-PID-RANDOM`), made durable and renamed,
//   so the output path only ever holds a complete artifact;
// - the temporary file is written with an all-zero digest slot, which is filled just before the
//   rename: a file left behind by a compile killed with SIGKILL (which no handler can see) is not
//   loadable (the loader reports a digest mismatch, KR0001) unless the kill fell between that last
//   32-byte write and the rename, a window of microseconds;
// - on an error, and on SIGINT, SIGTERM or SIGHUP during the link, the linker's process group is
//   killed and the temporary file and folder are removed; a signal is then re-raised (when no other
//   listener handles it) so the process still ends as the signal says;
// - write and link failures (disk full, permission denied, a parent that is not a directory) throw
//   KestrelError KC0902 (Codes.ARTIFACT_WRITE) naming the path and the reason.

import { type ChildProcess, spawn } from 'node:child_process';
import { type KeyObject, randomBytes } from 'node:crypto';
import {
  closeSync, fsyncSync, lstatSync, mkdtempSync, openSync, readFileSync, renameSync, rmSync, writeFileSync,
  writeSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { Codes, diagnostic, isKestrelError } from '../compiler/diagnostics.js';
import { DIGEST_BYTES, digestFor, signatureBlock, trailerHeader } from './seal.js';
import { kernelSanitizer } from './llvm/backend.js';
import type { TargetDesc } from './target.js';

export const LINK_ERROR = Codes.ARTIFACT_WRITE;
const SIGNALS: readonly NodeJS.Signals[] = ['SIGINT', 'SIGTERM', 'SIGHUP'];

export interface LinkOptions {
  readonly objects: readonly Uint8Array[];
  readonly output: string;
  readonly target: TargetDesc;
  /** An Ed25519 private key: the artifact then carries a signature block (codegen/seal.ts). */
  readonly signingKey?: KeyObject;
}

/** The linker driver for `target` on this host. */
export function linkerFor(target: TargetDesc): string {
  const hostArch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  if (target.arch === hostArch) return process.env.KESTREL_CC ?? 'cc';
  return target.arch === 'aarch64' ? 'aarch64-linux-gnu-gcc' : 'x86_64-linux-gnu-gcc';
}

/** The Debian package that provides each cross linker, named when the linker is missing. */
const LINKER_PACKAGES: Readonly<Record<string, string>> = {
  'aarch64-linux-gnu-gcc': 'gcc-aarch64-linux-gnu', 'x86_64-linux-gnu-gcc': 'gcc-x86-64-linux-gnu',
};

/** Why `cmd` could not be started, with the package to install when it is a known cross linker. */
export function linkerStartError(cmd: string, code: string | undefined): string {
  const pkg = LINKER_PACKAGES[cmd];
  const hint = code === 'ENOENT' && pkg ? `; it is not installed: install the Debian package ${pkg} ` +
    `(apt-get install ${pkg})` : '';
  return `cannot run the linker '${cmd}' (${code ?? 'unknown error'})${hint}`;
}

const REASONS: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device', EDQUOT: 'disk quota exceeded', EACCES: 'permission denied',
  EPERM: 'operation not permitted', EROFS: 'read-only file system', EISDIR: 'it is a directory',
  ENOTDIR: 'a parent of the path is not a directory', ENOENT: 'its directory does not exist',
  EIO: 'input/output error', ENAMETOOLONG: 'the name is too long',
};

function writeError(output: string, cause: unknown, what = 'cannot write'): Error {
  const e = cause as NodeJS.ErrnoException & { stderr?: string };
  const reason = (e?.code && REASONS[e.code]) ?? (e?.stderr?.trim() || e?.message || String(cause));
  const errno = e?.code ? ` (${e.code})` : '';
  return diagnostic(LINK_ERROR, `${what} ${output}: ${reason.slice(0, 4000)}${errno}`,
    { output, errno: e?.code });
}

/** Refuses an output path that exists and is not a regular file (KC0902). */
export function checkOutputPath(output: string): void {
  let st;
  try {
    st = lstatSync(output);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw writeError(output, e);
  }
  if (st.isFile()) return;
  const kind = st.isDirectory() ? 'a directory' : st.isSymbolicLink() ? 'a symbolic link'
    : st.isCharacterDevice() || st.isBlockDevice() ? 'a device'
    : st.isFIFO() ? 'a FIFO' : 'not a regular file';
  throw diagnostic(LINK_ERROR, `refusing to write the artifact to ${output}: it is ${kind}; ` +
    'give a path to a regular file or a new name', { output, kind });
}

/** Runs the linker in its own process group; resolves when it exits 0. */
function runLinker(cmd: string, args: readonly string[], onChild: (c: ChildProcess) => void): Promise<void> {
  return new Promise((done, fail) => {
    const child = spawn(cmd, args, { detached: true, stdio: ['ignore', 'ignore', 'pipe'] });
    onChild(child);
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => { if (stderr.length < 16384) stderr += d.toString(); });
    child.on('error', (e: NodeJS.ErrnoException) => {
      // Not an error about the output path: the linker itself could not be started.
      fail(Object.assign(new Error(e.message), { stderr: linkerStartError(cmd, e.code ?? e.message) }));
    });
    child.on('close', (code, signal) => {
      if (code === 0) done();
      else fail(Object.assign(new Error(`${cmd} exited with ${signal ?? code}`), { stderr }));
    });
  });
}

function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.byteLength;) done += writeSync(fd, bytes, done, bytes.byteLength - done);
}

function fsyncDir(dir: string): void {
  try {
    const fd = openSync(dir, 'r');
    try { fsyncSync(fd); } finally { closeSync(fd); }
  } catch { /* some file systems cannot sync a directory; the rename itself has happened */ }
}

/** Writes the sealed artifact to `tmp` (digest last), renames it to `output`, makes both durable. */
function writeSealed(body: Uint8Array, tmp: string, output: string): void {
  const header = trailerHeader(body.byteLength);
  const fd = openSync(tmp, 'wx', 0o644);
  try {
    writeAll(fd, body);
    writeAll(fd, header);
    writeAll(fd, new Uint8Array(DIGEST_BYTES)); // not loadable until the digest is written below
    fsyncSync(fd);
    const digest = digestFor(body, header);
    if (writeSync(fd, digest, 0, DIGEST_BYTES, body.byteLength + header.byteLength) !== DIGEST_BYTES) {
      throw Object.assign(new Error('short write'), { code: 'EIO' });
    }
    renameSync(tmp, output);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  fsyncDir(dirname(output));
}

/** What a link leaves behind until it finishes, and how to remove it (also from a signal handler). */
class Leftovers {
  work?: string;
  tmp?: string;
  child?: ChildProcess;

  async removeAll(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null && child.signalCode === null && child.pid) {
      const exited = new Promise((r) => { child.once('close', r); setTimeout(r, 2000).unref(); });
      try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
      await exited; // so no linker process writes into the folder after it is removed
    }
    this.removeFiles();
  }

  removeFiles(): void {
    if (this.tmp) rmSync(this.tmp, { force: true });
    if (this.work) rmSync(this.work, { recursive: true, force: true });
    this.tmp = this.work = undefined;
  }
}

/** Cleans up and re-raises on termination signals while the link runs; returns the uninstaller. */
function onSignals(left: Leftovers): () => void {
  const handler = (sig: NodeJS.Signals): void => {
    uninstall();
    void left.removeAll().finally(() => {
      if (process.listenerCount(sig) === 0) process.kill(process.pid, sig);
    });
  };
  const uninstall = (): void => { for (const s of SIGNALS) process.removeListener(s, handler); };
  for (const s of SIGNALS) process.on(s, handler);
  return uninstall;
}

export async function linkSharedObject(opts: LinkOptions): Promise<void> {
  const output = resolve(opts.output);
  checkOutputPath(output);
  const left = new Leftovers();
  const uninstall = onSignals(left);
  try {
    left.work = mkdtempSync(join(tmpdir(), 'kestrel-link-'));
    const files = opts.objects.map((obj, i) => {
      const f = join(left.work!, `part${i}.o`);
      writeFileSync(f, obj);
      return f;
    });
    const linked = join(left.work, 'linked.so');
    // -nostartfiles: no crt init/fini code, so nothing in an artifact runs when it is mapped (the
    // loader refuses initialisers, native/src/runtime/elf_dynamic.cc).
    // Kernels instrumented with AddressSanitizer leave the ASan runtime's entry points for ld.so
    // to bind to the sanitised process that loads them (codegen/llvm/backend.ts kernelSanitizer).
    const undefinedOk = kernelSanitizer() === 'address';
    const args = ['-shared', '-nostartfiles', '-o', linked, ...files, '-lm',
      ...(undefinedOk ? [] : ['-Wl,--no-undefined']), '-Wl,-z,noexecstack'];
    await runLinker(linkerFor(opts.target), args, (c) => { left.child = c; }).catch((e: unknown) => {
      throw writeError(output, e, 'linking failed for');
    });
    left.child = undefined;
    const elf = readFileSync(linked);
    const body = opts.signingKey ? Buffer.concat([elf, signatureBlock(elf, opts.signingKey)]) : elf;
    checkOutputPath(output); // again: the path may have changed while the linker ran
    const unique = `${process.pid}-${randomBytes(4).toString('hex')}`;
    left.tmp = join(dirname(output), `.${basename(output)}.kestrel-tmp-${unique}`);
    writeSealed(body, left.tmp, output);
    left.tmp = undefined;
  } catch (e) {
    await left.removeAll();
    throw isKestrelError(e) ? e : writeError(output, e);
  } finally {
    left.removeFiles();
    uninstall();
  }
}
