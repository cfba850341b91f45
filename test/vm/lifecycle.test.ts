// Resources and lifecycle: storage reuse (same block after free, 64-byte alignment, zero-sized
// tensors non-null), dispose semantics (idempotent, run after dispose, dispose during a run
// cancels it), and resident memory roughly flat over many runs.
import { existsSync, readFileSync } from 'node:fs';
import { totalmem } from 'node:os';
import { describe, expect, it } from 'vitest';
import { Assembler } from '../../codegen/bytecode.js';
import { load, Tensor } from '../../runtime-vm/index.js';
import { buildArtifact, K, KERNEL_NAMES } from './artifact.js';
import { F32, vaddArtifact, withKernels } from './programs.js';

const ADDR_C = `#include <stdint.h>
#include "kestrel_kernel.h"
/* out[0] = address of bufs[0] */
int32_t addr(const kestrel_kernel_ctx* ctx, void* const* bufs, const int64_t* scalars) {
  (void)ctx; (void)scalars;
  *(int64_t*)bufs[1] = (int64_t)(intptr_t)bufs[0];
  return 0;
}`;

function addrArtifact(): string {
  const a = new Assembler();
  const [x, n, one, t, p1, p2, z, zero, p3] = a.regs(9);
  a.emit('input', { dst: x, index: 0, dtype: F32, rank: 1 });
  a.emit('dim', { dst: n, tensor: x, axis: 0 });
  a.emit('int_const', { dst: one, value: 1 });
  a.emit('int_const', { dst: zero, value: 0 });
  a.emit('alloc', { dst: p1, dtype: 6, shape: [one] });
  a.emit('alloc', { dst: p2, dtype: 6, shape: [one] });
  a.emit('alloc', { dst: p3, dtype: 6, shape: [one] });
  a.emit('alloc', { dst: t, dtype: F32, shape: [n] });
  a.emit('call_kernel', { kernel: 0, tensors: [t, p1], scalars: [] });
  a.emit('free', { reg: t });
  a.emit('alloc', { dst: t, dtype: F32, shape: [n] });
  a.emit('call_kernel', { kernel: 0, tensors: [t, p2], scalars: [] });
  a.emit('alloc', { dst: z, dtype: F32, shape: [zero, n] });
  a.emit('call_kernel', { kernel: 0, tensors: [z, p3], scalars: [] });
  a.emit('ret', { outputs: [p1, p2, p3] });
  const io = (name: string) => ({ name, dtype: 'int64', shape: [1] });
  const bytecode = a.finish({ nInputs: 1, nOutputs: 3, nKernels: 1 });
  return buildArtifact({ kernels: ADDR_C, kernelNames: ['addr'], bytecode,
    inputs: [{ name: 'x', dtype: 'float32', shape: ['n'] }], outputs: [io('a'), io('b'), io('z')] });
}

function slowArtifact(): string {
  const a = new Assembler();
  const [x, ms] = a.regs(2);
  a.emit('input', { dst: x, index: 0, dtype: F32, rank: 1 });
  a.emit('int_const', { dst: ms, value: 150 });
  a.emit('call_kernel', { kernel: K.slow, tensors: [], scalars: [ms] });
  a.emit('ret', { outputs: [x] });
  return withKernels(a.finish({ nInputs: 1, nOutputs: 1, nKernels: KERNEL_NAMES.length }),
    [{ name: 'x', dtype: 'float32', shape: [3] }], [{ name: 'y', dtype: 'float32', shape: [3] }]);
}

describe('storage pool', () => {
  it('reuses a freed block, aligns to 64 bytes and gives zero-sized tensors a pointer', async () => {
    const s = await load(addrArtifact(), { threads: 1 });
    const x = new Tensor('float32', new Float32Array(1000), [1000]);
    const first = await s.run({ x });
    const [a, b, z] = ['a', 'b', 'z'].map((k) => (first[k].data as BigInt64Array)[0]);
    expect(a).toBe(b);
    expect(a % 64n).toBe(0n);
    expect(z).not.toBe(0n);
    expect(z % 64n).toBe(0n);
    const again = await s.run({ x });
    expect((again.a.data as BigInt64Array)[0]).toBe(a); // reused across runs too
    s.dispose();
  });
});

describe('dispose', () => {
  it('is idempotent and run() after it fails with KR0301', async () => {
    const s = await load(vaddArtifact());
    s.dispose();
    s.dispose();
    expect(s.disposed).toBe(true);
    const t = new Tensor('float32', new Float32Array(1), [1]);
    await expect(s.run({ x: t, y: t })).rejects.toMatchObject({ code: 'KR0301' });
  });

  it('during a run cancels it once its kernel returns (KR0301), freeing nothing under it', async () => {
    const s = await load(slowArtifact());
    const pending = s.run({ x: new Tensor('float32', Float32Array.from([1, 2, 3]), [3]) });
    s.dispose();
    await expect(pending).rejects.toMatchObject({ code: 'KR0301' });
    await expect(s.run({})).rejects.toMatchObject({ code: 'KR0301' });
  });
});

