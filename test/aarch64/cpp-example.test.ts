// examples/cpp cross-compiled for AArch64 (native/cmake/aarch64-linux-gnu.cmake) and run under
// qemu-aarch64 on tiny_cnn compiled with `--target aarch64`: its results match the Node API's on
// this machine for the same input. Fails (never skips) without the cross compiler or qemu.

import { join } from 'node:path';
import { describe, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { qemu, requireCrossTools } from '../../tools/aarch64.js';
import { buildExample, expectExampleOutput, nodeProbs, TINY_CNN } from '../helpers/cpp-example.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

describe('examples/cpp on AArch64 under qemu', () => {
  it('cross-builds, runs tiny_cnn (--target aarch64) and matches the Node API on the host', async () => {
    requireCrossTools();
    const dir = tempDir('kestrel-cpp-arm-');
    const toolchain = join(REPO_ROOT, 'native', 'cmake', 'aarch64-linux-gnu.cmake');
    const embed = await buildExample(join(dir, 'build'), toolchain);
    const armSo = join(dir, 'tiny_cnn-aarch64.so');
    const hostSo = join(dir, 'tiny_cnn-host.so');
    await compile(TINY_CNN, { output: armSo, target: 'aarch64' });
    await compile(TINY_CNN, { output: hostSo });
    expectExampleOutput(await qemu(embed, [armSo, '2']), await nodeProbs(hostSo, 2));
  }, 900_000);
});
