// The cuda execution provider of kestrel/ort against the stand-in CUDA driver of test/gpu
// (fake-libcuda.c through KESTREL_LIBCUDA: one device, records calls, runs no kernel, so no output
// value is checked on it): an ONNX model is compiled for nvptx, cached apart from the CPU artifact,
// and loaded on cuda:deviceId; a device that cannot run it (no such device, a CPU artifact) fails
// with kestrel's error when 'cuda' is the last provider listed, and falls back to the next one
// with one warning otherwise (that run is checked against values computed here).
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ort from '../../ort/index.js';
import { FALLBACK_CODE, resetWarnings } from '../../ort/options.js';
import { encodeModel } from '../fixtures/onnx-builder.js';
import { SMALL_MODEL } from '../gpu/device.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const dir = tempDir('kestrel-ort-cuda-');
const model = join(dir, 'small.onnx');
const logFile = join(dir, 'calls.log');
const x = (batch: number): ort.Tensor => new ort.Tensor('float32',
  Float32Array.from({ length: batch * 40 }, (_, i) => (i % 40 - 20) / 4), [batch, 40]);
const calls = (): string[] => readFileSync(logFile, 'utf8').trim().split('\n').map((l) => l.split(' ')[0]);

let saved: string | undefined;
beforeAll(() => {
  writeFileSync(model, encodeModel(SMALL_MODEL));
  const lib = join(dir, 'libcuda-fake.so');
  execFileSync(process.env.CC ?? 'cc', ['-shared', '-fPIC', '-O1', '-o', lib,
    join(REPO_ROOT, 'test', 'gpu', 'fake-libcuda.c')]);
  // Read by the runtime when it first opens the driver: once in this file's process.
  process.env.KESTREL_LIBCUDA = lib;
  process.env.FAKE_CUDA_LOG = logFile;
  saved = process.env.KESTREL_CACHE_DIR;
  process.env.KESTREL_CACHE_DIR = join(dir, 'cache');
});
afterAll(() => {
  if (saved === undefined) delete process.env.KESTREL_CACHE_DIR;
  else process.env.KESTREL_CACHE_DIR = saved;
});

/** y = concat(relu(x), sigmoid(x) * x) on axis 1, as SMALL_MODEL computes it. */
function expected(t: ort.Tensor): number[] {
  const v = t.data as Float32Array;
  const out: number[] = [];
  for (let b = 0; b < t.dims[0]; b++) {
    const row = Array.from(v.subarray(b * 40, b * 40 + 40));
    out.push(...row.map((a) => Math.max(a, 0)), ...row.map((a) => a / (1 + Math.exp(-a))));
  }
  return out;
}

describe("kestrel/ort's cuda execution provider (stand-in driver)", () => {
  it('compiles for nvptx, caches that artifact apart, and runs it on cuda:deviceId', async () => {
    writeFileSync(logFile, '');
    const opts = { executionProviders: [{ name: 'cuda', deviceId: 0 }], enableProfiling: true,
      profileFilePrefix: join(dir, 'gpu') };
    const s = await ort.InferenceSession.create(model, opts);
    expect(s.kestrel).toMatchObject({ device: 'cuda:0', cache: 'miss' });
    expect(calls()).toContain('module');
    expect((await s.run({ x: x(3) })).y.dims).toEqual([3, 80]);
    expect(calls()).toContain('launch');
    type Event = { cat: string; args: { provider?: string } };
    const events = JSON.parse(readFileSync(s.endProfiling(), 'utf8')) as Event[];
    const nodes = events.filter((e) => e.cat === 'Node');
    expect(nodes.length).toBeGreaterThan(0);
    for (const e of nodes) expect(e.args.provider).toBe('CUDAExecutionProvider');
    await s.release();
    const again = await ort.InferenceSession.create(model, { executionProviders: ['cuda'] });
    expect(again.kestrel).toEqual({ ...s.kestrel, cache: 'hit' });
    const cpu = await ort.InferenceSession.create(model);
    expect(cpu.kestrel.device).toBe('cpu');
    expect(cpu.kestrel.artifact).not.toBe(s.kestrel.artifact);
    for (const t of [again, cpu]) await t.release();
  });

  it('fails with the device error when cuda is the last provider listed', async () => {
    const e = await ort.InferenceSession.create(model, {
      executionProviders: [{ name: 'cuda', deviceId: 1 }] })
      .then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(ort.KestrelError);
    expect(e).toMatchObject({ code: 'KR0501' });
  });

  it('falls back to the next provider, with one warning, when the device cannot run the model', async () => {
    resetWarnings();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const providers = [{ name: 'cuda', deviceId: 1 }, 'cpu'];
      const s = await ort.InferenceSession.create(model, { executionProviders: providers });
      expect(s.kestrel.device).toBe('cpu');
      const input = x(2);
      const y = Array.from((await s.run({ x: input })).y.data as Float32Array);
      expected(input).forEach((v, i) => expect(y[i]).toBeCloseTo(v, 5));
      await s.release();
      await ort.InferenceSession.create(model, { executionProviders: providers }).then((t) => t.release());
      expect(warn).toHaveBeenCalledTimes(1);
      const [message, options] = warn.mock.calls[0];
      expect(String(message)).toMatch(
        /^kestrel\/ort: executionProviders 'cuda' \(cuda:1\) cannot run here, falling back to 'cpu': KR0501/);
      expect(options).toMatchObject({ code: FALLBACK_CODE });
      // A compiled CPU artifact on the GPU: KR0008 alone, the CPU after it.
      const so = s.kestrel.artifact;
      await expect(ort.InferenceSession.create(so, { executionProviders: ['cuda'] }))
        .rejects.toMatchObject({ code: 'KR0008' });
      const onCpu = await ort.InferenceSession.create(so, { executionProviders: ['cuda', 'cpu'] });
      expect(onCpu.kestrel).toMatchObject({ device: 'cpu', artifact: so });
      await onCpu.release();
    } finally {
      warn.mockRestore();
    }
  });
});
