// Generated kernels under AddressSanitizer (issue 10, the sanitised run): with sanitize 'address'
// (KESTREL_SANITIZE_KERNELS=address in `npm run test:asan`) LLVM's function pass checks every load
// and store, and the object has no initialiser (no asan.module_ctor: the loader refuses
// initialisers), so the checks bind to the ASan runtime of the process that loads it. Shown on a
// one-store kernel, linked as an artifact is (-nostartfiles), called from a sanitised C harness:
// a store one element past a malloc'd buffer is reported as a heap-buffer-overflow, the same
// store inside the buffer is not, and the uninstrumented object overruns unreported. And the
// storage pool built with ASan (as in test:asan) poisons a block's slack and a released block.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compileIR, emitAsm, kernelSanitizer } from '../../codegen/llvm/backend.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

// Stores 1.0 at p[i]: the kernel's one memory access.
const IR = `
define void @store_at(float* %p, i64 %i) {
  %q = getelementptr inbounds float, float* %p, i64 %i
  store float 1.0, float* %q, align 4
  ret void
}`;
const TRIPLE = process.arch === 'arm64' ? 'aarch64-unknown-linux-gnu' : 'x86_64-unknown-linux-gnu';
const base = { ir: IR, triple: TRIPLE, cpu: 'generic', features: '' };

// dlopens the kernel library and calls store_at(malloc(16 floats), index).
const HARNESS = `
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
int main(int argc, char** argv) {
  void* h = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!h) { fprintf(stderr, "dlopen: %s\\n", dlerror()); return 2; }
  void (*store_at)(float*, long) = (void (*)(float*, long))dlsym(h, "store_at");
  float* p = malloc(16 * sizeof(float));
  store_at(p, atol(argv[2]));
  printf("stored %f\\n", p[0]);
  free(p);
  return 0;
}`;

describe('AddressSanitizer in generated kernels', () => {
  const dir = tempDir('kestrel-asan-kernels-');
  const harness = join(dir, 'harness');
  beforeAll(() => {
    writeFileSync(join(dir, 'harness.c'), HARNESS);
    execFileSync('cc', ['-fsanitize=address', '-o', harness, join(dir, 'harness.c'), '-ldl']);
  }, 60_000);

  const library = (name: string, sanitize?: 'address'): string => {
    const obj = join(dir, `${name}.o`), so = join(dir, `${name}.so`);
    writeFileSync(obj, compileIR({ ...base, sanitize }));
    execFileSync('cc', ['-shared', '-nostartfiles', '-o', so, obj]);
    return so;
  };
  const call = (so: string, index: number) => spawnSync(harness, [so, String(index)],
    { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });

  it('instruments the store and adds no initialiser', () => {
    const asm = emitAsm({ ...base, sanitize: 'address' });
    expect(asm).toMatch(/__asan_report_store4/);
    expect(asm).not.toMatch(/asan\.module_ctor|\.init_array|__asan_init/);
    expect(emitAsm(base)).not.toMatch(/__asan/);
  });

  it('reports a store past the buffer, passes one inside it', () => {
    const so = library('instrumented', 'address');
    expect(existsSync(so)).toBe(true);
    const inside = call(so, 15);
    expect(inside.status, inside.stderr).toBe(0);
    expect(inside.stdout).toMatch(/^stored /);
    const past = call(so, 16);
    expect(past.status).not.toBe(0);
    expect(past.stderr).toMatch(/ERROR: AddressSanitizer: heap-buffer-overflow/);
    expect(past.stderr).toMatch(/WRITE of size 4/);
  }, 60_000);

  it('without instrumentation the same overrun goes unreported', () => {
    const past = call(library('plain'), 16);
    expect(past.stderr).not.toMatch(/AddressSanitizer/);
    expect(past.status).toBe(0);
  }, 60_000);

  it('KESTREL_SANITIZE_KERNELS selects it; another value is KC0901', () => {
    const saved = process.env['KESTREL_SANITIZE_KERNELS'];
    try {
      process.env['KESTREL_SANITIZE_KERNELS'] = 'address';
      expect(kernelSanitizer()).toBe('address');
      process.env['KESTREL_SANITIZE_KERNELS'] = 'thread';
      expect(() => kernelSanitizer()).toThrow(/^KC0901: KESTREL_SANITIZE_KERNELS is 'thread'/);
      delete process.env['KESTREL_SANITIZE_KERNELS'];
      expect(kernelSanitizer()).toBeUndefined();
    } finally {
      if (saved === undefined) delete process.env['KESTREL_SANITIZE_KERNELS'];
      else process.env['KESTREL_SANITIZE_KERNELS'] = saved;
    }
  });
});

// A 100-byte tensor from the pool (a 112-byte size class), then one access chosen by argv[1]:
// 0 its last byte, 1 the first byte of the slack, 2 a byte after release, 3 its last byte after
// it was released and handed out again.
const POOL_PROBE = `
#include <cstdio>
#include <cstdlib>
#include "vm/pool.h"
int main(int, char** argv) {
  auto pool = std::make_shared<kestrel::Pool>(1 << 20);
  std::shared_ptr<kestrel::Storage> s;
  if (!pool->allocate(100, "t", &s).ok()) return 2;
  volatile uint8_t* p = s->data;
  const int mode = std::atoi(argv[1]);
  if (mode == 0) p[99] = 1;
  if (mode == 1) p[100] = 1;
  if (mode == 2) { s.reset(); p[0] = 1; }
  if (mode == 3) { s.reset(); if (!pool->allocate(100, "t", &s).ok()) return 2; s->data[99] = 1; }
  std::puts("ok");
  return 0;
}`;

describe('the storage pool under AddressSanitizer', () => {
  it('poisons the slack past a tensor and a released block, not the tensor or a reused block', () => {
    const dir = tempDir('kestrel-asan-pool-');
    writeFileSync(join(dir, 'probe.cc'), POOL_PROBE);
    const probe = join(dir, 'probe');
    execFileSync('c++', ['-std=c++17', '-fsanitize=address', '-I', join(REPO_ROOT, 'native', 'src'),
      join(dir, 'probe.cc'), join(REPO_ROOT, 'native', 'src', 'vm', 'pool.cc'), '-o', probe]);
    const run = (mode: number) => spawnSync(probe, [String(mode)],
      { encoding: 'utf8', env: { ...process.env, ASAN_OPTIONS: 'detect_leaks=0' } });
    for (const mode of [0, 3]) {
      const r = run(mode);
      expect(r.status, r.stderr).toBe(0);
    }
    for (const mode of [1, 2]) {
      const r = run(mode);
      expect(r.status).not.toBe(0);
      expect(r.stderr).toMatch(/ERROR: AddressSanitizer: use-after-poison/);
    }
  }, 120_000);
});
