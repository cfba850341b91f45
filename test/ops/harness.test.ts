// The harness itself: it cross-checks against ir/tir-interp.ts whenever that file exists.
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { expect, it } from 'vitest';
import { sharedInterp } from './harness.js';

it('uses ir/tir-interp.ts as a second interpreter when present', () => {
  const present = existsSync(fileURLToPath(new URL('../../ir/tir-interp.ts', import.meta.url)));
  expect(sharedInterp !== undefined).toBe(present);
});
