// Where the shared test data lives: $KESTREL_SHARED, or ../shared beside the repository.
// Tests that need it fail loudly (never skip) when it is missing. Also: bringing dist/ up to date
// for tests that run the built CLI or tools in child processes.

import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

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

/** Brings dist/ up to date with the sources (incremental: a no-op when nothing changed). */
export async function rebuildDist(): Promise<void> {
  const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  await promisify(execFile)(process.execPath, [tsc, '-p', join(REPO_ROOT, 'tsconfig.json')],
    { cwd: REPO_ROOT, maxBuffer: 16 << 20 });
}
