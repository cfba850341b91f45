// Links object files into the artifact .so with the system C compiler driver (`cc`, or
// `aarch64-linux-gnu-gcc` for an AArch64 target on another host), run with execFile (no shell).
// Requires: a working linker on PATH. Guarantees: the output appears atomically (linked to a
// temporary name in the output's directory, then renamed), so no half-written .so is ever
// visible; temporary files are removed on success and failure; failures (linker errors, disk
// full, permissions) throw KestrelError 'KC0902' with the linker's message.

import { execFile } from 'node:child_process';
import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { KestrelError } from '../runtime-vm/errors.js';
import type { TargetDesc } from './target.js';

const run = promisify(execFile);

export const LINK_ERROR = 'KC0902';

export interface LinkOptions {
  readonly objects: readonly Uint8Array[];
  readonly output: string;
  readonly target: TargetDesc;
}

/** The linker driver for `target` on this host. */
export function linkerFor(target: TargetDesc): string {
  const hostArch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
  if (target.arch === hostArch) return process.env.KESTREL_CC ?? 'cc';
  return target.arch === 'aarch64' ? 'aarch64-linux-gnu-gcc' : 'x86_64-linux-gnu-gcc';
}

function linkError(message: string, cause: unknown, output: string): KestrelError {
  const e = cause as NodeJS.ErrnoException & { stderr?: string };
  const detail = (e?.stderr?.trim() || e?.message || String(cause)).slice(0, 4000);
  return new KestrelError(LINK_ERROR, `${message}: ${detail}`, { output, errno: e?.code });
}

export async function linkSharedObject(opts: LinkOptions): Promise<void> {
  const output = resolve(opts.output);
  const tmpOut = join(dirname(output), `.${basename(output)}.${process.pid}.${Date.now()}.tmp`);
  let work: string | undefined;
  try {
    work = await mkdtemp(join(tmpdir(), 'kestrel-link-'));
    const files: string[] = [];
    for (const [i, obj] of opts.objects.entries()) {
      const f = join(work, `part${i}.o`);
      await writeFile(f, obj);
      files.push(f);
    }
    const args = ['-shared', '-o', tmpOut, ...files, '-lm', '-Wl,--no-undefined', '-Wl,-z,noexecstack'];
    await run(linkerFor(opts.target), args, { maxBuffer: 16 << 20 }).catch((e: unknown) => {
      throw linkError(`linking ${output} failed`, e, output);
    });
    await rename(tmpOut, output).catch((e: unknown) => {
      throw linkError(`cannot write ${output}`, e, output);
    });
  } catch (e) {
    await rm(tmpOut, { force: true }).catch(() => undefined);
    if (e instanceof KestrelError) throw e;
    throw linkError(`cannot link ${output}`, e, output);
  } finally {
    if (work) await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}