/** Allocates float32[2^40] (4 TiB, beyond any default limit) and returns its input. */
function hugeAllocArtifact(): string {
  const a = new Assembler();
  const [x, c, t] = a.regs(3);
  a.emit('input', { dst: x, index: 0, dtype: F32, rank: 1 });
  a.emit('int_const', { dst: c, value: 2 ** 40 });
  a.emit('alloc', { dst: t, dtype: F32, shape: [c] });
  a.emit('ret', { outputs: [x] });
  return withKernels(a.finish({ nInputs: 1, nOutputs: 1, nKernels: KERNEL_NAMES.length }),
    [{ name: 'x', dtype: 'float32', shape: [3] }], [{ name: 'y', dtype: 'float32', shape: [3] }]);
}

/** Half of the smaller of physical memory and a cgroup limit: the documented default limit. */
function expectedDefaultLimit(): bigint {
  let m = BigInt(totalmem());
  for (const p of ['/sys/fs/cgroup/memory.max', '/sys/fs/cgroup/memory/memory.limit_in_bytes']) {
    const v = existsSync(p) ? readFileSync(p, 'utf8').trim() : '';
    if (/^\d+$/.test(v) && BigInt(v) < m) m = BigInt(v);
  }
  return m / 2n;
}

describe('memory', () => {
  it('defaults the limit to half of the machine memory and refuses past it before allocating', async () => {
    const s = await load(hugeAllocArtifact(), { threads: 1 });
    const x = new Tensor('float32', Float32Array.from([1, 2, 3]), [3]);
    const err = await s.run({ x }).catch((e: Error & { code?: string }) => e);
    expect(err).toMatchObject({ code: 'KR0201' });
    expect((err as Error).message).toContain(`session memory limit of ${expectedDefaultLimit()}`);
    const small = await load(hugeAllocArtifact(), { threads: 1, memoryLimitBytes: 1 << 20 });
    await expect(small.run({ x })).rejects.toThrow('session memory limit of 1048576');
    s.dispose();
    small.dispose();
  });

  // Not under AddressSanitizer (npm run test:asan): its quarantine keeps freed memory resident.
  it.skipIf((process.env['LD_PRELOAD'] ?? '').includes('libasan'))(
    'keeps resident memory roughly flat over 2,000 runs (not under ASan)', async () => {
    const s = await load(vaddArtifact(), { threads: 2 });
    const feedsOf = (n: number) => ({ x: new Tensor('float32', new Float32Array(n).fill(1), [n]),
      y: new Tensor('float32', new Float32Array(n).fill(2), [n]) });
    const shapes = [feedsOf(4096), feedsOf(1000)]; // alternating shapes
    for (let i = 0; i < 200; i++) await s.run(shapes[i & 1]); // warm-up
    const before = process.memoryUsage().rss;
    for (let i = 0; i < 2000; i++) {
      const out = await s.run(shapes[i & 1]);
      if (i % 500 === 0) expect((out.z.data as Float32Array)[4095]).toBe(3);
    }
    const grown = process.memoryUsage().rss - before;
    s.dispose();
    // 2,000 runs leaking one 16 KiB output each would grow by ~32 MiB.
    expect(grown).toBeLessThan(24 << 20);
  }, 60_000);
});

describe('worker threads', () => {
  it('runs in a worker and survives the worker being terminated mid-run', async () => {
    const { Worker } = await import('node:worker_threads');
    const { join } = await import('node:path');
    const { ROOT } = await import('./artifact.js');
    const addonPath = join(ROOT, 'native/build/Release/kestrel_runtime.node');
    const src = `
      const { parentPort, workerData } = require('node:worker_threads');
      const { NativeSession } = require(workerData.addon);
      const s = new NativeSession(workerData.path, 2, 0, 0);
      const x = { dtype: 0, dims: [3], data: new Float32Array([1, 2, 3]) };
      s.run([x]).then((o) => parentPort.postMessage(Array.from(new Float32Array(o[0].data))));
      if (workerData.kill) parentPort.postMessage('started');`;
    const path = slowArtifact();
    const once = (kill: boolean) => new Promise<unknown>((resolve, reject) => {
      const w = new Worker(src, { eval: true, workerData: { addon: addonPath, path, kill } });
      w.on('message', (m) => {
        if (m === 'started') void w.terminate().then(() => resolve('terminated'));
        else { resolve(m); void w.terminate(); }
      });
      w.on('error', reject);
    });
    expect(await once(false)).toEqual([1, 2, 3]);
    expect(await once(true)).toBe('terminated');
    await new Promise((r) => setTimeout(r, 300)); // the abandoned run finishes in the background
    expect(await once(false)).toEqual([1, 2, 3]);
  });
});
