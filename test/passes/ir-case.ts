// Before/Expected pass tests in the graph-IR text (ir/print.ts, ir/parse.ts; docs/architecture.md):
//   passCase((f, ids) => padConvInputs(f, ids), `func @g(...) {...}`, `func @g(...) {...}`)
// parses Before (nodes built and type-checked as the ONNX frontend builds them), runs the one pass,
// verifies the result (ir/verify.ts) and compares its text with Expected. Both sides are put in
// canonical form first: the pass's result is printed, parsed again (so every node it made must
// type-check through the op registry) and printed; Expected is parsed and printed (declared
// attribute defaults filled in, whitespace and attribute order normalised). When Expected has no
// origin comments (`// Conv 'name'`) the comparison ignores origins. A mismatch fails with the
// two texts, which vitest shows as a line diff. NOTE: because both sides are canonical, a pass that
// leaves out an attribute equal to its declared default is not told apart from one that writes it.
// Value names are stable: passes name what they make after the values they rewrite
// (`%x_padded`, `$w_packed`), never from a counter, so Expected can spell them.

import { expect } from 'vitest';
import '../../ir/ops/index.js';
import { type Func, IdGen } from '../../ir/graph.js';
import { parseFunc } from '../../ir/parse.js';
import { printFunc } from '../../ir/print.js';
import { verifyFunc } from '../../ir/verify.js';

export type PassFn = (f: Func, ids: IdGen) => Func;

const ORIGIN = / {2}\/\/ .*$/;

/** Whitespace runs as one space, blank lines dropped; origins dropped when `origins` is false. */
function normalise(text: string, origins: boolean): string {
  return text.split('\n').map((l) => (origins ? l : l.replace(ORIGIN, '')).trim().replace(/\s+/g, ' '))
    .filter((l) => l !== '').join('\n');
}

/** The canonical text of `text` (parsed and printed again). */
export const canonical = (text: string): string => printFunc(parseFunc(text));

const hasOrigins = (text: string): boolean => text.split('\n').some((l) => ORIGIN.test(l));

/** The pass's result on `before`, as canonical text. */
export function runPass(pass: PassFn, before: string): string {
  const ids = new IdGen();
  const f = pass(parseFunc(before, ids), ids);
  expect(verifyFunc(f), 'the pass result verifies').toEqual([]);
  return canonical(printFunc(f));
}

/** Runs `pass` on `before` and expects `expected`. */
export function passCase(pass: PassFn, before: string, expected: string): void {
  const origins = hasOrigins(expected);
  expect(normalise(runPass(pass, before), origins)).toBe(normalise(canonical(expected), origins));
}

/** `before` must come out of `pass` unchanged (a near miss the pass must leave alone). */
export function unchangedCase(pass: PassFn, before: string): void {
  passCase(pass, before, before);
}

/** A step whose result is not a function (fusion groups, layouts): compares `show`'s text. */
export function stepCase(step: (f: Func, ids: IdGen) => string, before: string, expected: string): void {
  const ids = new IdGen();
  expect(normalise(step(parseFunc(before, ids), ids), true)).toBe(normalise(expected, true));
}
