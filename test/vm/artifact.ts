// Test helper: builds small kestrel artifacts without the compiler. Kernels are C source written
// in the test; bytecode comes from the Assembler; a generated C file holds the exported symbols of
// native/include/kestrel_kernel.h, with the manifest also in section ".kestrel_manifest". Builds
// go to a temp dir under os.tmpdir(), never into the repo. Every artifact is sealed with the
// compiler's own digest trailer (codegen/seal.ts), as the loader requires.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { sealed } from '../../codegen/seal.js';

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const INCLUDE = join(ROOT, 'native', 'include');
let dir: string | undefined;
let counter = 0;

export function tempDir(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'kestrel-vm-test-'));
  return dir;
}

export function fnv1a64(bytes: Uint8Array): string {
  let h = 0xcbf29ce484222325n;
  for (const b of bytes) h = BigInt.asUintN(64, (h ^ BigInt(b)) * 0x100000001b3n);
  return h.toString(16).padStart(16, '0');
}

export interface Io { name: string; dtype: string; shape: (number | string)[] }

export interface ArtifactSpec {
  /** C source defining the kernels (kestrel_kernel_fn signature). */
  kernels?: string;
  /** Names of the kernel functions, in kernel-index order. */
  kernelNames?: string[];
  bytecode: Uint8Array;
  constants?: Uint8Array;
  inputs: Io[];
  outputs: Io[];
  /** Edits applied to the manifest object after hashes are filled in. */
  manifest?: (m: Record<string, unknown>) => void;
}

const bytesC = (b: Uint8Array): string => (b.length ? Array.from(b).join(',') : '0');

function manifestJson(spec: ArtifactSpec): string {
  const m: Record<string, unknown> = {
    format: 1, kestrel: '0.1.0', bytecode_format: 1,
    target: { arch: process.arch === 'arm64' ? 'aarch64' : 'x86_64', requires: [] },
    bytecode_fnv1a64: fnv1a64(spec.bytecode),
    constants_fnv1a64: fnv1a64(spec.constants ?? new Uint8Array()),
    inputs: spec.inputs, outputs: spec.outputs, kernels: spec.kernelNames ?? [],
  };
  spec.manifest?.(m);
  return JSON.stringify(m);
}

function symbolsC(spec: ArtifactSpec): string {
  const names = spec.kernelNames ?? [];
  const manifest = new TextEncoder().encode(manifestJson(spec));
  const constants = spec.constants ?? new Uint8Array();
  return [
    '#include <stdint.h>',
    '#include "kestrel_kernel.h"',
    spec.kernels ?? '',
    `const kestrel_kernel_fn kestrel_kernels[] = {${names.join(',') || '0'}};`,
    `const uint64_t kestrel_kernel_count = ${names.length};`,
    `const uint8_t kestrel_bytecode[] = {${bytesC(spec.bytecode)}};`,
    `const uint64_t kestrel_bytecode_size = ${spec.bytecode.length};`,
    `__attribute__((aligned(64))) const uint8_t kestrel_constants[] = {${bytesC(constants)}};`,
    `const uint64_t kestrel_constants_size = ${constants.length};`,
    '__attribute__((section(".kestrel_manifest"), used))',
    `const uint8_t kestrel_manifest[] = {${bytesC(manifest)}};`,
    `const uint64_t kestrel_manifest_size = ${manifest.length};`,
    '',
  ].join('\n');
}

/** Compiles the artifact and returns the path of the .so. */
export function buildArtifact(spec: ArtifactSpec): string {
  const base = join(tempDir(), `a${counter++}`);
  writeFileSync(`${base}.c`, symbolsC(spec));
  // -nostartfiles as the compiler links: the loader refuses initialisers (native/src/runtime/elf_dynamic.cc).
  execFileSync('cc', ['-shared', '-nostartfiles', '-fPIC', '-O2', '-pthread', `-I${INCLUDE}`, '-o',
    `${base}.raw.so`, `${base}.c`]);
  writeFileSync(`${base}.so`, sealed(readFileSync(`${base}.raw.so`)));
  return `${base}.so`;
}

/** A fresh path in the temp dir (for tampered copies). */
export function tempPath(suffix: string): string {
  return join(tempDir(), `t${counter++}${suffix}`);
}

/** C kernels shared by several tests. */
export const KERNELS_C = `
#include <string.h>
typedef struct { const float* a; const float* b; float* c; } add_args;
static void add_chunk(void* p, int64_t lo, int64_t hi) {
  add_args* x = (add_args*)p;
  for (int64_t i = lo; i < hi; i++) x->c[i] = x->a[i] + x->b[i];
}
/* c = a + b over scalars[0] floats, on the thread pool */
int32_t vadd(const kestrel_kernel_ctx* ctx, void* const* bufs, const int64_t* scalars) {
  add_args x = { (const float*)bufs[0], (const float*)bufs[1], (float*)bufs[2] };
  ctx->parallel_for(ctx->pool, add_chunk, &x, scalars[0]);
  return 0;
}
/* buf[i] = scalars[1] for i < scalars[0] */
int32_t fill(const kestrel_kernel_ctx* ctx, void* const* bufs, const int64_t* scalars) {
  (void)ctx;
  float* o = (float*)bufs[0];
  for (int64_t i = 0; i < scalars[0]; i++) o[i] = (float)scalars[1];
  return 0;
}
/* buf[i] += 1 for i < scalars[0] */
int32_t inc(const kestrel_kernel_ctx* ctx, void* const* bufs, const int64_t* scalars) {
  (void)ctx;
  float* o = (float*)bufs[0];
  for (int64_t i = 0; i < scalars[0]; i++) o[i] += 1.0f;
  return 0;
}
/* fails with status 7 when scalars[0] is negative */
int32_t guard(const kestrel_kernel_ctx* ctx, void* const* bufs, const int64_t* scalars) {
  (void)ctx; (void)bufs;
  return scalars[0] < 0 ? 7 : 0;
}
/* sleeps about scalars[0] ms (for dispose-during-run tests) */
#include <time.h>
int32_t slow(const kestrel_kernel_ctx* ctx, void* const* bufs, const int64_t* scalars) {
  (void)ctx; (void)bufs;
  struct timespec ts = { scalars[0] / 1000, (scalars[0] % 1000) * 1000000L };
  nanosleep(&ts, 0);
  return 0;
}
`;
export const KERNEL_NAMES = ['vadd', 'fill', 'inc', 'guard', 'slow'];
export const K = { vadd: 0, fill: 1, inc: 2, guard: 3, slow: 4 } as const;
