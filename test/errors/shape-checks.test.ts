// Run-time shape checks: relations between symbolic dims that shape inference assumed but could
// not prove (broadcasts, Expand targets, matmul inner dims, concat dims) fail the run with KR0204
// and a message naming the ONNX node, its tensors and the dims seen; valid shapes (a symbolic dim
// that is 1 at run time included) keep working, and the session stays usable after a failure.

import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { compareTensors, dataSetDirs, readDataSet } from '../../tools/testdata.js';
import { load, type Session } from '../../runtime-vm/session.js';
import { FLOAT, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats, i64 } from '../helpers/models.js';
import { sharedDir, tempDir } from '../helpers/shared.js';

const iota = (n: number, scale = 1) => Array.from({ length: n }, (_, i) => (i + 1) * scale);

/** Numpy broadcast of two [1, x] rows, added: the JS reference. */
function addRows(a: number[], b: number[]): number[] {
  const n = Math.max(a.length, b.length);
  return Array.from({ length: n }, (_, i) => a[a.length === 1 ? 0 : i] + b[b.length === 1 ? 0 : i]);
}

describe('run-time broadcast checks', () => {
  let add: Session;
  beforeAll(async () => {
    add = await buildModel('bcast_add', {
      nodes: [node('Add', ['a', 'b'], ['y'], [], 'add_3')],
      inputs: [vi('a', FLOAT, [1, 'n']), vi('b', FLOAT, [1, 'm'])],
      outputs: [vi('y', FLOAT, [1, null])],
    }, 1);
  });
  afterAll(() => add.dispose());

  const run = (n: number, m: number) => add.run({ a: f32([1, n], iota(n)), b: f32([1, m], iota(m, 10)) });

  it('Add of [1,4] and [1,6] fails with KR0204 naming the node, tensors and dims', async () => {
    await expect(run(4, 6)).rejects.toMatchObject({
      code: 'KR0204',
      message: "KR0204: node 'add_3' (Add): inputs 'a' [1,4] and 'b' [1,6] cannot be broadcast",
    });
    expect(floats((await run(6, 6)).y)).toEqual(addRows(iota(6), iota(6, 10)));
  });

  it('equal dims and a run-time 1 still broadcast correctly, also right after a failure', async () => {
    for (const [n, m] of [[6, 6], [1, 6], [6, 1], [4, 6], [1, 1]]) {
      if (n === 4) {
        await expect(run(n, m)).rejects.toMatchObject({ code: 'KR0204' });
        continue;
      }
      const out = await run(n, m);
      expect(out.y.dims).toEqual([1, Math.max(n, m)]);
      expect(floats(out.y)).toEqual(addRows(iota(n), iota(m, 10)));
    }
  });
});

describe('run-time Expand checks', () => {
  let expand: Session;
  beforeAll(async () => {
    expand = await buildModel('expand', {
      nodes: [node('Expand', ['x', 'shape'], ['y'], [], 'expand_1')],
      inputs: [vi('x', FLOAT, ['r', 2]), vi('shape', INT64, [2])],
      outputs: [vi('y', FLOAT, [null, 2])],
    }, 1);
  });
  afterAll(() => expand.dispose());

  it('[2,2] -> [3,2] fails with KR0204; [1,2] -> [3,2] is correct', async () => {
    const bad = expand.run({ x: f32([2, 2], [1, 2, 3, 4]), shape: i64([2], [3, 2]) });
    await expect(bad).rejects.toMatchObject({
      code: 'KR0204',
      message: "KR0204: node 'expand_1' (Expand): input 'x' [2,2] cannot be expanded to shape 'shape' [3,2]",
    });
    const out = await expand.run({ x: f32([1, 2], [7, 8]), shape: i64([2], [3, 2]) });
    expect(out.y.dims).toEqual([3, 2]);
    expect(floats(out.y)).toEqual([7, 8, 7, 8, 7, 8]);
    const same = await expand.run({ x: f32([2, 2], [1, 2, 3, 4]), shape: i64([2], [1, 2]) });
    expect(floats(same.y)).toEqual([1, 2, 3, 4]);
  });
});

