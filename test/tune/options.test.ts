// Tuning options: --budget durations parse (and bad ones are refused with the flag named), and a
// tuning run with neither a time budget nor a trial count fails with KC0705 before any work.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../compiler/tune/cli-tune.js';
import { tune } from '../../compiler/tune/tune.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

describe('tuning options', () => {
  it('parses budgets', () => {
    const texts = ['90s', '20m', '1h', '1500ms', '30', '2.5m'];
    expect(texts.map(parseDuration)).toEqual([90_000, 1_200_000, 3_600_000, 1500, 30_000, 150_000]);
    expect(() => parseDuration('soon')).toThrow(/--budget expects a duration/);
    expect(() => parseDuration('-5m')).toThrow(/--budget/);
  });

  it('refuses a run without a budget or a trial count', async () => {
    const model = join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx');
    await expect(tune(model, { log: join(tempDir(), 'x.jsonl') })).rejects.toMatchObject({ code: 'KC0705' });
  });
});
