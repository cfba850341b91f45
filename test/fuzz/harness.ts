// The fuzzers' shared frame: a time budget per target (KESTREL_FUZZ_SECONDS, 75 s by default,
// shared among the three targets), the corpus kept in test/fuzz/corpus/<target>/ (seeds and every
// input that ever failed, replayed first on every run: that replay is the regression test), and
// one report line per target with executions and time. fast-check drives generation; a property
// failure writes the shrunk input to the corpus and fails the test with fast-check's report.

import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import fc from 'fast-check';
import { assertNever } from '../../codegen/llvm/types.js';
import { REPO_ROOT } from '../helpers/shared.js';

export const TARGET_SHARE = { 'onnx-loader': 0.4, 'artifact-loader': 0.3, 'run-inputs': 0.3 } as const;
export type Target = keyof typeof TARGET_SHARE;

/** Milliseconds this target may fuzz for in this run. */
export function budgetMs(target: Target): number {
  const total = Number(process.env['KESTREL_FUZZ_SECONDS'] ?? 75);
  return Math.max(1, Math.round(total * 1000 * TARGET_SHARE[target]));
}

export const corpusDir = (target: Target) => join(REPO_ROOT, 'test', 'fuzz', 'corpus', target);

/** Every corpus file of a target, sorted by name: [name, bytes]. */
export function corpus(target: Target): [string, Uint8Array][] {
  const dir = corpusDir(target);
  return readdirSync(dir).filter((f) => !f.startsWith('.') && f !== 'README.md').sort()
    .map((f) => [f, new Uint8Array(readFileSync(join(dir, f)))]);
}

/** Saves a failing input as crash-<sha256 prefix>.<ext>, so every later run replays it. */
export function saveCrash(target: Target, bytes: Uint8Array, ext: string): string {
  const name = `crash-${createHash('sha256').update(bytes).digest('hex').slice(0, 16)}.${ext}`;
  mkdirSync(corpusDir(target), { recursive: true });
  writeFileSync(join(corpusDir(target), name), bytes);
  return name;
}

export interface FuzzReport { readonly executions: number; readonly seconds: number }

/**
 * Runs `property` until the target's budget is spent (or fast-check finds a failure, which is
 * thrown with its report) and prints the executions and time.
 */
export async function fuzz<Ts extends [unknown]>(target: Target,
  property: fc.IAsyncProperty<Ts> | fc.IProperty<Ts>,
  onFailure: (...values: Ts) => void): Promise<FuzzReport> {
  const t0 = performance.now();
  const seed = Number(process.env['KESTREL_FUZZ_SEED'] ?? Date.now() % 2 ** 31);
  const details = await fc.check(property as fc.IAsyncProperty<Ts>, {
    seed, numRuns: Number.MAX_SAFE_INTEGER, interruptAfterTimeLimit: budgetMs(target),
    markInterruptAsFailure: false, includeErrorInReport: true,
  });
  const seconds = (performance.now() - t0) / 1000;
  console.log(`fuzz ${target}: ${details.numRuns} executions in ${seconds.toFixed(1)} s, `
    + `${details.failed ? 1 : 0} failures (seed ${seed})`);
  if (details.failed) {
    if (details.counterexample) onFailure(...details.counterexample);
    throw new Error(fc.defaultReportMessage(details) ?? 'fuzz property failed');
  }
  return { executions: details.numRuns, seconds };
}

/** A byte-level mutation of `bytes`: flips, overwrites, inserts, deletions, truncation. */
export const byteMutation = (size: number) => fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), at: fc.nat(size - 1), bit: fc.nat(7) }),
  fc.record({ kind: fc.constant('set' as const), at: fc.nat(size - 1),
    value: fc.constantFrom(0, 0x7f, 0x80, 0xff, 1, 2, 8, 0x0a, 0x12, 0x1a) }),
  fc.record({ kind: fc.constant('insert' as const), at: fc.nat(size),
    data: fc.uint8Array({ minLength: 1, maxLength: 12 }) }),
  fc.record({ kind: fc.constant('delete' as const), at: fc.nat(size - 1),
    n: fc.integer({ min: 1, max: 16 }) }),
  fc.record({ kind: fc.constant('truncate' as const), at: fc.nat(size) }),
);
export type ByteMutation = ReturnType<typeof byteMutation> extends fc.Arbitrary<infer M> ? M : never;

/** Applies mutations in order (positions wrap to the current length). */
export function mutateBytes(src: Uint8Array, muts: readonly ByteMutation[]): Uint8Array {
  let b = Uint8Array.from(src);
  for (const m of muts) {
    const end = m.kind === 'insert' || m.kind === 'truncate' ? 1 : 0; // these may act at the end
    const at = b.length === 0 ? 0 : m.at % (b.length + end);
    switch (m.kind) {
      case 'flip': if (b.length) b[at] = b[at]! ^ (1 << m.bit); break;
      case 'set': if (b.length) b[at] = m.value; break;
      case 'insert': b = Buffer.concat([b.subarray(0, at), m.data, b.subarray(at)]); break;
      case 'delete': b = Buffer.concat([b.subarray(0, at), b.subarray(at + m.n)]); break;
      case 'truncate': b = b.slice(0, at); break;
      default: assertNever(m);
    }
  }
  return b;
}
