// A Loop that would run (practically) forever must not hang the process: the iteration limit
// and an AbortSignal each stop it within 100 ms with KR0302, and the session works afterwards;
// without options the default limit (1e7 iterations) stops it.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { load, type Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { loopModel } from '../fixtures/loop-model.js';
import { tempDir } from '../helpers/shared.js';

const feeds = (n: bigint) => ({
  x: new Tensor('float32', Float32Array.from([0, 1, 2, 3]), [4]),
  n: new Tensor('int64', BigInt64Array.from([n]), []),
});

describe('loop limits and cancellation', () => {
  let session: Session;
  beforeAll(async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'loop.onnx'), loopModel());
    await compile(join(dir, 'loop.onnx'), { output: join(dir, 'loop.so') });
    session = await load(join(dir, 'loop.so'), { threads: 1 });
  });

  it('runs a bounded loop', async () => {
    const out = await session.run(feeds(5n));
    expect([...(out.y.data as Float32Array)]).toEqual([5, 6, 7, 8]);
  });

  it('stops at the iteration limit within 100 ms, then works again', async () => {
    const t0 = performance.now();
    await expect(session.run(feeds(1n << 60n),
      { maxIterations: 10_000 })).rejects.toMatchObject({ code: 'KR0302' });
    expect(performance.now() - t0).toBeLessThan(100);
    const out = await session.run(feeds(2n));
    expect([...(out.y.data as Float32Array)]).toEqual([2, 3, 4, 5]);
  });

  it('stops on abort within 100 ms, then works again', async () => {
    const ctl = new AbortController();
    const running = session.run(feeds(1n << 60n), { signal: ctl.signal });
    await new Promise((r) => setTimeout(r, 20));
    const t0 = performance.now();
    ctl.abort();
    await expect(running).rejects.toMatchObject({ code: 'KR0302' });
    expect(performance.now() - t0).toBeLessThan(100);
    const out = await session.run(feeds(1n));
    expect([...(out.y.data as Float32Array)]).toEqual([1, 2, 3, 4]);
  });

  it('stops at the default limit of 1e7 iterations without maxIterations', async () => {
    await expect(session.run(feeds(1n << 60n))).rejects.toMatchObject({
      code: 'KR0302', message: expect.stringContaining('loop iteration limit 10000000 exceeded') });
  }, 120_000);

  it('rejects at once when the signal is already aborted', async () => {
    const ctl = new AbortController();
    ctl.abort();
    await expect(session.run(feeds(1n), { signal: ctl.signal })).rejects.toMatchObject({ code: 'KR0302' });
  });
});