describe('run-time matmul and concat checks', () => {
  let mm: Session;
  beforeAll(async () => {
    mm = await buildModel('mm_inner', {
      nodes: [node('MatMul', ['a', 'b'], ['y'], [], 'mm'), node('Concat', ['y', 'c'], ['z'],
        [{ name: 'axis', type: 2, i: 0 }], 'cat')],
      inputs: [vi('a', FLOAT, [2, 'k1']), vi('b', FLOAT, ['k2', 3]), vi('c', FLOAT, [1, 'w'])],
      outputs: [vi('z', FLOAT, [null, null])],
    }, 1);
  });
  afterAll(() => mm.dispose());

  const feeds = (k1: number, k2: number, w = 3) => ({
    a: f32([2, k1], iota(2 * k1)), b: f32([k2, 3], iota(3 * k2)), c: f32([1, w], iota(w, -1)),
  });

  it('mismatched symbolic inner dims fail with KR0204, then a good run works', async () => {
    await expect(mm.run(feeds(4, 5))).rejects.toMatchObject({
      code: 'KR0204',
      message: "KR0204: node 'mm' (MatMul): inputs 'a' [2,4], 'b' [5,3]: matmul inner dims differ: 4 vs 5",
    });
    const out = await mm.run(feeds(2, 2));
    // [[1,2],[3,4]] x [[1,2,3],[4,5,6]], then the row c = [-1,-2,-3].
    expect(floats(out.z)).toEqual([9, 12, 15, 19, 26, 33, -1, -2, -3]);
  });

  it('concat inputs that differ off the axis fail with KR0204', async () => {
    await expect(mm.run(feeds(2, 2, 4))).rejects.toMatchObject({
      code: 'KR0204', message: "KR0204: node 'cat' (Concat): inputs 'y' [2,3] and 'c' [1,4] differ on axis 1",
    });
    expect((await mm.run(feeds(2, 2))).z.dims).toEqual([3, 3]);
  });
});

describe('bert_mini past its 512 positions', () => {
  it('sequence 600 fails with KR0204 (onnxruntime: invalid expand); then data set 0 matches', async () => {
    const dir = join(sharedDir(), 'models', 'bert_mini');
    const so = join(tempDir(), 'bert_mini.so');
    await compile(join(dir, 'model.onnx'), { output: so });
    const session = await load(so);
    try {
      const ones = (seq: number) => i64([1, seq], new Array<number>(seq).fill(1));
      const err = await session.run({ input_ids: ones(600), attention_mask: ones(600) })
        .then(() => undefined, (e: unknown) => e);
      expect(err).toMatchObject({ code: 'KR0204' });
      const where = /node '\/m\/embeddings\/Expand_1' \(Expand\): .*\[1,512\].*\[1,600\]/;
      expect(String((err as Error).message)).toMatch(where);
      const data = readDataSet(dataSetDirs(dir)[0]);
      const feeds = Object.fromEntries(session.inputs.map((io, i) => [io.name, data.inputs[i].tensor]));
      const out = await session.run(feeds);
      const c = compareTensors(out[session.outputs[0].name], data.outputs[0].tensor);
      expect(c.ok, c.message).toBe(true);
    } finally {
      session.dispose();
    }
  }, 120_000);
});

describe('run-time split and gather_elements checks', () => {
  let s: Session;
  beforeAll(async () => {
    s = await buildModel('split_ge', {
      nodes: [
        node('Split', ['x', 'sizes'], ['p', 'q'], [{ name: 'axis', type: 2, i: 0 }], 'split_1'),
        node('GatherElements', ['x', 'idx'], ['g'], [{ name: 'axis', type: 2, i: 0 }], 'ge_1'),
      ],
      inputs: [vi('x', FLOAT, ['n', 2]), vi('sizes', INT64, [2]), vi('idx', INT64, ['r', 'c'])],
      outputs: [vi('p', FLOAT, [null, 2]), vi('q', FLOAT, [null, 2]), vi('g', FLOAT, ['r', 'c'])],
    }, 1);
  });
  afterAll(() => s.dispose());

  const x = f32([3, 2], [1, 2, 3, 4, 5, 6]);
  it('split sizes that do not add up to the axis fail with KR0204', async () => {
    const message = "KR0204: node 'split_1' (Split): input 'x' [3,2]: split sizes add up to 4, axis 0 has 3";
    await expect(s.run({ x, sizes: i64([2], [2, 2]), idx: i64([1, 2], [0, 2]) }))
      .rejects.toMatchObject({ code: 'KR0204', message });
    expect(floats((await s.run({ x, sizes: i64([2], [2, 1]), idx: i64([1, 2], [0, 2]) })).q)).toEqual([5, 6]);
  });

  it('indices wider than the data off the axis fail with KR0204; valid ones work', async () => {
    const message = "KR0204: node 'ge_1' (GatherElements): indices 'idx' [1,3] exceed data 'x' [3,2] "
      + 'on axis 1';
    await expect(s.run({ x, sizes: i64([2], [1, 2]), idx: i64([1, 3], [0, 1, 2]) }))
      .rejects.toMatchObject({ code: 'KR0204', message });
    const out = await s.run({ x, sizes: i64([2], [1, 2]), idx: i64([1, 2], [2, 0]) });
    expect(floats(out.p)).toEqual([1, 2]);
    expect(floats(out.q)).toEqual([3, 4, 5, 6]);
    expect(floats(out.g)).toEqual([5, 2]);
  });
});
