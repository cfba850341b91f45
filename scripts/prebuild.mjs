#!/usr/bin/env node
// Builds the prebuilt runtime addons that the npm package ships, in the layout of prebuildify:
//   prebuilds/linux-x64/kestrel_runtime.node    (native build)
//   prebuilds/linux-arm64/kestrel_runtime.node  (cross-built with g++-aarch64-linux-gnu)
// Each is the runtime addon alone (VM, loader, verifier; no LLVM), configured with plain cmake
// against node-api-headers (N-API 8: one binary for every Node >= 20), with libstdc++ and libgcc
// linked statically and symbols stripped, so that it loads on a machine without a C++ toolchain.
// Run by `npm pack` (prepack). Usage: node scripts/prebuild.mjs [--arch x64|arm64 ...] [--check]
// Guarantees: exits non-zero when a requested build fails; --check only verifies that every
// prebuilt exists and names the right machine in its ELF header.
import { execFileSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, openSync, readSync, closeSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);

/** Per architecture: the toolchain file when cross-building from x86-64, and the ELF e_machine. */
const ARCHES = {
  x64: { cross: undefined, compiler: 'g++', machine: 62 },
  arm64: { cross: join(ROOT, 'native', 'cmake', 'aarch64-linux-gnu.cmake'), compiler: 'aarch64-linux-gnu-g++',
    machine: 183 },
};

const prebuiltPath = (arch) => join(ROOT, 'prebuilds', `linux-${arch}`, 'kestrel_runtime.node');

function elfMachine(path) {
  const fd = openSync(path, 'r');
  const b = Buffer.alloc(20);
  readSync(fd, b, 0, 20, 0);
  closeSync(fd);
  return b.readUInt32BE(0) === 0x7f454c46 ? b.readUInt16LE(18) : -1;
}

function build(arch) {
  const { cross, machine } = ARCHES[arch];
  if (process.arch !== 'x64' && arch !== process.arch) {
    throw new Error(`cross-building ${arch} is set up from x86-64 hosts only`);
  }
  const dir = join(ROOT, 'native', 'build', `prebuild-${arch}`);
  const configure = ['-S', join(ROOT, 'native'), '-B', dir, '-DCMAKE_BUILD_TYPE=Release',
    '-DKESTREL_LLVM=OFF', `-DCMAKE_JS_INC=${require('node-api-headers').include_dir}`,
    '-DCMAKE_SHARED_LINKER_FLAGS=-static-libstdc++ -static-libgcc -s',
    ...(arch !== process.arch && cross ? [`-DCMAKE_TOOLCHAIN_FILE=${cross}`] : [])];
  console.log(`prebuild ${arch}: cmake ${configure.join(' ')}`);
  execFileSync('cmake', configure, { stdio: 'inherit' });
  execFileSync('cmake', ['--build', dir, '--target', 'kestrel_runtime', '-j', '2'], { stdio: 'inherit' });
  const out = prebuiltPath(arch);
  mkdirSync(dirname(out), { recursive: true });
  copyFileSync(join(dir, 'kestrel_runtime.node'), out);
  if (elfMachine(out) !== machine) throw new Error(`${out} is not an ELF for ${arch}`);
  console.log(`prebuild ${arch}: ${out}`);
}

const { values } = parseArgs({ strict: true,
  options: { arch: { type: 'string', multiple: true }, check: { type: 'boolean' } } });
const arches = values.arch ?? Object.keys(ARCHES);
for (const arch of arches) {
  if (!(arch in ARCHES)) throw new Error(`unknown --arch ${arch}; known: ${Object.keys(ARCHES).join(', ')}`);
  if (values.check) {
    const p = prebuiltPath(arch);
    if (!existsSync(p) || elfMachine(p) !== ARCHES[arch].machine) {
      console.error(`prebuild --check: ${p} is missing or not for ${arch}`);
      process.exitCode = 1;
    }
  } else {
    build(arch);
  }
}
