// Each load maps its own checked copy of the artifact (a memfd named /proc/self/fd/N, see
// native/src/runtime/map_verified.cc). glibc recognises loaded libraries by name, so a descriptor number
// reused after a dispose must never hand back another artifact's code; and rewriting the file
// after load() changes nothing in the loaded session.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { load } from '../../runtime-vm/index.js';
import { encodeModel, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { f32, floats } from '../helpers/models.js';
import { tempDir } from '../helpers/shared.js';

async function artifact(dir: string, op: string): Promise<string> {
  const model = join(dir, `${op}.onnx`), so = join(dir, `${op}.so`);
  writeFileSync(model, encodeModel({ nodes: [node(op, ['x'], ['y'])], inputs: [vi('x', FLOAT, [3])],
    outputs: [vi('y', FLOAT, [3])] }));
  await compile(model, { output: so });
  return so;
}

describe('loading from a private copy', () => {
  it('never confuses two artifacts, also when a descriptor number is reused', async () => {
    const dir = tempDir('kestrel-copies-');
    const relu = await artifact(dir, 'Relu'), neg = await artifact(dir, 'Neg');
    const x = { x: f32([3], [-1, 2, -3]) };
    for (let i = 0; i < 4; i++) {
      const a = await load(i % 2 ? relu : neg);
      expect(floats((await a.run(x)).y)).toEqual(i % 2 ? [0, 2, 0] : [1, -2, 3]);
      a.dispose();
    }
    const [a, b] = [await load(relu), await load(neg)];
    expect(floats((await a.run(x)).y)).toEqual([0, 2, 0]);
    expect(floats((await b.run(x)).y)).toEqual([1, -2, 3]);
    writeFileSync(relu, readFileSync(neg)); // the file changes under a loaded session
    expect(floats((await a.run(x)).y)).toEqual([0, 2, 0]);
    a.dispose();
    b.dispose();
  });
});
