// Helpers of the reliability suite: build a model from an onnx-builder spec and compile it (or
// expect the compile to fail), and check a failure's code followed by a good call in the same
// process — the process survived and the session (or compiler) still works.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { encodeModel } from '../fixtures/onnx-builder.js';
import { tempDir } from '../helpers/shared.js';

export type Spec = Parameters<typeof encodeModel>[0];

/** The error `f` throws or rejects with (fails the test when it succeeds). */
export async function errorOf(f: () => unknown): Promise<{ code?: string; message: string }> {
  try { await f(); } catch (e) { return e as { code?: string; message: string }; }
  throw new Error('expected an error, got none');
}

/** Compiles `spec` to a fresh artifact; returns its path. */
export async function compileSpec(name: string, spec: Spec): Promise<string> {
  const dir = tempDir(`kestrel-rel-${name}-`);
  const model = join(dir, `${name}.onnx`), so = join(dir, `${name}.so`);
  writeFileSync(model, encodeModel(spec));
  await compile(model, { output: so });
  return so;
}

/** Expects `bad` to fail with `code` and a message matching `naming`, then `good` to succeed. */
export async function failsThenWorks(bad: () => unknown, code: string, naming: RegExp,
  good: () => Promise<void>): Promise<void> {
  const err = await errorOf(bad);
  expect(err.code, err.message).toBe(code);
  expect(err.message).toMatch(naming);
  await good();
}
