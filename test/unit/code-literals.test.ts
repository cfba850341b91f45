// Diagnostic and runtime status codes are written once: compiler codes in the catalogue
// (compiler/diagnostics.ts), runtime codes in the contract (runtime-vm/contract.json, generated
// into TypeScript and C++). Code elsewhere names them (Codes.ATTRIBUTE, RuntimeCodes.DISPOSED,
// code::kDisposed), so a renumbered code cannot leave a stale copy behind. This scans the sources
// for quoted 'KC....'/'KR....' literals outside the catalogue and the generated files. The one
// exception is the compiler's LLVM addon (native/src/llvm_addon/llvm_addon.cc): the catalogue has no C++
// copy, so the backend code it raises is only checked to be one the catalogue declares.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { describe, expect, it } from 'vitest';
import { Codes } from '../../compiler/diagnostics.js';
import { REPO_ROOT } from '../helpers/shared.js';

const DIRS = ['ir', 'compiler', 'codegen', 'runtime-vm', 'ort', 'tools', 'native/src'];
const CATALOGUE = 'compiler/diagnostics.ts';
const LLVM_ADDON = 'native/src/llvm_addon/llvm_addon.cc';
const LITERAL = /['"`]K[CR]\d{4}['"`]/;

function sources(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return sources(p);
    return /\.(ts|cc|h)$/.test(e.name) && !/generated/.test(e.name) ? [p] : [];
  });
}

/** `path:line` of every quoted code literal in `files` (comments are prose and may quote codes). */
export function codeLiterals(files: readonly { path: string; text: string }[]): string[] {
  return files.flatMap(({ path, text }) => text.split('\n').flatMap((l, i) => {
    const code = l.replace(/\/\/.*$/, '');
    return LITERAL.test(code) ? [`${path}:${i + 1}`] : [];
  }));
}

describe('status code literals', () => {
  it('finds a literal in code but not in a comment', () => {
    expect(codeLiterals([{ path: 'a.ts', text: "// fails with 'KC0401'\nfail('KC0401', 'm');" }]))
      .toEqual(['a.ts:2']);
  });
  it('no source outside the catalogue and the generated files spells a code', () => {
    const files = DIRS.flatMap((d) => sources(join(REPO_ROOT, d)))
      .map((p) => ({ path: relative(REPO_ROOT, p), text: readFileSync(p, 'utf8') }))
      .filter((f) => f.path !== CATALOGUE && f.path !== LLVM_ADDON);
    expect(codeLiterals(files)).toEqual([]);
  });
  it("the LLVM addon's backend code is declared in the catalogue", () => {
    const text = readFileSync(join(REPO_ROOT, LLVM_ADDON), 'utf8');
    const used = [...new Set(text.match(/KC\d{4}/g) ?? [])];
    expect(used.length).toBeGreaterThan(0);
    for (const c of used) expect(Object.values(Codes)).toContain(c);
  });
});
