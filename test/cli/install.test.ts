// `cmake --install` of native/ for C/C++ users: the runtime library, kestrel_runtime.h, kestrel-run,
// a CMake package (find_package(kestrel) -> kestrel::runtime) and a relocatable pkg-config file.
// examples/cpp builds against the installed tree both ways and its run matches the Node API.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { mustRun, runProgram } from '../../tools/aarch64.js';
import { expectExampleOutput, nodeProbs, TINY_CNN } from '../helpers/cpp-example.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';
import pkg from '../../package.json' with { type: 'json' };

const dir = tempDir('kestrel-install-');
const prefix = join(dir, 'prefix'), so = join(dir, 'tiny_cnn.so');
let expected: Float32Array;

beforeAll(async () => {
  const build = join(dir, 'build');
  await mustRun('cmake', ['-S', join(REPO_ROOT, 'native'), '-B', build, '-DCMAKE_BUILD_TYPE=Release',
    '-DKESTREL_NODE_ADDONS=OFF']);
  await mustRun('nice', ['-n', '15', 'cmake', '--build', build, '--target', 'kestrel_vm', 'kestrel-run',
    '-j', '2']);
  await mustRun('cmake', ['--install', build, '--prefix', prefix]);
  await compile(TINY_CNN, { output: so });
  expected = await nodeProbs(so, 2);
}, 900_000);

describe('cmake --install', () => {
  it('installs the library, the header, kestrel-run, the CMake package and the pkg-config file', () => {
    for (const f of ['lib/libkestrel_vm.a', 'include/kestrel_runtime.h', 'bin/kestrel-run',
      'lib/cmake/kestrel/kestrelConfig.cmake', 'lib/cmake/kestrel/kestrelConfigVersion.cmake',
      'lib/cmake/kestrel/kestrelTargets.cmake', 'lib/pkgconfig/kestrel.pc']) {
      expect(existsSync(join(prefix, f)), f).toBe(true);
    }
    expect(readFileSync(join(prefix, 'include/kestrel_runtime.h'), 'utf8'))
      .toContain('#define KESTREL_DTYPE_INT64 6');
  });

  it('examples/cpp builds with find_package(kestrel) against the install and runs', async () => {
    const ex = join(dir, 'ex-cmake');
    await mustRun('cmake', ['-S', join(REPO_ROOT, 'examples', 'cpp'), '-B', ex, '-DKESTREL_FROM_INSTALL=ON',
      `-DCMAKE_PREFIX_PATH=${prefix}`]);
    await mustRun('cmake', ['--build', ex, '--target', 'embed']);
    expectExampleOutput(await runProgram(join(ex, 'embed'), [so, '2']), expected);
  }, 300_000);

  it('pkg-config gives the flags to build examples/cpp against the install', async () => {
    const env = `PKG_CONFIG_PATH=${join(prefix, 'lib', 'pkgconfig')}`;
    const version = await mustRun('sh', ['-c', `${env} pkg-config --modversion kestrel`]);
    expect(version.stdout.trim()).toBe(pkg.version);
    const embed = join(dir, 'embed-pc');
    await mustRun('sh', ['-c', `c++ -std=c++17 ${join(REPO_ROOT, 'examples', 'cpp', 'embed.cc')} -o ${embed} `
      + `$(${env} pkg-config --cflags --libs kestrel)`]);
    expectExampleOutput(await runProgram(embed, [so, '2']), expected);
  }, 300_000);
});
