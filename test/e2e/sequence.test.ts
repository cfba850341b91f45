// ONNX sequences end to end: small models built here (SequenceConstruct/Insert/At/Length/Erase,
// ConcatFromSequence, SplitToSequence, a Loop carrying a sequence, SequenceMap), and sequence
// graph inputs/outputs through session.run (Tensor[] in and out, IoInfo.kind).

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { KestrelError } from '../../runtime-vm/errors.js';
import { attrGraph, attrInt, BOOL, FLOAT, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats, i64 } from '../helpers/models.js';

const build = buildModel;
const seqVi = (name: string, elemType: number, dims?: (number | string)[]) => ({
  name, type: { sequenceType: { elemType: { tensorType: { elemType,
    ...(dims ? { shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d }
      : { dimParam: d })) } } : {}) } } } },
});
const asSeq = (v: unknown): Tensor[] => v as Tensor[];

describe('e2e: sequences', () => {
  describe('construct, insert, erase, at, length and concat inside one model', () => {
    let s: Session;
    beforeAll(async () => {
      s = await build('ops', {
        opset: 17,
        nodes: [
          node('SequenceConstruct', ['a', 'b'], ['s0']),
          node('SequenceInsert', ['s0', 'c', 'front'], ['s1']), // [c, a, b]
          node('SequenceErase', ['s1'], ['s2']), // [c, a]
          node('SequenceLength', ['s1'], ['n']),
          node('SequenceAt', ['s1', 'last'], ['at']), // b
          node('ConcatFromSequence', ['s2'], ['cat'], [attrInt('axis', 1)]),
          node('ConcatFromSequence', ['s1'], ['stack'], [attrInt('axis', 0), attrInt('new_axis', 1)]),
        ],
        inputs: [vi('a', FLOAT, [2, 'k']), vi('b', FLOAT, [2, 'k']), vi('c', FLOAT, [2, 'k']),
          vi('front', INT64, []), vi('last', INT64, [])],
        outputs: [vi('n', INT64, []), vi('at', FLOAT, [2, 'k']), vi('cat', FLOAT, [2, null]),
          vi('stack', FLOAT, [3, 2, 'k'])],
      });
    }, 120_000);
    afterAll(() => s?.dispose());

    it('computes every result', async () => {
      const a = f32([2, 2], [1, 2, 3, 4]), b = f32([2, 2], [5, 6, 7, 8]), c = f32([2, 2], [9, 10, 11, 12]);
      const out = await s.run({ a, b, c, front: i64([], [0]), last: i64([], [-1]) });
      expect(Number((out.n.data as BigInt64Array)[0])).toBe(3);
      expect(floats(out.at)).toEqual([5, 6, 7, 8]);
      expect(out.cat.dims).toEqual([2, 4]);
      expect(floats(out.cat)).toEqual([9, 10, 1, 2, 11, 12, 3, 4]);
      expect(out.stack.dims).toEqual([3, 2, 2]);
      expect(floats(out.stack)).toEqual([9, 10, 11, 12, 1, 2, 3, 4, 5, 6, 7, 8]);
    });

    it('fails cleanly on a position out of range (KR0205)', async () => {
      const t = f32([2, 1], [1, 2]);
      await expect(s.run({ a: t, b: t, c: t, front: i64([], [0]), last: i64([], [3]) }))
        .rejects.toMatchObject({ code: 'KR0205' });
    });
  });

  describe('sequence graph input and output (Tensor[] through session.run)', () => {
    let s: Session;
    beforeAll(async () => {
      s = await build('io', {
        opset: 17,
        nodes: [node('SequenceInsert', ['s', 't'], ['out']), node('SequenceLength', ['s'], ['n'])],
        inputs: [seqVi('s', FLOAT), vi('t', FLOAT, [null])],
        outputs: [seqVi('out', FLOAT), vi('n', INT64, [])],
      });
    }, 120_000);
    afterAll(() => s?.dispose());

    it('describes the kinds', () => {
      expect(s.inputs.map((i) => i.kind)).toEqual(['sequence', 'tensor']);
      expect(s.outputs.map((o) => o.kind)).toEqual(['sequence', 'tensor']);
    });

    it('takes and returns arrays of tensors, the empty sequence included', async () => {
      const out = await s.run({ s: [f32([2], [1, 2]), f32([3], [3, 4, 5])], t: f32([1], [6]) });
      expect(asSeq(out.out).map(floats)).toEqual([[1, 2], [3, 4, 5], [6]]);
      expect(Number((out.n.data as BigInt64Array)[0])).toBe(2);
      const empty = await s.run({ s: [], t: f32([2], [7, 8]) });
      expect(asSeq(empty.out).map(floats)).toEqual([[7, 8]]);
    });

    it('rejects a tensor where a sequence is expected, and a wrong element dtype', async () => {
      await expect(s.run({ s: f32([1], [1]) as unknown as Tensor[], t: f32([1], [1]) }))
        .rejects.toBeInstanceOf(KestrelError);
      await expect(s.run({ s: [i64([1], [1])], t: f32([1], [1]) })).rejects.toMatchObject({ code: 'KR0102' });
    });
  });

  describe('SplitToSequence (sizes, a run-time scalar split, default split without keepdims)', () => {
    let s: Session;
    beforeAll(async () => {
      s = await build('split', {
        opset: 17,
        nodes: [
          node('SplitToSequence', ['x', 'sizes'], ['p']),
          node('SplitToSequence', ['x', 'chunk'], ['q'], [attrInt('axis', 1)]),
          node('SplitToSequence', ['x'], ['r'], [attrInt('keepdims', 0)]),
          node('SplitToSequence', ['x', 'many'], ['u'], [attrInt('axis', 1)]),
        ],
        inputs: [vi('x', FLOAT, [3, 'w']), vi('sizes', INT64, [2]), vi('chunk', INT64, []),
          vi('many', INT64, ['m'])],
        outputs: [seqVi('p', FLOAT), seqVi('q', FLOAT), seqVi('r', FLOAT), seqVi('u', FLOAT)],
      });
    }, 120_000);
    afterAll(() => s?.dispose());

    it('splits', async () => {
      const x = f32([3, 5], Array.from({ length: 15 }, (_, i) => i));
      const out = await s.run({ x, sizes: i64([2], [1, 2]), chunk: i64([], [2]), many: i64([3], [0, 4, 1]) });
      expect(asSeq(out.p).map((t) => t.dims)).toEqual([[1, 5], [2, 5]]);
      expect(asSeq(out.q).map((t) => t.dims)).toEqual([[3, 2], [3, 2], [3, 1]]);
      expect(floats(asSeq(out.q)[2])).toEqual([4, 9, 14]);
      expect(asSeq(out.r).map((t) => t.dims)).toEqual([[5], [5], [5]]);
      expect(floats(asSeq(out.r)[1])).toEqual([5, 6, 7, 8, 9]);
      expect(asSeq(out.u).map((t) => t.dims)).toEqual([[3, 0], [3, 4], [3, 1]]);
      expect(floats(asSeq(out.u)[2])).toEqual([4, 9, 14]);
    });

    it('fails cleanly when run-time sizes do not add up (KR0204)', async () => {
      const x = f32([3, 5], Array.from({ length: 15 }, (_, i) => i));
      await expect(s.run({ x, sizes: i64([2], [1, 2]), chunk: i64([], [2]), many: i64([2], [1, 1]) }))
        .rejects.toMatchObject({ code: 'KR0204' });
    });
  });

  describe('a Loop carrying a sequence that grows, and SequenceMap', () => {
    let s: Session;
    beforeAll(async () => {
      const body = {
        name: 'body',
        node: [
          node('Cast', ['i'], ['fi'], [attrInt('to', FLOAT)]),
          node('Expand', ['fi', 'shape'], ['v']),
          node('SequenceInsert', ['acc', 'v'], ['acc_out']),
          node('Identity', ['cond'], ['cond_out']),
        ],
        input: [vi('i', INT64, []), vi('cond', BOOL, []), seqVi('acc', FLOAT)],
        output: [vi('cond_out', BOOL, []), seqVi('acc_out', FLOAT)],
      };
      const mapBody = {
        name: 'map', node: [node('Add', ['e', 'e'], ['d'])],
        input: [vi('e', FLOAT, ['n'])], output: [vi('d', FLOAT, ['n'])],
      };
      s = await build('loop', {
        opset: 17,
        nodes: [
          node('SequenceEmpty', [], ['empty'], [attrInt('dtype', FLOAT)]),
          node('Loop', ['trips', '', 'empty'], ['grown'], [attrGraph('body', body)]),
          node('SequenceMap', ['xs'], ['doubled'], [attrGraph('body', mapBody)]),
        ],
        inputs: [vi('trips', INT64, []), vi('shape', INT64, [1]), seqVi('xs', FLOAT, ['m'])],
        outputs: [seqVi('grown', FLOAT), seqVi('doubled', FLOAT)],
      });
    }, 120_000);
    afterAll(() => s?.dispose());

    it('collects one tensor per iteration and maps over them', async () => {
      const xs = [f32([1], [1]), f32([3], [2, 3, 4])];
      const out = await s.run({ trips: i64([], [3]), shape: i64([1], [2]), xs });
      expect(asSeq(out.grown).map(floats)).toEqual([[0, 0], [1, 1], [2, 2]]);
      expect(asSeq(out.doubled).map(floats)).toEqual([[2], [4, 6, 8]]);
      const none = await s.run({ trips: i64([], [0]), shape: i64([1], [2]), xs: [] });
      expect(asSeq(none.grown)).toEqual([]);
      expect(asSeq(none.doubled)).toEqual([]);
    });
  });
});
