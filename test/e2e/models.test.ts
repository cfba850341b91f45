// Whole models from shared/models: compiled once each, every data set (different batch and
// sequence lengths) run from that one artifact and compared with the reference outputs.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { expectMatchesDataSets } from '../helpers/models.js';
import { REPO_ROOT, rebuildDist, sharedDir, tempDir } from '../helpers/shared.js';

const MODELS = [
  'resnet18', 'mobilenetv2', 'zoo_inception_v1', 'zoo_shufflenet', 'zoo_squeezenet', // CNNs, dynamic batch
  'bert_mini', 'gpt2_tiny', // dynamic batch and sequence
  'ctrl_loop_if', // a data-dependent Loop whose body holds an If
  'lstm_2layer', // two LSTM layers, dynamic batch and sequence (up to 200 steps)
  'unet_tiny', // ConvTranspose upsampling and skip concatenations; dynamic batch, height, width
  'resnet18_int8', 'resnet18_int8_qop', // QDQ, and QOperator with com.microsoft contrib ops
  'yolo_tiny', // nearest Resize upsampling, SPPF, float Range anchors; dynamic batch, height, width
];

/**
 * Models whose LLVM O3 step can block for over a minute on a loaded 2-core machine are compiled by
 * the built CLI in a child process, so this worker keeps answering vitest (whose RPC times out
 * after 60 s of a blocked event loop).
 */
const OUT_OF_PROCESS = new Set(['yolo_tiny']);

async function compileModel(name: string, onnx: string, so: string): Promise<void> {
  if (!OUT_OF_PROCESS.has(name)) {
    await compile(onnx, { output: so });
    return;
  }
  await rebuildDist();
  const cli = join(REPO_ROOT, 'dist', 'compiler', 'cli.js');
  await promisify(execFile)(process.execPath, [cli, 'compile', onnx, '-o', so], { maxBuffer: 16 << 20 });
}

describe('e2e: whole models, one artifact each', () => {
  for (const name of MODELS) {
    it(`${name}: one artifact matches every data set`, async () => {
      const dir = join(sharedDir(), 'models', name);
      const so = join(tempDir(), `${name}.so`);
      await compileModel(name, join(dir, 'model.onnx'), so);
      expect(await expectMatchesDataSets(so, dir)).toBeGreaterThan(0);
    });
  }
});
