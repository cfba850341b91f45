// AArch64 target strings: `aarch64:CPU` and `aarch64+FEATURE...` reach LLVM (the CPU and the
// features appear in the manifest's target, and what the CPU implies in what the artifact requires
// of the host), the artifacts run under qemu-aarch64 where its CPU has those features and match
// the references, and are refused (KR0006) where it does not; unknown CPUs and features fail
// with KC0904 before anything is compiled.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseTargetName } from '../../codegen/target.js';
import { compile } from '../../compiler/driver.js';
import { inspectArtifact } from '../../api.js';
import { buildCrossRuntime, checkModel, requireCrossTools } from '../../tools/aarch64.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const SLOW = 900_000;
const TINY = join(REPO_ROOT, 'examples', 'tiny_cnn');

describe('aarch64 target strings', () => {
  let runner = '';
  beforeAll(async () => {
    requireCrossTools();
    runner = await buildCrossRuntime(REPO_ROOT);
  }, SLOW);

  it('parses CPUs and features, and names what it rejects', () => {
    const n1 = parseTargetName('aarch64:neoverse-n1+i8mm');
    expect('target' in n1 && n1.target.cpu).toBe('neoverse-n1');
    expect('target' in n1 && n1.target.features).toBe('+neon,+i8mm');
    expect('error' in parseTargetName('aarch64:pentium')).toBe(true);
    expect('error' in parseTargetName('aarch64+avx512f')).toBe(true);
    expect('error' in parseTargetName('arm64')).toBe(true);
  });

  it('rejects an unknown CPU or feature with KC0904 and writes nothing', async () => {
    const out = join(tempDir('kestrel-arm-t-'), 'bad.so');
    for (const target of ['aarch64:pentium', 'aarch64+avx512f', 'riscv64'] as const) {
      await expect(compile(join(TINY, 'model.onnx'), { output: out, target: target as 'aarch64' }))
        .rejects.toMatchObject({ code: 'KC0904' });
    }
    expect(existsSync(out)).toBe(false);
  });

  for (const target of ['aarch64:cortex-a55', 'aarch64+dotprod+i8mm+sve'] as const) {
    it(`${target}: the artifact requires its features and matches every data set under qemu`, async () => {
      const work = tempDir('kestrel-arm-t-');
      const r = await checkModel(runner, TINY, work, () => {}, target);
      expect(r.sets.length).toBe(2);
      for (const s of r.sets) expect(s.ok, `${target} ${s.set}: ${s.message}`).toBe(true);
      const info = inspectArtifact(join(work, 'tiny_cnn', 'tiny_cnn.so'));
      const requires = (info.manifest as { target: { requires: string[] } }).target.requires;
      expect(requires).toContain('neon');
      expect(requires).toContain('dotprod'); // implied by cortex-a55, named in the other
      if (target.includes('+sve')) expect(requires).toEqual(expect.arrayContaining(['sve', 'i8mm']));
    }, SLOW);
  }

  it('aarch64:neoverse-n1 requires what the CPU implies: refused where the host lacks it', async () => {
    // qemu-aarch64's CPU reports no SSBS hwcap, which neoverse-n1 implies: the loader refuses
    // the artifact before mapping it instead of trusting the CPU name.
    const r = await checkModel(runner, TINY, tempDir('kestrel-arm-t-'), () => {}, 'aarch64:neoverse-n1');
    expect(r.sets[0].ok).toBe(false);
    expect(r.sets[0].message).toMatch(/KR0006: .*lacks: ssbs/);
  }, SLOW);
});
