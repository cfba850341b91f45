// scripts/install.mjs, the npm install script, on a machine without cmake, a C++ compiler or LLVM
// (a PATH holding node and sh alone): with a prebuilt runtime that loads it succeeds and says what
// the compiler part needs; with none it fails, naming what building the runtime needs. Runs the
// script in a copy of the package layout (package.json, scripts/, prebuilds/), so nothing is built.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const ADDON = join(REPO_ROOT, 'native', 'build', 'Release', 'kestrel_runtime.node');
const PLATFORM = `${process.platform}-${process.arch}`;

/** A package folder with the install script, and a prebuilt when `prebuilt` names one to copy. */
function layout(prebuilt?: string): string {
  const dir = tempDir('kestrel-install-script-');
  mkdirSync(join(dir, 'scripts'));
  copyFileSync(join(REPO_ROOT, 'scripts', 'install.mjs'), join(dir, 'scripts', 'install.mjs'));
  writeFileSync(join(dir, 'package.json'), '{"name":"kestrel","type":"module"}');
  if (prebuilt) {
    mkdirSync(join(dir, 'prebuilds', PLATFORM), { recursive: true });
    copyFileSync(prebuilt, join(dir, 'prebuilds', PLATFORM, 'kestrel_runtime.node'));
  }
  return dir;
}

let bin = '';
beforeAll(() => {
  if (!existsSync(ADDON)) throw new Error(`${ADDON} is missing: run \`npm run build:native\``);
  bin = tempDir('kestrel-bare-path-');
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync('/bin/sh', join(bin, 'sh'));
});

const install = (dir: string) => spawnSync(process.execPath, [join(dir, 'scripts', 'install.mjs')],
  { cwd: dir, encoding: 'utf8', env: { PATH: bin, HOME: dir } });

describe('the install script without a toolchain', () => {
  it('uses a prebuilt runtime that loads and says what the compiler part needs', () => {
    const r = install(layout(ADDON));
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(`kestrel: using the prebuilt runtime for ${PLATFORM}`);
    expect(r.stdout).toContain('kestrel: the compiler part (kestrel compile, compile()) is not built: '
      + 'cmake and a C++17 compiler not found on PATH. The runtime works; to compile models, install '
      + 'LLVM 14 development files (Debian/Ubuntu: apt-get install llvm-14-dev)');
    expect(r.stdout).toContain('run `npm rebuild kestrel`');
  });

  it('fails, naming what is missing, when there is no prebuilt for the platform', () => {
    const r = install(layout());
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`kestrel: no prebuilt runtime for ${PLATFORM} loads, and building it needs cmake `
      + 'and a C++17 compiler (not found on PATH). Install them and run `npm rebuild kestrel`.\n');
  });

  it('does not trust a prebuilt that does not load', () => {
    const bad = join(tempDir('kestrel-bad-addon-'), 'bad.node');
    writeFileSync(bad, 'not an ELF file');
    const r = install(layout(bad));
    expect(r.status).toBe(1);
    expect(r.stdout).toContain(`kestrel: the prebuilt runtime for ${PLATFORM} does not load here:`);
    expect(r.stderr).toContain('no prebuilt runtime');
  });
});
