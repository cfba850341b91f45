#!/usr/bin/env node
// kestrel's npm install script. The runtime (load(), kestrel run, kestrel/ort on a .so) needs only
// the runtime addon, which ships prebuilt for linux-x64 and linux-arm64 (prebuilds/); the compiler
// (kestrel compile) needs the LLVM addon, built here from native/ when LLVM 14, cmake and a C++17
// compiler are present. So:
//   prebuilt runtime loads  -> build only the compiler part (kestrel_llvm), or say what it needs;
//   no usable prebuilt      -> build from source: everything, or the runtime alone without LLVM.
// Set KESTREL_BUILD_FROM_SOURCE=1 to ignore the prebuilt; KESTREL_SKIP_COMPILER=1 to build no LLVM
// addon. In a git checkout (`npm ci` for development) everything is built from source, so that
// native/build holds what the tests use (kestrel-run, the addons) even after an `npm pack`.
// Guarantees: exits 0 whenever the runtime is usable (a missing compiler part is a notice, not a
// failed install); exits 1 with what to install when the runtime itself cannot be had.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const PLATFORM = `${process.platform}-${process.arch}`;
const PREBUILT = join(ROOT, 'prebuilds', PLATFORM, 'kestrel_runtime.node');
const NEEDS = 'LLVM 14 development files (Debian/Ubuntu: apt-get install llvm-14-dev), cmake >= 3.16 and '
  + 'a C++17 compiler (g++ or clang++)';

const say = (text) => console.log(`kestrel: ${text}`);

/** The program `name` on PATH, or undefined. */
function onPath(name) {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (dir && existsSync(join(dir, name))) return join(dir, name);
  }
  return undefined;
}

/** Loads the prebuilt in a child process, so that a bad binary cannot take this script down. */
function prebuiltLoads() {
  const checkout = existsSync(join(ROOT, '.git'));
  if (!existsSync(PREBUILT) || checkout || process.env.KESTREL_BUILD_FROM_SOURCE === '1') return false;
  const r = spawnSync(process.execPath, ['-e', `require(${JSON.stringify(PREBUILT)})`], { encoding: 'utf8' });
  if (r.status !== 0) say(`the prebuilt runtime for ${PLATFORM} does not load here: ${r.stderr.trim()}`);
  return r.status === 0;
}

/** Where LLVM 14's CMake package is, if anywhere we know to look. */
function llvmDir() {
  const dirs = [process.env.LLVM_DIR, '/usr/lib/llvm-14/lib/cmake/llvm', '/usr/lib64/llvm14/lib/cmake/llvm',
    '/opt/homebrew/opt/llvm@14/lib/cmake/llvm', '/usr/local/opt/llvm@14/lib/cmake/llvm'];
  const found = dirs.find((d) => d && existsSync(join(d, 'LLVMConfig.cmake')));
  if (found) return found;
  const config = onPath('llvm-config-14') ?? onPath('llvm-config');
  if (!config) return undefined;
  const r = spawnSync(config, ['--version', '--cmakedir'], { encoding: 'utf8' });
  const [version, dir] = (r.stdout ?? '').trim().split('\n');
  return r.status === 0 && version?.startsWith('14.') && dir ? dir : undefined;
}

/** What is missing to build native code at all (cmake, a compiler), as words. */
function missingTools() {
  const missing = [];
  if (!onPath('cmake')) missing.push('cmake');
  const cxx = process.env.CXX || onPath('c++') || onPath('g++') || onPath('clang++');
  if (!cxx) missing.push('a C++17 compiler');
  return missing;
}

function cmakeJs(args) {
  const bin = createRequire(import.meta.url).resolve('cmake-js/bin/cmake-js');
  execFileSync(process.execPath, [bin, 'compile', '-d', join(ROOT, 'native'), '--out',
    join(ROOT, 'native', 'build'), ...args], { stdio: 'inherit', cwd: ROOT });
}

function main() {
  const prebuilt = prebuiltLoads();
  const tools = missingTools();
  const llvm = process.env.KESTREL_SKIP_COMPILER === '1' ? undefined : llvmDir();
  if (prebuilt) say(`using the prebuilt runtime for ${PLATFORM}`);
  if (!prebuilt && tools.length) {
    console.error(`kestrel: no prebuilt runtime for ${PLATFORM} loads, and building it needs `
      + `${tools.join(' and ')} (not found on PATH). Install them and run \`npm rebuild kestrel\`.`);
    return 1;
  }
  if (!llvm || tools.length) {
    const why = tools.length ? `${tools.join(' and ')} not found on PATH` : 'LLVM 14 not found';
    if (!prebuilt) {
      say(`building the runtime from source, without the compiler part (${why}) ...`);
      cmakeJs(['--CDKESTREL_LLVM=OFF']);
    }
    say(`the compiler part (kestrel compile, compile()) is not built: ${why}. The runtime works; to `
      + `compile models, install ${NEEDS} and run \`npm rebuild kestrel\`.`);
    return 0;
  }
  // KESTREL_LLVM=ON explicitly: the CMake cache of an earlier build without LLVM says OFF.
  const llvmArg = [`--CDLLVM_DIR=${llvm}`, '--CDKESTREL_LLVM=ON'];
  if (!prebuilt) {
    say('building the runtime and the compiler part from source (a few minutes) ...');
    cmakeJs(llvmArg);
    say('done');
    return 0;
  }
  say('building the compiler part (the LLVM 14 back end addon, about a minute) ...');
  try {
    cmakeJs([...llvmArg, '--target', 'kestrel_llvm']);
    say('done');
  } catch (e) {
    // The runtime is usable: a failed compiler build must not fail the user's install.
    say(`building the compiler part failed (${e.message.split('\n')[0]}); the runtime works. It needs `
      + `${NEEDS}; fix that and run \`npm rebuild kestrel\`.`);
  }
  return 0;
}

process.exitCode = main();
