// Must-show 1 of the GPU target (docs/gpu.md): every kernel of every model in shared/models,
// compiled with --target nvptx, assembles with ptxas for sm_80 and sm_90. Runs without a GPU;
// fails (never skips) when ptxas is missing. Models that do not compile for any target yet are
// listed with the code they fail with, and the test fails when one of them starts compiling, so
// that it is moved to the checked list.

import { writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { sharedDir, tempDir } from '../helpers/shared.js';
import { ALL_MODELS, EXPECTED_TO_FAIL } from './models.js';
import { artifactPtx, pooled, ptxas, ptxasVersion } from './ptx.js';

const ARCHS = ['sm_80', 'sm_90'];
const models = ALL_MODELS;

describe('every kernel of every model assembles with ptxas', () => {
  beforeAll(async () => {
    console.log(`ptxas: ${await ptxasVersion()}`);
  });

  it('checks every model in shared/models (none is left out silently)', () => {
    expect(models.length).toBeGreaterThan(0);
    for (const m of Object.keys(EXPECTED_TO_FAIL)) expect(models, `${m} is listed but missing`).toContain(m);
  });

  for (const m of models) {
    const expected = EXPECTED_TO_FAIL[m];
    it(expected ? `${m} fails to compile with ${expected} (expected)` : m, async () => {
      const dir = tempDir(`kestrel-ptx-${m}-`);
      const so = join(dir, `${m}.so`);
      const built = compile(join(sharedDir(), 'models', m, 'model.onnx'), { output: so, target: 'nvptx' });
      if (expected) {
        await expect(built, `${m} now compiles: move it to the checked models`).rejects
          .toMatchObject({ code: expected });
        return;
      }
      await built;
      const kernels = artifactPtx(so);
      expect(kernels.length).toBeGreaterThan(0);
      const jobs = kernels.flatMap((k, i) => {
        const file = join(dir, `${i}.ptx`);
        writeFileSync(file, k.ptx);
        for (const e of k.entries) expect(k.ptx, `${k.name}: entry ${e}`).toContain(`.entry ${e}(`);
        return ARCHS.map((arch) => async () => {
          const err = await ptxas(file, arch, join(dir, `${i}.${arch}.cubin`));
          return err ? `${k.name} (${arch}): ${err}` : '';
        });
      });
      const failures = (await pooled(jobs, Math.max(2, availableParallelism()))).filter(Boolean);
      expect(failures, failures.join('\n')).toEqual([]);
      console.log(`${m}: ${kernels.length} kernels assembled for ${ARCHS.join(' and ')}`);
    }, 300_000);
  }
});
