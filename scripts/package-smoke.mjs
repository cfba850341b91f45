#!/usr/bin/env node
// The package smoke test (npm run test:package): packs kestrel (`npm pack`, which runs prepack:
// tsc and the prebuilt runtime addons), installs the tarball into a fresh directory with a PATH
// that holds node, npm and sh alone (no cmake, no C/C++ compiler, no llvm-config): once with install
// scripts ignored (the prebuilt runtime alone runs a .so), once with them approved (npm 11's
// allowScripts, no npm warning), running a prebuilt .so three ways: `kestrel run --check`,
// kestrel/runtime's load(), and kestrel/ort. Also checks that `kestrel compile` there says plainly
// what the compiler part needs.
// Requires: a built checkout (dist/ and the LLVM addon, to compile the test artifact) and the npm
// cache holding kestrel's dependencies (the install runs with --prefer-offline).
// Usage: node scripts/package-smoke.mjs [--tarball kestrel-X.tgz] [--keep]
// Guarantees: exits 1 on the first failed step, printing its output; prints each step's seconds.
import { execFileSync, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, mkdtempSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({ options: { tarball: { type: 'string' }, keep: { type: 'boolean' } },
  strict: true });
const work = mkdtempSync(join(tmpdir(), 'kestrel-package-'));

function step(name, cmd, args, opts = {}) {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', ...opts });
  const s = ((performance.now() - t0) / 1000).toFixed(1);
  const out = `${r.stdout ?? ''}${r.stderr ?? ''}`;
  const ok = opts.expectFail ? r.status !== 0 : r.status === 0;
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${s.padStart(6)} s  ${name}`);
  if (!ok) {
    console.log(out);
    throw new Error(`step failed: ${name} (exit ${r.status})`);
  }
  return out;
}

function expectIn(text, what, name) {
  if (!text.includes(what)) {
    console.log(text);
    throw new Error(`${name}: expected to see '${what}'`);
  }
}

/** A bin folder with node, npm, npx and sh only: the "fresh machine" PATH. */
function barePath() {
  const bin = join(work, 'bin');
  mkdirSync(bin);
  const npmDir = dirname(execFileSync(process.execPath, ['-e',
    'console.log(require.resolve("npm/package.json", { paths: [process.argv[1]] }))',
    join(dirname(process.execPath), '..', 'lib', 'node_modules')], { encoding: 'utf8' }).trim());
  symlinkSync(process.execPath, join(bin, 'node'));
  symlinkSync('/bin/sh', join(bin, 'sh')); // npm runs scripts with `sh`
  symlinkSync(join(npmDir, 'bin', 'npm-cli.js'), join(bin, 'npm'));
  symlinkSync(join(npmDir, 'bin', 'npx-cli.js'), join(bin, 'npx'));
  return bin;
}

/** A fresh project folder with `allowScripts` as given. */
function newApp(name, allowScripts) {
  const app = join(work, name);
  mkdirSync(app);
  writeFileSync(join(app, 'package.json'),
    JSON.stringify({ name, private: true, type: 'module', allowScripts }));
  return app;
}

function main() {
  let tarball = values.tarball ? resolve(values.tarball) : undefined;
  if (!tarball) {
    step('npm pack (prepack: tsc, prebuilt runtime addons)', 'npm', ['pack', '--pack-destination', work],
      { cwd: ROOT });
    tarball = join(work, readdirSync(work).find((f) => f.endsWith('.tgz')));
  }
  const data = join(work, 'data');
  cpSync(join(ROOT, 'examples', 'tiny_cnn'), data, { recursive: true });
  step('compile the test artifact (in the checkout)', process.execPath,
    [join(ROOT, 'dist', 'compiler', 'cli.js'), 'compile', join(data, 'model.onnx'),
      '-o', join(data, 'model.so')]);

  const env = { ...process.env, PATH: barePath(), CXX: '', CC: '', LLVM_DIR: '' };
  for (const tool of ['cmake', 'c++', 'g++', 'cc', 'llvm-config', 'llvm-config-14']) {
    const r = spawnSync('/bin/sh', ['-c', `command -v ${tool}`], { env });
    if (r.status === 0) throw new Error(`${tool} is on the bare PATH`);
  }
  // Install scripts blocked: the prebuilt runtime alone must run a .so.
  const bare = newApp('app-no-scripts', {});
  step('npm install --ignore-scripts kestrel.tgz (PATH: node, npm, sh)', 'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--ignore-scripts', tarball],
    { cwd: bare, env });
  const check = ['run', join(data, 'model.so'), '--inputs', join(data, 'test_data_set_0'), '--check'];
  const bareKestrel = join(bare, 'node_modules', '.bin', 'kestrel');
  expectIn(step('kestrel run --check, installed without scripts', bareKestrel, check, { cwd: bare, env }),
    'matches reference', 'kestrel run');
  // Install scripts approved as docs/getting-started.md says (npm 11's allowScripts; a tarball is
  // named by its file: spec, a registry install by its name).
  const app = newApp('app', { [`file:${tarball}`]: true, protobufjs: true, 'msgpackr-extract': true });
  const install = step('npm install kestrel.tgz (PATH: node, npm, sh)', 'npm',
    ['install', '--prefer-offline', '--no-audit', '--no-fund', '--foreground-scripts', tarball],
    { cwd: app, env });
  expectIn(install, 'using the prebuilt runtime for', 'install');
  expectIn(install, 'the compiler part (kestrel compile, compile()) is not built', 'install');
  if (/npm warn/i.test(install)) throw new Error(`npm warned during the install:\n${install}`);

  const kestrel = join(app, 'node_modules', '.bin', 'kestrel');
  const run = step('kestrel run model.so --inputs ... --check', kestrel,
    check, { cwd: app, env });
  expectIn(run, 'matches reference', 'kestrel run');
  step('kestrel run model.so --bench 20 (random inputs)', kestrel,
    ['run', join(data, 'model.so'), '--shapes', 'image=2x3x20x20', '--bench', '20'], { cwd: app, env });
  writeFileSync(join(app, 'main.js'), [
    "import { load, Tensor } from 'kestrel/runtime';",
    "import * as ort from 'kestrel/ort';",
    `const so = ${JSON.stringify(join(data, 'model.so'))};`,
    'const s = await load(so);',
    "const image = new Tensor('float32', new Float32Array(3 * 20 * 20), [1, 3, 20, 20]);",
    'const out = await s.run({ image });',
    "if (out.probs.dims.join() !== '1,10') throw new Error('runtime: bad output');",
    'const o = await ort.InferenceSession.create(so);',
    'const r = await o.run({ [o.inputNames[0]]: new ort.Tensor(new Float32Array(1200), [1, 3, 20, 20]) });',
    'const sum = r[o.outputNames[0]].data.reduce((a, b) => a + b, 0);',
    "if (Math.abs(sum - 1) > 1e-4) throw new Error('ort: softmax does not sum to 1');",
    "console.log('runtime and ort ran the prebuilt .so');",
  ].join('\n'));
  expectIn(step('node main.js (kestrel/runtime load(), kestrel/ort)', process.execPath, ['main.js'],
    { cwd: app, env }), 'runtime and ort ran the prebuilt .so', 'main.js');
  const c = step('kestrel compile without the compiler part fails plainly', kestrel,
    ['compile', join(data, 'model.onnx'), '-o', join(app, 'x.so')], { cwd: app, env, expectFail: true });
  expectIn(c, 'llvm-14-dev', 'kestrel compile');
  const v = step('npx kestrel --version prints no npm warning', 'npx', ['kestrel', '--version'],
    { cwd: app, env });
  if (/npm warn/i.test(v)) throw new Error(`npx warned:\n${v}`);
  console.log(`package smoke test passed (${work})`);
}

try {
  main();
} catch (e) {
  console.error(e.message);
  process.exitCode = 1;
} finally {
  if (!values.keep) rmSync(work, { recursive: true, force: true });
}
