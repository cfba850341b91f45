// Test harness: compiles tensor-IR kernels to a .so (emitModule -> compileIR -> link) and runs
// them through driver.c (compiled once with cc), comparing against ir/tir-interp.ts.

import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { TypedArrayOf } from '../../ir/dtype.js';
import type { Kernel } from '../../ir/tir.js';
import { emitModule } from '../../codegen/llvm/emit.js';
import { compileIR } from '../../codegen/llvm/backend.js';
import { linkSharedObject } from '../../codegen/link.js';
import type { TargetDesc } from '../../codegen/target.js';

const here = dirname(fileURLToPath(import.meta.url));
export const workDir = mkdtempSync(join(tmpdir(), 'kestrel-codegen-'));

let driverPath: string | undefined;

export function driver(): string {
  if (driverPath) return driverPath;
  const out = join(workDir, 'driver');
  execFileSync('cc', ['-O1', '-o', out, join(here, 'driver.c'), '-ldl']);
  driverPath = out;
  return out;
}

export async function buildSo(kernels: readonly Kernel[], target: TargetDesc, name: string): Promise<string> {
  const ir = emitModule(kernels, { target });
  writeFileSync(join(workDir, `${name}.ll`), ir);
  const obj = compileIR({ ir, triple: target.triple, cpu: target.cpu, features: target.features });
  const so = join(workDir, `${name}.so`);
  await linkSharedObject({ objects: [obj], output: so, target });
  if (!existsSync(so)) throw new Error('link produced nothing');
  return so;
}

/** Runs kernel `index` of `so` on copies of `bufs`; returns the status and the new buffers. */
export function runNative(so: string, index: number, bufs: readonly TypedArrayOf[],
  scalars: readonly number[]): { status: number; bufs: TypedArrayOf[] } {
  const files = bufs.map((b, i) => {
    const f = join(workDir, `buf${i}.bin`);
    writeFileSync(f, new Uint8Array(b.buffer, b.byteOffset, b.byteLength));
    return f;
  });
  const args = [so, String(index), String(bufs.length), ...files, String(scalars.length),
    ...scalars.map(String)];
  const status = Number(execFileSync(driver(), args).toString().trim());
  const out = bufs.map((b, i) => {
    const bytes = readFileSync(files[i]);
    const copy = new (b.constructor as new (n: number) => TypedArrayOf)(b.length);
    new Uint8Array(copy.buffer).set(bytes);
    return copy;
  });
  return { status, bufs: out };
}

export function clone(bufs: readonly TypedArrayOf[]): TypedArrayOf[] {
  return bufs.map((b) => b.slice() as TypedArrayOf);
}

/** Deterministic pseudo-random floats in [lo, hi). */
export function rand(n: number, lo = -1, hi = 1, seed = 1): Float32Array {
  let s = seed >>> 0 || 1;
  const out = new Float32Array(n);
  for (let i = 0; i < n; i++) {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    out[i] = lo + ((s >>> 0) / 2 ** 32) * (hi - lo);
  }
  return out;
}

/** max |a - b| <= atol + rtol * max|b|, NaNs must match; returns a message or null. */
export function compare(a: ArrayLike<number | bigint>, b: ArrayLike<number | bigint>,
  atol = 1e-5, rtol = 1e-5): string | null {
  let maxRef = 0;
  for (let i = 0; i < b.length; i++) {
    if (Number.isFinite(Number(b[i]))) maxRef = Math.max(maxRef, Math.abs(Number(b[i])));
  }
  for (let i = 0; i < a.length; i++) {
    const x = Number(a[i]);
    const y = Number(b[i]);
    if (Number.isNaN(y) || Number.isNaN(x)) {
      if (Number.isNaN(x) !== Number.isNaN(y)) return `[${i}] got ${x}, want ${y}`;
      continue;
    }
    if (x === y) continue;
    if (!(Math.abs(x - y) <= atol + rtol * maxRef)) return `[${i}] got ${x}, want ${y}`;
  }
  return null;
}
