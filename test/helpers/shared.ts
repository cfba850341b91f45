// Where the shared test data lives: $KESTREL_SHARED, or ../shared beside the repository.
// Tests that need it fail loudly (never skip) when it is missing.

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');

export function sharedDir(): string {
  const dir = process.env.KESTREL_SHARED ?? resolve(REPO_ROOT, '..', 'shared');
  if (!existsSync(join(dir, 'models')) || !existsSync(join(dir, 'onnx-tests'))) {
    throw new Error(`shared test data not found at ${dir}: set KESTREL_SHARED to the shared/ directory`);
  }
  return dir;
}

export function tempDir(prefix = 'kestrel-test-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}
