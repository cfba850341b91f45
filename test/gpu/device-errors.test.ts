// Loading GPU artifacts where they cannot run fails with a clear error and breaks nothing else:
// KR0008 when artifact and device disagree, KR0501 without a CUDA driver, KR0401 for a device
// name kestrel does not know, KC0904 for an unknown GPU architecture.

import { beforeAll, describe, expect, it } from 'vitest';
import { checkedTarget } from '../../compiler/driver.js';
import { load } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { compileSmall, noCudaDevice } from './device.js';

let gpuSo = '';
let hostSo = '';

beforeAll(async () => {
  [gpuSo, hostSo] = [await compileSmall('nvptx'), await compileSmall('host')];
});

describe('GPU artifacts where they cannot run', () => {
  it('refuses a GPU artifact loaded for the host, naming the device to ask for', async () => {
    await expect(load(gpuSo)).rejects.toMatchObject({ code: 'KR0008',
      message: expect.stringContaining("device 'cuda:0'") });
    await expect(load(gpuSo, { device: 'cpu' })).rejects.toMatchObject({ code: 'KR0008' });
  });

  it('refuses a CPU artifact loaded on a CUDA device', async () => {
    await expect(load(hostSo, { device: 'cuda:0' })).rejects.toMatchObject({ code: 'KR0008',
      message: expect.stringContaining('--target nvptx') });
  });

  it('refuses device names it does not know', async () => {
    for (const device of ['gpu', 'cuda:', 'cuda:-1', 'cuda:0x1', 'CUDA:0']) {
      await expect(load(gpuSo, { device }), device).rejects.toMatchObject({ code: 'KR0401' });
    }
  });

  it('fails with KR0501 naming libcuda.so.1 where there is no CUDA driver', async () => {
    const why = await noCudaDevice();
    if (why === null) {
      console.log('this machine has a CUDA device: the no-driver error cannot be observed here');
      return;
    }
    if (!/libcuda\.so\.1 cannot be loaded/.test(why)) {
      console.log(`this machine has a CUDA driver but no usable device: ${why}`);
      expect(why).toMatch(/^KR050[12]/);
      return;
    }
    await expect(load(gpuSo, { device: 'cuda:0' })).rejects.toMatchObject({ code: 'KR0501',
      message: expect.stringContaining('no CUDA driver: libcuda.so.1 cannot be loaded') });
  });

  it('still loads and runs CPU artifacts after those failures', async () => {
    const s = await load(hostSo);
    try {
      const x = Float32Array.from({ length: 80 }, (_, i) => (i - 40) / 8);
      const { y } = await s.run({ x: new Tensor('float32', x, [2, 40]) });
      expect(y.dims).toEqual([2, 80]);
      const v = y.data as Float32Array;
      expect(v[0]).toBe(0); // relu(-5)
      expect(v[40]).toBeCloseTo(-5 / (1 + Math.exp(5)), 5); // sigmoid(-5) * -5
    } finally {
      s.dispose();
    }
  });

  it('rejects an unknown GPU architecture at compile time (KC0904)', () => {
    for (const name of ['nvptx:sm_75', 'nvptx:', 'nvptx:SM_80', 'nvptx+ptx80']) {
      expect(() => checkedTarget(name), name).toThrow(expect.objectContaining({ code: 'KC0904' }));
    }
    expect(() => checkedTarget('nvptx:sm_75'))
      .toThrow(/unknown NVIDIA GPU architecture 'sm_75' \(known: sm_80, sm_86, sm_90\)/);
    for (const name of ['nvptx', 'nvptx:sm_80', 'nvptx:sm_86', 'nvptx:sm_90']) {
      expect(checkedTarget(name).gpu?.arch, name).toBe(name === 'nvptx' ? 'sm_80' : name.slice(6));
    }
  });
});
