// Must-show 2 of the GPU target: every model kestrel compiles runs on cuda:0 from one artifact
// (--target nvptx) and matches its reference outputs (the float rule of tools/testdata.ts).
// Where this machine has no CUDA device the tests are skipped, and the reason is printed.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { expectMatchesDataSets } from '../helpers/models.js';
import { sharedDir, tempDir } from '../helpers/shared.js';
import { noCudaDevice } from './device.js';
import { CHECKED_MODELS } from './models.js';

const why = await noCudaDevice();
if (why !== null) console.log(`skipping the GPU execution tests: no CUDA device here (${why})`);

describe.skipIf(why !== null)('every model on cuda:0 matches its references', () => {
  for (const m of CHECKED_MODELS) {
    it(m, async () => {
      const so = join(tempDir(`kestrel-gpu-${m}-`), `${m}.so`);
      await compile(join(sharedDir(), 'models', m, 'model.onnx'), { output: so, target: 'nvptx' });
      const sets = await expectMatchesDataSets(so, join(sharedDir(), 'models', m), { device: 'cuda:0' });
      expect(sets).toBeGreaterThan(0);
    });
  }
});
