// The CUDA device's host side, run against a stand-in driver (test/gpu/fake-libcuda.c, loaded
// through KESTREL_LIBCUDA) that records calls and runs no kernel: so no output value is checked
// here (test/gpu/models.test.ts does that on a real GPU). What is checked: every kernel's PTX
// module is loaded and every entry found, each launch uses the manifest's block size and a grid
// computed on the host from the run's shapes, a failed assert's status reaches the error
// (KR0202), a failing driver call is KR0502 naming the call and kernel and leaves the session
// usable, and a GPU older than the artifact's architecture is refused (KR0008).

import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { load, type Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';
import { compileSmall } from './device.js';
import { manifestOf } from './ptx.js';

const dir = tempDir('kestrel-fake-cuda-');
const logFile = join(dir, 'calls.log');
let so = '';

beforeAll(async () => {
  const lib = join(dir, 'libcuda-fake.so');
  execFileSync(process.env.CC ?? 'cc', ['-shared', '-fPIC', '-O1', '-o', lib,
    join(REPO_ROOT, 'test', 'gpu', 'fake-libcuda.c')]);
  // Read by the runtime when it first loads the driver (once per process: this file's own fork).
  process.env.KESTREL_LIBCUDA = lib;
  process.env.FAKE_CUDA_LOG = logFile;
  so = await compileSmall('nvptx');
});

const calls = (): string[][] => readFileSync(logFile, 'utf8').trim().split('\n').map((l) => l.split(' '));
const input = (batch: number) => new Tensor('float32', new Float32Array(batch * 40), [batch, 40]);

/** Runs `f` with the session's launches logged afresh. */
async function logged(s: Session, batch: number): Promise<string[][]> {
  writeFileSync(logFile, '');
  const { y } = await s.run({ x: input(batch) });
  expect(y.dims).toEqual([batch, 80]);
  return calls().filter((c) => c[0] === 'launch');
}

describe('the CUDA device against a stand-in driver', () => {
  it('loads every kernel module and entry, and sizes grids from the run-time shapes', async () => {
    writeFileSync(logFile, '');
    const s = await load(so, { device: 'cuda:0' });
    try {
      const man = manifestOf(readFileSync(so));
      const entries = man.gpu!.kernels.flatMap((k) => k.entries);
      const loaded = calls();
      const targets = loaded.filter((c) => c[0] === 'module').map((c) => c[2]);
      expect(targets).toEqual(man.kernels.map(() => 'sm_80'));
      expect(loaded.filter((c) => c[0] === 'function').map((c) => c[1])).toEqual(entries);
      const small = await logged(s, 1);
      const big = await logged(s, 4096);
      expect(small.length).toBeGreaterThan(0);
      expect(small.map((c) => c[1])).toEqual(big.map((c) => c[1])); // the same launches, in order
      for (const c of [...small, ...big]) expect(c[3], c.join(' ')).toBe(String(man.gpu!.block));
      const grid = (l: string[][]) => l.map((c) => Number(c[2]));
      big.forEach((c, i) => expect(grid(big)[i], c[1]).toBeGreaterThanOrEqual(grid(small)[i]));
      expect(Math.max(...grid(big))).toBeGreaterThan(Math.max(...grid(small)));
    } finally {
      s.dispose();
    }
  });

  it('reports a failed kernel assert (status word) as KR0202, then runs again', async () => {
    const s = await load(so, { device: 'cuda:0' });
    try {
      process.env.FAKE_CUDA_STATUS = '3';
      await expect(s.run({ x: input(2) })).rejects.toMatchObject({ code: 'KR0202',
        message: expect.stringContaining('an index is out of range') });
      delete process.env.FAKE_CUDA_STATUS;
      expect((await s.run({ x: input(2) })).y.dims).toEqual([2, 80]);
    } finally {
      delete process.env.FAKE_CUDA_STATUS;
      s.dispose();
    }
  });

  it('turns a failed launch into KR0502 naming the call and the kernel', async () => {
    const s = await load(so, { device: 'cuda:0' });
    try {
      process.env.FAKE_CUDA_FAIL_LAUNCH = '1';
      await expect(s.run({ x: input(2) })).rejects.toMatchObject({ code: 'KR0502',
        message: expect.stringMatching(/cuLaunchKernel failed for kernel kestrel_\w+: CUDA_ERROR_ILLEGAL/) });
      delete process.env.FAKE_CUDA_FAIL_LAUNCH;
      expect((await s.run({ x: input(2) })).y.dims).toEqual([2, 80]);
    } finally {
      delete process.env.FAKE_CUDA_FAIL_LAUNCH;
      s.dispose();
    }
  });

  it('refuses a GPU older than the artifact (KR0008)', async () => {
    process.env.FAKE_CUDA_SM = '75';
    try {
      await expect(load(so, { device: 'cuda:0' })).rejects.toMatchObject({ code: 'KR0008',
        message: expect.stringContaining('kernels are for sm_80; cuda:0 (fake GPU) is sm_75') });
    } finally {
      delete process.env.FAKE_CUDA_SM;
    }
  });

  it('refuses a device ordinal the machine does not have (KR0501)', async () => {
    await expect(load(so, { device: 'cuda:3' })).rejects.toMatchObject({ code: 'KR0501',
      message: expect.stringContaining('no CUDA device cuda:3 (this machine has 1)') });
  });
});
