// A sequence grown from SequenceEmpty: its element type comes from the first tensor inserted (the
// empty sequence's unranked type is no constraint), so SequenceAt on it has a known rank; inserting
// at a position an empty sequence does not have still fails at run time, and a tensor of another
// dtype than SequenceEmpty's fails at compile time.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { attrInt, encodeModel, FLOAT, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats, i64 } from '../helpers/models.js';

const empty = (dtype = FLOAT) => node('SequenceEmpty', [], ['e'], [attrInt('dtype', dtype)]);

describe('SequenceInsert into SequenceEmpty', () => {
  it('types the sequence by the inserted tensor; SequenceAt reads each element', async () => {
    const s = await buildModel('seq-empty-insert', {
      opset: 12,
      nodes: [empty(), node('SequenceInsert', ['e', 'x'], ['s1']),
        node('SequenceInsert', ['s1', 'y'], ['s2']),
        node('SequenceInsert', ['s2', 'z', 'pos'], ['s3']), node('SequenceAt', ['s3', 'at'], ['out'])],
      inputs: [vi('x', FLOAT, [2, 3]), vi('y', FLOAT, [1, 3]), vi('z', FLOAT, [3, 3]),
        vi('pos', INT64, []), vi('at', INT64, [])],
      outputs: [vi('out', FLOAT, [null, 3])],
    });
    try {
      const x = [1, 2, 3, 4, 5, 6], y = [7, 8, 9], z = [10, 11, 12, 13, 14, 15, 16, 17, 18];
      const feeds = { x: f32([2, 3], x), y: f32([1, 3], y), z: f32([3, 3], z) };
      // z goes in at position 1: the sequence is [x, z, y].
      const want: [number[], number[]][] = [[[2, 3], x], [[3, 3], z], [[1, 3], y]];
      for (const [k, [dims, data]] of want.entries()) {
        const out = await s.run({ ...feeds, pos: i64([], [1]), at: i64([], [k]) });
        expect(out.out.dims).toEqual(dims);
        expect(floats(out.out)).toEqual(data);
      }
    } finally { s.dispose(); }
  });

  it('keeps the position check of an insert into the empty sequence', async () => {
    const s = await buildModel('seq-empty-pos', {
      opset: 12,
      nodes: [empty(), node('SequenceInsert', ['e', 'x', 'pos'], ['s1']),
        node('SequenceLength', ['s1'], ['n'])],
      inputs: [vi('x', FLOAT, [2]), vi('pos', INT64, [])], outputs: [vi('n', INT64, [])],
    });
    try {
      const out = await s.run({ x: f32([2], [1, 2]), pos: i64([], [0]) });
      expect(Number((out.n.data as BigInt64Array)[0])).toBe(1);
      await expect(s.run({ x: f32([2], [1, 2]), pos: i64([], [1]) }))
        .rejects.toMatchObject({ code: 'KR0205' });
    } finally { s.dispose(); }
  });

  it('rejects a tensor of another dtype than the empty sequence declares', () => {
    const bytes = encodeModel({
      opset: 12,
      nodes: [empty(INT64), node('SequenceInsert', ['e', 'x'], ['s1']),
        node('SequenceLength', ['s1'], ['n'])],
      inputs: [vi('x', FLOAT, [2])], outputs: [vi('n', INT64, [])],
    });
    expect(() => importOnnx(bytes)).toThrow(/KC0402.*SequenceInsert.*int64 cannot hold a float32/);
  });
});
