// Reductions whose axes are a graph input (ir/ops/reduce-axes.ts), end to end: one artifact per
// model, run with different axes (negative, several, none, every one) against a JS reference; the
// output shape follows the axes. Axes out of range or repeated fail the run with KR0202 and the
// session keeps working.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { KestrelError } from '../../runtime-vm/errors.js';
import { attrInt, FLOAT, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats, i64 } from '../helpers/models.js';

type Step = (a: number, x: number) => number;
const OPS: Record<string, { init: number; step: Step; fin?: (a: number, n: number) => number }> = {
  ReduceSum: { init: 0, step: (a, x) => a + x },
  ReduceMax: { init: -Infinity, step: Math.max },
  ReduceMean: { init: 0, step: (a, x) => a + x, fin: (a, n) => a / n },
  ReduceLogSumExp: { init: 0, step: (a, x) => a + Math.exp(x), fin: Math.log },
};

/** The reduction of x (row-major, `shape`) over `axes` (empty: all); keepdims shape and values. */
function reduceRef(op: string, x: number[], shape: number[], axes: number[]):
  { dims: number[]; v: number[] } {
  const r = OPS[op];
  const red = (axes.length ? axes : shape.map((_, i) => i)).map((a) => (a < 0 ? a + shape.length : a));
  const dims = shape.map((d, i) => (red.includes(i) ? 1 : d));
  const acc = new Array<number>(dims.reduce((a, b) => a * b, 1)).fill(r.init);
  x.forEach((v, k) => {
    let rest = k, o = 0, scale = 1;
    for (let i = shape.length - 1; i >= 0; i--) {
      const c = rest % shape[i]; rest = Math.floor(rest / shape[i]);
      o += (red.includes(i) ? 0 : c) * scale; scale *= dims[i];
    }
    acc[o] = r.step(acc[o], v);
  });
  const n = red.reduce((p, a) => p * shape[a], 1);
  return { dims, v: acc.map((a) => (r.fin ? r.fin(a, n) : a)) };
}

const shape = [2, 3, 4];
const x = Array.from({ length: 24 }, (_, i) => ((i * 7) % 11) / 4 - 1);

describe('e2e: reductions with run-time axes', () => {
  for (const op of Object.keys(OPS)) {
    describe(`${op}, keepdims, axes of run-time length`, () => {
      let s: Session;
      beforeAll(async () => {
        s = await buildModel(`rt_axes_${op}`, {
          nodes: [node(op, ['x', 'axes'], ['y'], [attrInt('keepdims', 1)])],
          inputs: [vi('x', FLOAT, ['a', 'b', 'c']), vi('axes', INT64, ['k'])],
          outputs: [vi('y', FLOAT, [null, null, null])], opset: 18,
        });
      }, 120_000);
      afterAll(() => s?.dispose());
      for (const axes of [[1], [-1], [0, 2], [2, -3], [0, 1, 2], []]) {
        it(`axes ${JSON.stringify(axes)}`, async () => {
          const out = await s.run({ x: f32(shape, x), axes: i64([axes.length], axes) });
          const ref = reduceRef(op, x, shape, axes);
          expect(out.y.dims).toEqual(ref.dims);
          floats(out.y).forEach((v, i) => expect(v).toBeCloseTo(ref.v[i], 5));
        });
      }
      it('an axis out of range or repeated fails the run; the session still works', async () => {
        for (const bad of [[3], [-4], [1, 1], [0, -3]]) {
          const err = await s.run({ x: f32(shape, x), axes: i64([bad.length], bad) })
            .catch((e: unknown) => e);
          expect(err, JSON.stringify(bad)).toBeInstanceOf(KestrelError);
          expect((err as KestrelError).code).toBe('KR0202');
          expect((err as KestrelError).message).toMatch(/out of range or repeated/);
        }
        const out = await s.run({ x: f32(shape, x), axes: i64([1], [0]) });
        expect(out.y.dims).toEqual([1, 3, 4]);
      });
    });
  }

  describe('ReduceSum without keepdims, two axes', () => {
    let s: Session;
    beforeAll(async () => {
      s = await buildModel('rt_axes_sum_nokeep', {
        nodes: [node('ReduceSum', ['x', 'axes'], ['y'], [attrInt('keepdims', 0)])],
        inputs: [vi('x', FLOAT, [2, 3, 4]), vi('axes', INT64, [2])],
        outputs: [vi('y', FLOAT, [null])], opset: 13,
      });
    }, 120_000);
    afterAll(() => s?.dispose());
    for (const axes of [[0, 2], [2, 0], [-1, 1], [0, 1]]) {
      it(`axes ${JSON.stringify(axes)}`, async () => {
        const out = await s.run({ x: f32(shape, x), axes: i64([2], axes) });
        const ref = reduceRef('ReduceSum', x, shape, axes);
        const norm = axes.map((a) => (a < 0 ? a + 3 : a));
        expect(out.y.dims).toEqual(shape.filter((_, i) => !norm.includes(i)));
        floats(out.y).forEach((v, i) => expect(v).toBeCloseTo(ref.v[i], 5));
      });
    }
  });
});
