// What the generators (gen-isa.mjs, gen-contract.mjs, gen-errors.mjs) share: writing their
// outputs, or with --check reporting every stale one and exiting 1, and the small text helpers
// their tables use. Guarantees: --check never writes; a missing file counts as stale.
import { readFileSync, writeFileSync } from 'node:fs';
import { relative } from 'node:path';

/** `xs` in runs of `n` (the last one shorter). */
export const chunk = (xs, n) =>
  Array.from({ length: Math.ceil(xs.length / n) }, (_, i) => xs.slice(i * n, i * n + n));

/** snake_case (any case) -> CamelCase, for C++ constant names (`k${camel(name)}`). */
export const camel = (s) => s.toLowerCase().split('_').map((w) => w[0].toUpperCase() + w.slice(1)).join('');

/**
 * Writes each [path, text] of `outputs` that differs from the file, or, when argv has --check,
 * names each stale one (generated from `source`) and exits 1, telling to run `command`.
 */
export function writeOrCheck(root, outputs, source, command) {
  const check = process.argv.includes('--check');
  let stale = false;
  for (const [path, text] of outputs) {
    let old = '';
    try { old = readFileSync(path, 'utf8'); } catch { /* missing counts as stale */ }
    if (old === text) continue;
    stale = true;
    if (check) console.error(`stale: ${relative(root, path)} differs from what ${source} generates`);
    else writeFileSync(path, text);
  }
  if (check && stale) {
    console.error(`run \`${command}\` and commit the regenerated files`);
    process.exit(1);
  }
}
