// The models of shared/models as the GPU tests see them: those kestrel compiles (checked on the
// GPU target) and those that fail on every target for now, with the code they fail with.

import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { sharedDir } from '../helpers/shared.js';

/** Models whose ops kestrel does not support yet (on any target), with the expected code (none today). */
export const EXPECTED_TO_FAIL: Readonly<Record<string, string>> = Object.freeze({
});

/** Every model directory in shared/models, sorted. */
export const ALL_MODELS: readonly string[] = readdirSync(join(sharedDir(), 'models'), { withFileTypes: true })
  .filter((d) => d.isDirectory()).map((d) => d.name).sort();

export const CHECKED_MODELS: readonly string[] = ALL_MODELS.filter((m) => !(m in EXPECTED_TO_FAIL));
