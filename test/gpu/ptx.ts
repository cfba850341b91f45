// Test helpers for GPU artifacts: each kernel's PTX, read from the artifact's .kestrel_ptx
// section at the offsets its manifest gives (independently of the native loader), and ptxas.

import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { section } from '../helpers/elf.js';

const run = promisify(execFile);

export interface KernelPtx {
  readonly name: string;
  readonly entries: readonly string[];
  readonly ptx: string;
}

interface GpuRecord {
  readonly arch: string;
  readonly block: number;
  readonly kernels: readonly { offset: number; size: number; entries: string[] }[];
}

/** The manifest of artifact bytes `f` (its .kestrel_manifest section). */
export function manifestOf(f: Buffer): { kernels: string[]; gpu?: GpuRecord; target: { arch: string } } {
  const m = section(f, '.kestrel_manifest');
  return JSON.parse(f.toString('utf8', m.offset, m.offset + m.size).replace(/\0+$/, ''));
}

/** Every kernel's PTX in the artifact at `so`, in kernel order. */
export function artifactPtx(so: string): KernelPtx[] {
  const f = readFileSync(so);
  const man = manifestOf(f);
  if (!man.gpu) throw new Error(`${so} is not a GPU artifact (its manifest has no gpu record)`);
  const blob = section(f, '.kestrel_ptx');
  return man.gpu.kernels.map((k, i) => {
    const text = f.toString('utf8', blob.offset + k.offset, blob.offset + k.offset + k.size);
    if (!text.endsWith('\0')) throw new Error(`PTX of kernel ${man.kernels[i]} is not NUL-terminated`);
    return { name: man.kernels[i], entries: k.entries, ptx: text.slice(0, -1) };
  });
}

/** The ptxas to use: $KESTREL_PTXAS, /usr/local/bin/ptxas, or `ptxas` on PATH. */
export function ptxasPath(): string {
  if (process.env.KESTREL_PTXAS) return process.env.KESTREL_PTXAS;
  return existsSync('/usr/local/bin/ptxas') ? '/usr/local/bin/ptxas' : 'ptxas';
}

/** ptxas's version line; throws (loudly, with how to fix it) when ptxas cannot run. */
export async function ptxasVersion(): Promise<string> {
  try {
    const { stdout } = await run(ptxasPath(), ['--version']);
    return stdout.trim().split('\n').pop() ?? '';
  } catch (e) {
    throw new Error(`ptxas cannot run (${(e as Error).message}): the GPU kernel check needs the CUDA `
      + 'toolkit\'s ptxas on PATH or in KESTREL_PTXAS', { cause: e });
  }
}

/** Assembles `file` for `arch`; resolves to '' or ptxas's diagnostics. */
export async function ptxas(file: string, arch: string, out: string): Promise<string> {
  try {
    await run(ptxasPath(), ['--gpu-name', arch, file, '-o', out]);
    return '';
  } catch (e) {
    const err = e as Error & { stderr?: string };
    return (err.stderr || err.message).trim();
  }
}

/** Runs `jobs` with at most `width` in flight; results in order. */
export async function pooled<T>(jobs: readonly (() => Promise<T>)[], width: number): Promise<T[]> {
  const out: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      out[i] = await jobs[i]();
    }
  };
  await Promise.all(Array.from({ length: Math.min(width, jobs.length) }, worker));
  return out;
}
