// The documentation: every page the README promises exists and is linked; docs/errors.md is what
// scripts/gen-errors.mjs makes of the catalogues, and holds every code of both; docs/cli.md names
// every flag of every command in the CLI's table; the TypeDoc API reference builds without a
// warning (`npm run docs`; here with --emit none, so nothing is written).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { COMMANDS } from '../../compiler/cli-commands.js';
import { Codes } from '../../compiler/diagnostics.js';
import { RuntimeCodes } from '../../runtime-vm/errors.js';
import { REPO_ROOT } from '../helpers/shared.js';
// @ts-expect-error: a plain .mjs script without type declarations
import { generate } from '../../scripts/gen-errors.mjs';

const read = (p: string) => readFileSync(join(REPO_ROOT, p), 'utf8');
const PAGES = ['getting-started', 'cli', 'api', 'errors', 'compatibility', 'troubleshooting', 'artifacts',
  'ort-compat', 'performance', 'tuning', 'architecture'];

describe('docs/', () => {
  it('every page exists and the README links it', () => {
    const readme = read('README.md');
    for (const p of PAGES) {
      expect(existsSync(join(REPO_ROOT, 'docs', `${p}.md`)), p).toBe(true);
      expect(readme, p).toContain(`(docs/${p}.md)`);
    }
  });

  it('errors.md is generated from the catalogues and is up to date', () => {
    expect(read('docs/errors.md')).toBe((generate as () => string)());
  });

  it('errors.md lists every compiler and runtime code with its name', () => {
    const text = read('docs/errors.md');
    for (const [name, code] of [...Object.entries(Codes), ...Object.entries(RuntimeCodes)]) {
      expect(text, code).toContain(`| ${code} | \`${name}\` |`);
    }
  });

  it('cli.md documents every command and flag of the CLI table', () => {
    const text = read('docs/cli.md');
    for (const c of COMMANDS) {
      expect(text).toContain(`## kestrel ${c.spec.name}`);
      for (const f of c.spec.flags) expect(text, `${c.spec.name} --${f.name}`).toContain(`--${f.name}`);
    }
  });
});

describe('the TypeDoc API reference', () => {
  it('builds from the sources without warnings', () => {
    // typedoc's `exports` hide bin/: find it beside its package.json.
    const pkgJson = createRequire(import.meta.url).resolve('typedoc/package.json');
    const typedoc = join(dirname(pkgJson), 'bin', 'typedoc');
    const r = spawnSync(process.execPath, [typedoc, '--emit', 'none'], { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status, `${r.stdout}${r.stderr}`).toBe(0);
    expect(r.stdout).not.toMatch(/warning|error/i);
  }, 300_000);
});
