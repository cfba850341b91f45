// What the conformance test expects of a runner report: no failure outside
// test/onnx/known-failures.txt, every baseline case passing, and every known failure still failing
// (a listed case that passes, or that no longer exists, makes the list untrue and fails the run).
// Pure functions over the report, so the rules are unit-tested without running the 1,900 cases.

import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { REPO_ROOT } from '../helpers/shared.js';

export type Mode = 'static' | 'dynamic';
export interface CaseResult { readonly name: string; readonly status: string; readonly message?: string }

export const KNOWN_FAILURES_FILE = 'test/onnx/known-failures.txt';

/** Known failures for a mode: case name -> reason, from `mode case: reason` lines. */
export function parseKnownFailures(text: string, mode: Mode): Map<string, string> {
  const out = new Map<string, string>();
  for (const line of text.split('\n')) {
    const m = /^(static|dynamic|both) (\S+): (.*)$/.exec(line);
    if (m && (m[1] === mode || m[1] === 'both')) out.set(m[2]!, m[3]!);
  }
  return out;
}

export function knownFailures(mode: Mode): Map<string, string> {
  return parseKnownFailures(readFileSync(join(REPO_ROOT, KNOWN_FAILURES_FILE), 'utf8'), mode);
}

export function baseline(mode: Mode): string[] {
  return readFileSync(join(REPO_ROOT, 'test', 'onnx', `baseline-${mode}.txt`), 'utf8')
    .split('\n').filter(Boolean);
}

export interface Problems {
  /** Failures not listed in known-failures.txt, as `name: message`. */
  readonly unexpected: string[];
  /** Baseline cases that did not pass. */
  readonly lost: string[];
  /** Known failures that passed, or that the run did not find at all. */
  readonly stale: string[];
}

/**
 * Checks one mode's results. `selected` says which case names the run covered (a filtered run
 * checks only its own cases against the baseline and the known failures).
 */
export function checkResults(cases: readonly CaseResult[], known: ReadonlyMap<string, string>,
  baselineNames: readonly string[], selected: (name: string) => boolean = () => true): Problems {
  const byName = new Map(cases.map((c) => [c.name, c]));
  const unexpected = cases.filter((c) => c.status === 'FAIL' && !known.has(c.name))
    .map((c) => `${c.name}: ${c.message ?? ''}`);
  const lost = baselineNames.filter((n) => selected(n) && byName.get(n)?.status !== 'PASS');
  const stale: string[] = [];
  for (const name of known.keys()) {
    if (!selected(name)) continue;
    const c = byName.get(name);
    if (!c) stale.push(`${name}: not found by the run; remove it from ${KNOWN_FAILURES_FILE}`);
    else if (c.status === 'PASS') stale.push(`${name}: now passes; remove it from ${KNOWN_FAILURES_FILE}`);
  }
  return { unexpected, lost, stale };
}
