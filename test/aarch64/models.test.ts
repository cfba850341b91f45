// AArch64 under emulation: the standalone runtime cross-compiled with g++-aarch64-linux-gnu, the
// models compiled with `--target aarch64` and every data set run under qemu-aarch64 by kestrel-run,
// compared with the references. Fails (never skips) when the cross compiler or qemu is missing:
// `.ci/run` installs g++-aarch64-linux-gnu and qemu-user.

import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { AARCH64_MODELS, buildCrossRuntime, checkModel, qemu, requireCrossTools } from
  '../../tools/aarch64.js';
import { REPO_ROOT, sharedDir, tempDir } from '../helpers/shared.js';

const SLOW = 900_000; // emulated runs and a cross build on a busy two-core machine
let runner = '';

describe('aarch64 under qemu: kestrel-run matches the references', () => {
  beforeAll(async () => {
    requireCrossTools();
    runner = await buildCrossRuntime(REPO_ROOT);
  }, SLOW);

  it('the cross-built kestrel-run is an AArch64 program that reports a bad artifact', async () => {
    const r = await qemu(runner, [join(REPO_ROOT, 'package.json')]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/kestrel-run: KR\d{4}: /);
  });

  for (const model of AARCH64_MODELS) {
    it(`${model}: every data set matches`, async () => {
      const r = await checkModel(runner, join(sharedDir(), 'models', model), tempDir('kestrel-arm-'));
      expect(r.sets.length).toBeGreaterThan(0);
      for (const s of r.sets) expect(s.ok, `${model} ${s.set}: ${s.message}`).toBe(true);
    }, SLOW);
  }
});
