// The npm package's shape: `files` ships the built JavaScript, the prebuilt runtime addons, the
// native sources the install script builds the compiler part from, and nothing of the tests; the
// runtime addon is looked up in a local build first, then the prebuilt for this platform. The
// whole install is scripts/package-smoke.mjs (npm run test:package), which packs and installs. The
// lockfile keeps every package's tarball URL (npm ci --offline with a cache of tarballs only).
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import pkg from '../../package.json' with { type: 'json' };
import { runtimeAddonCandidates } from '../../runtime-vm/addon-path.js';
import { REPO_ROOT } from '../helpers/shared.js';

describe('package.json', () => {
  it('ships the prebuilt runtime addons, the install script and the native sources', () => {
    for (const f of ['prebuilds/linux-*/kestrel_runtime.node', 'scripts/install.mjs', 'native/src/',
      'native/include/', 'native/CMakeLists.txt']) expect(pkg.files).toContain(f);
    expect(pkg.scripts.install).toBe('node scripts/install.mjs');
    expect(pkg.scripts.prepack).toContain('scripts/prebuild.mjs');
  });

  it('ships no tests, source maps or build folders', () => {
    expect(pkg.files.filter((f) => /test|native\/build|\.map$/.test(f) && !f.startsWith('!'))).toEqual([]);
    expect(pkg.files).toContain('!dist/**/*.map');
  });

  it('every bin and export lies in dist/, which files ships', () => {
    const targets = [...Object.values(pkg.bin), pkg.main, pkg.types,
      ...Object.values(pkg.exports).flatMap((e) => Object.values(e))];
    for (const t of targets) expect(t.replace(/^\.\//, '')).toMatch(/^dist\/.*\.(js|d\.ts)$/);
  });

  it('denies onnxruntime-node\'s install script (it downloads CUDA libraries), with no .npmrc key', () => {
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
  });
});

describe('package-lock.json and .npmrc', () => {
  it('name each registry package\'s tarball and digest: npm ci --offline needs no registry metadata', () => {
    type Entry = { version?: string; resolved?: string; integrity?: string; link?: boolean; name?: string };
    const lock = JSON.parse(readFileSync(join(REPO_ROOT, 'package-lock.json'), 'utf8')) as
      { packages: Record<string, Entry> };
    const entries = Object.entries(lock.packages).filter(([path, e]) => path !== '' && !e.link);
    expect(entries.length).toBeGreaterThan(100);
    const bad = entries.filter(([path, e]) => {
      const name = e.name ?? path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
      const tarball = `${name}/-/${name.split('/').pop()}-${e.version}.tgz`;
      return !e.integrity?.startsWith('sha512-') || !e.resolved?.endsWith(tarball);
    });
    expect(bad.map(([path]) => path)).toEqual([]);
  });

  it('.npmrc keeps the tarball URLs in the lockfile and sets no key npm warns about', () => {
    const r = spawnSync('npm', ['config', 'get', 'omit-lockfile-registry-resolved'],
      { cwd: REPO_ROOT, encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe('false');
    expect(r.stderr).not.toMatch(/npm warn/i);
  });
});

describe('runtime addon lookup', () => {
  const saved = process.env.KESTREL_RUNTIME_ADDON;
  afterEach(() => {
    if (saved === undefined) delete process.env.KESTREL_RUNTIME_ADDON;
    else process.env.KESTREL_RUNTIME_ADDON = saved;
  });

  it('a local build first, then the prebuilt for this platform', () => {
    delete process.env.KESTREL_RUNTIME_ADDON;
    expect(runtimeAddonCandidates()).toEqual([
      join(REPO_ROOT, 'native', 'build', 'Release', 'kestrel_runtime.node'),
      join(REPO_ROOT, 'prebuilds', `${process.platform}-${process.arch}`, 'kestrel_runtime.node')]);
  });

  it('$KESTREL_RUNTIME_ADDON alone when set', () => {
    process.env.KESTREL_RUNTIME_ADDON = '/x/kestrel_runtime.node';
    expect(runtimeAddonCandidates()).toEqual(['/x/kestrel_runtime.node']);
  });
});
