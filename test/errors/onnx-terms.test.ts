// Run-time errors speak ONNX, not VM: a failing kernel assert (KR0202) names the ONNX nodes fused
// into the kernel call and what the assert checks; a tensor that cannot be allocated (KR0203) is
// named by its ONNX name and producing node. The artifact's debug table (manifest "debug") is what
// makes this possible; the session stays usable after each failure.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { FLOAT, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats, i64, ints } from '../helpers/models.js';

describe('kernel asserts in ONNX terms (KR0202)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await buildModel('gather_relu', {
      nodes: [node('Gather', ['x', 'idx'], ['g'], [{ name: 'axis', type: 2, i: 0 }], 'pick_rows'),
        node('Relu', ['g'], ['y'], [], 'relu_1')],
      inputs: [vi('x', FLOAT, [3, 2]), vi('idx', INT64, ['n'])],
      outputs: [vi('y', FLOAT, ['n', 2])],
    }, 1);
  });
  afterAll(() => s.dispose());

  it('an index out of range names the Gather node and the Relu fused into it; then a good run', async () => {
    const x = f32([3, 2], [1, -2, 3, -4, 5, -6]);
    const err = await s.run({ x, idx: i64([2], [0, 7]) }).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'KR0202' });
    const nodes = "nodes 'pick_rows' \\(Gather\\), 'relu_1' \\(Relu\\)";
    const kernel = '\\(kernel \\d+ kestrel_k\\d+_gather_relu, status 3\\)';
    expect(err!.message).toMatch(new RegExp(`^KR0202: ${nodes}: an index is out of range ${kernel}$`));
    expect(err).toMatchObject({ details: { node: 'pick_rows', opType: 'Gather' } });
    const out = await s.run({ x, idx: i64([2], [2, -3]) });
    expect(floats(out.y)).toEqual([5, 0, 1, 0]);
  });
});

describe('tensors in ONNX terms (KR0203)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await buildModel('cos_shape', {
      nodes: [node('ConstantOfShape', ['shape'], ['y'], [], 'fill_1')],
      inputs: [vi('shape', INT64, [2])],
      outputs: [vi('y', FLOAT, [null, null])],
    }, 1);
  });
  afterAll(() => s.dispose());

  it('a negative dim names the tensor and the node computing it, then a good run works', async () => {
    const err = await s.run({ shape: i64([2], [2, -3]) }).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'KR0203' });
    const tensor = "tensor 'y' (output of node 'fill_1' (ConstantOfShape))";
    expect(err!.message).toBe(`KR0203: ${tensor}: dimension 1 is negative (-3)`);
    const out = await s.run({ shape: i64([2], [2, 3]) });
    expect(out.y.dims).toEqual([2, 3]);
  });
});

describe('views in ONNX terms (KR0204)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await buildModel('reshape_data', {
      nodes: [node('Reshape', ['x', 'shape'], ['y'], [], 'reshape_1')],
      inputs: [vi('x', FLOAT, ['n']), vi('shape', INT64, [2])],
      outputs: [vi('y', FLOAT, [null, null])],
    }, 1);
  });
  afterAll(() => s.dispose());

  it('a reshape to another element count names the tensor and node, then a good run works', async () => {
    const x = f32([6], [1, 2, 3, 4, 5, 6]);
    const err = await s.run({ x, shape: i64([2], [4, 2]) }).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'KR0204', details: { tensor: 'y' } });
    const tensor = "tensor 'y' (output of node 'reshape_1' (Reshape))";
    expect(err!.message).toBe(`KR0204: ${tensor}: reshape of 6 elements to a shape of 8 elements`);
    const out = await s.run({ x, shape: i64([2], [3, 2]) });
    expect(out.y.dims).toEqual([3, 2]);
  });
});

describe('shape arithmetic in ONNX terms (KR0203)', () => {
  let s: Session;
  beforeAll(async () => {
    s = await buildModel('range_data', {
      nodes: [node('Range', ['start', 'limit', 'delta'], ['y'], [], 'range_1')],
      inputs: [vi('start', INT64, []), vi('limit', INT64, []), vi('delta', INT64, [])],
      outputs: [vi('y', INT64, [null])],
    }, 1);
  });
  afterAll(() => s.dispose());

  it('a division by zero while computing a shape names the node, then a good run works', async () => {
    const feeds = (d: number) => ({ start: i64([], [0]), limit: i64([], [5]), delta: i64([], [d]) });
    const err = await s.run(feeds(0)).then(() => undefined, (e: unknown) => e as Error);
    expect(err).toMatchObject({ code: 'KR0203', details: { node: 'range_1', opType: 'Range' } });
    const what = /integer \w+\(.*\) overflows or divides by zero$/;
    expect(err!.message).toMatch(new RegExp(`^KR0203: node 'range_1' \\(Range\\): ${what.source}`));
    expect(ints((await s.run(feeds(2))).y)).toEqual([0, 2, 4]);
  });
});
