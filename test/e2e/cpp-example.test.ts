// examples/cpp on this machine: built with CMake against native/ (no Node, no LLVM in its build),
// it loads tiny_cnn, prints its inputs, runs it twice around two API errors, and its results match
// the Node API's on the same input.

import { join } from 'node:path';
import { describe, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { runProgram } from '../../tools/aarch64.js';
import { buildExample, expectExampleOutput, nodeProbs, TINY_CNN } from '../helpers/cpp-example.js';
import { tempDir } from '../helpers/shared.js';

describe('examples/cpp: the runtime embedded in C++', () => {
  it('builds with CMake, runs tiny_cnn and matches the Node API', async () => {
    const dir = tempDir('kestrel-cpp-');
    const embed = await buildExample(join(dir, 'build'));
    const so = join(dir, 'tiny_cnn.so');
    await compile(TINY_CNN, { output: so });
    const r = await runProgram(embed, [so, '2']);
    expectExampleOutput(r, await nodeProbs(so, 2));
  }, 600_000);
});
