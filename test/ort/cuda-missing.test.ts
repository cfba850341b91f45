// The cuda execution provider where there is no CUDA driver (KESTREL_LIBCUDA names a file that does
// not exist, so the answer is the same on machines with a GPU): 'cuda' alone fails with KR0501
// naming the driver library; ['cuda', 'cpu'] then runs on the CPU after one warning, with the
// outputs of a CPU session, and compiles no nvptx artifact (the device is known to be missing).
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ort from '../../ort/index.js';
import { FALLBACK_CODE, resetWarnings } from '../../ort/options.js';
import { encodeModel, FLOAT, node, vi as valueInfo } from '../fixtures/onnx-builder.js';
import { SMALL_MODEL } from '../gpu/device.js';
import { tempDir } from '../helpers/shared.js';

const dir = tempDir('kestrel-ort-nocuda-');
const model = join(dir, 'small.onnx');
const other = join(dir, 'relu.onnx');
const missing = join(dir, 'no-such-libcuda.so.1');
const artifacts = (): string[] => readdirSync(join(dir, 'cache')).filter((f) => f.endsWith('.so'));

let saved: string | undefined;
beforeAll(() => {
  writeFileSync(model, encodeModel(SMALL_MODEL));
  writeFileSync(other, encodeModel({ nodes: [node('Relu', ['x'], ['y'])],
    inputs: [valueInfo('x', FLOAT, ['b', 40])], outputs: [valueInfo('y', FLOAT, ['b', 40])] }));
  process.env.KESTREL_LIBCUDA = missing; // read once, when the runtime first opens the driver
  saved = process.env.KESTREL_CACHE_DIR;
  process.env.KESTREL_CACHE_DIR = join(dir, 'cache');
});
afterAll(() => {
  if (saved === undefined) delete process.env.KESTREL_CACHE_DIR;
  else process.env.KESTREL_CACHE_DIR = saved;
});

describe("kestrel/ort's cuda execution provider without a CUDA driver", () => {
  it("fails with KR0501 when 'cuda' is the only provider", async () => {
    await expect(ort.InferenceSession.create(model, { executionProviders: ['cuda'] })).rejects.toMatchObject({
      code: 'KR0501', message: expect.stringContaining(`no CUDA driver: ${missing} cannot be loaded`) });
  });

  it("runs on the CPU after one warning with ['cuda', 'cpu']", async () => {
    resetWarnings();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const before = artifacts().length;
      const s = await ort.InferenceSession.create(other, { executionProviders: ['cuda', 'cpu'] });
      expect(s.kestrel.device).toBe('cpu');
      expect(artifacts().length).toBe(before + 1); // the CPU artifact alone
      expect(warn).toHaveBeenCalledTimes(1);
      expect(warn.mock.calls[0][1]).toMatchObject({ code: FALLBACK_CODE });
      expect(String(warn.mock.calls[0][0])).toContain("falling back to 'cpu': KR0501: no CUDA driver");
      const ref = await ort.InferenceSession.create(other);
      const data = Float32Array.from({ length: 80 }, (_, i) => i / 9 - 4);
      const feeds = { x: new ort.Tensor('float32', data, [2, 40]) };
      expect((await s.run(feeds)).y.data).toEqual((await ref.run(feeds)).y.data);
      expect(ref.kestrel.artifact).toBe(s.kestrel.artifact);
      for (const t of [s, ref]) await t.release();
    } finally {
      warn.mockRestore();
    }
  });
});
