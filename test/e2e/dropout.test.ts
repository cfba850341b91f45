// Dropout at inference, end to end: y is x and the optional mask output is all true, with the
// input's (symbolic) shape; training mode with a known non-zero ratio is unsupported (KC0301; the
// run-time flag is test/frontend/stats-expand.test.ts).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { BOOL, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';

describe('e2e: Dropout with its mask output', () => {
  let s: Session;
  beforeAll(async () => {
    s = await buildModel('dropout_mask', {
      nodes: [node('Dropout', ['x', 'r'], ['y', 'm']), node('Not', ['m'], ['n'])],
      inputs: [vi('x', FLOAT, ['a', 3]), vi('r', FLOAT, [])],
      outputs: [vi('y', FLOAT, ['a', 3]), vi('m', BOOL, ['a', 3]), vi('n', BOOL, ['a', 3])], opset: 13,
    });
  }, 120_000);
  afterAll(() => s?.dispose());
  for (const rows of [1, 4]) {
    it(`${rows} rows`, async () => {
      const x = Array.from({ length: rows * 3 }, (_, i) => i - 2.5);
      const out = await s.run({ x: f32([rows, 3], x), r: f32([], [0.5]) });
      expect(floats(out.y)).toEqual(x);
      expect(out.m.dims).toEqual([rows, 3]);
      expect(Array.from(out.m.data as Uint8Array)).toEqual(new Array(rows * 3).fill(1));
      expect(Array.from(out.n.data as Uint8Array)).toEqual(new Array(rows * 3).fill(0));
    });
  }
  it('training mode with a known non-zero ratio is unsupported (onnx\'s random stream)', async () => {
    const err = await buildModel('dropout_training', {
      nodes: [node('Dropout', ['x', 'r', 't'], ['y'])],
      inputs: [vi('x', FLOAT, [2])], outputs: [vi('y', FLOAT, [2])], opset: 13,
      initializers: [floatTensor('r', [], [0.5]), { name: 't', dims: [], dataType: BOOL, int32Data: [1] }],
    }).catch((e: unknown) => e);
    expect(String((err as Error).message)).toMatch(/KC0301.*Dropout in training mode.*numpy random stream/);
  });
});
