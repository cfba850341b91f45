// cum_sum / cum_prod (ir/ops/cumulative.ts) against a JS reference: every axis of ranks 1 to 3
// (negative too), exclusive and reverse, the axis as a run-time tensor and as a constant, int and
// float dtypes; an axis out of range fails the kernel with AXES_INVALID.
import { describe, expect, it } from 'vitest';
import { KernelStatus } from '../../ir/kernel-status.js';
import { expectClose } from './harness.js';
import { prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

function cumRef(x: number[], shape: number[], axis: number, isSum: boolean, excl: boolean, rev: boolean) {
  const a = axis < 0 ? axis + shape.length : axis, st = strides(shape), L = shape[a];
  const out = new Array<number>(x.length).fill(0);
  for (let e = 0; e < x.length; e++) {
    const c = Math.floor(e / st[a]) % L;
    let acc = isSum ? 0 : 1;
    for (let k = 0; k < L; k++) {
      const take = rev ? (excl ? k > c : k >= c) : (excl ? k < c : k <= c);
      if (take) acc = isSum ? acc + x[e + (k - c) * st[a]] : acc * x[e + (k - c) * st[a]];
    }
    out[e] = acc;
  }
  return out;
}

describe('cum_sum / cum_prod', () => {
  const shapes = [[7], [3, 4], [2, 3, 5]];
  for (const op of ['cum_sum', 'cum_prod']) {
    for (const shape of shapes) {
      for (let axis = -shape.length; axis < shape.length; axis++) {
        for (const [exclusive, reverse] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
          it(`${op} ${JSON.stringify(shape)} axis ${axis} exclusive ${exclusive} reverse ${reverse}`, () => {
            const x = Array.from({ length: prod(shape) }, (_, i) => ((i * 5) % 7) / 4 + 0.5);
            const konst = (axis + shape.length) % 2 === 0;
            const r = runTyped(op, [tin('float32', shape, x), tin('int64', [], [axis], konst)],
              { exclusive, reverse });
            expect(r.status).toBe(0);
            expectClose(Float32Array.from(r.outputs[0]),
              cumRef(x, shape, axis, op === 'cum_sum', !!exclusive, !!reverse));
          });
        }
      }
    }
  }
  it('int32 and int64 stay exact', () => {
    const x = [1, 2, 3, 4, 5, 6];
    for (const dt of ['int32', 'int64'] as const) {
      const r = runTyped('cum_sum', [tin(dt, [2, 3], x), tin('int32', [1], [1])], {});
      expect(r.outputs[0]).toEqual([1, 3, 6, 4, 9, 15]);
      const p = runTyped('cum_prod', [tin(dt, [2, 3], x), tin('int32', [1], [0])], { exclusive: 1 });
      expect(p.outputs[0]).toEqual([1, 1, 1, 1, 2, 3]);
    }
  });
  it('an axis out of range fails the kernel; bad inputs are KC0402', () => {
    const x = tin('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(runTyped('cum_sum', [x, tin('int64', [], [2])], {}).status).toBe(KernelStatus.AXES_INVALID);
    expect(runTyped('cum_sum', [x, tin('int64', [], [-3])], {}).status).toBe(KernelStatus.AXES_INVALID);
    expect(() => inferTyped('cum_sum', [x, tin('int64', [2], [0, 1])], {})).toThrow(/KC0402/);
    expect(() => inferTyped('cum_sum', [x, tin('float32', [], [0])], {})).toThrow(/KC0402/);
    expect(() => inferTyped('cum_sum', [tin('bool', [2], [1, 0]), tin('int64', [], [0])], {}))
      .toThrow(/KC0402/);
  });
});
