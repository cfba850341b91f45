// nll_loss (ir/ops/loss.ts) against a JS reference: ranks 2 to 4, each reduction, with and
// without weights, ignore_index (negative too); a target out of range fails the kernel with
// INDEX_OUT_OF_RANGE unless it is the ignored index; shape errors are KC0402.
import { describe, expect, it } from 'vitest';
import { KernelStatus } from '../../ir/kernel-status.js';
import { expectClose, rand } from './harness.js';
import { prod } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

function nllRef(x: ArrayLike<number>, xs: number[], t: number[], w: number[] | undefined,
  reduction: string, ignore?: number): number[] {
  const [N, C] = xs, D = prod(xs.slice(2));
  const loss: number[] = [];
  let num = 0, den = 0;
  for (let n = 0; n < N; n++) {
    for (let s = 0; s < D; s++) {
      const c = t[n * D + s];
      const wt = c === ignore ? 0 : (w ? w[c] : 1);
      const l = c === ignore ? 0 : -x[(n * C + c) * D + s] * wt;
      loss.push(l); num += l; den += wt;
    }
  }
  return reduction === 'none' ? loss : [reduction === 'sum' ? num : num / den];
}

describe('nll_loss', () => {
  const shapes = [[3, 5], [2, 4, 3], [2, 3, 2, 5]];
  for (const xs of shapes) {
    for (const reduction of ['none', 'sum', 'mean']) {
      const variants = [[false, undefined], [true, undefined], [true, 1], [false, -2]] as const;
      for (const [weighted, ignore] of variants) {
        it(`${JSON.stringify(xs)} ${reduction} weight=${weighted} ignore=${ignore}`, () => {
          const C = xs[1], ts = [xs[0], ...xs.slice(2)];
          const x = Array.from(rand(prod(xs), 5));
          const t = Array.from({ length: prod(ts) }, (_, i) => (ignore !== undefined && i % 4 === 1 ? ignore
            : (i * 7 + 3) % C));
          const w = weighted ? Array.from({ length: C }, (_, i) => 0.5 + i / C) : undefined;
          const ins = [tin('float32', xs, x), tin('int64', ts, t), w ? tin('float32', [C], w) : null];
          const attrs = { reduction, ...(ignore === undefined ? {} : { ignoreIndex: ignore }) };
          const r = runTyped('nll_loss', ins, attrs);
          expect(r.status).toBe(0);
          expect(r.types[0].shape).toEqual(reduction === 'none' ? ts : []);
          expectClose(Float32Array.from(r.outputs[0]), nllRef(x, xs, t, w, reduction, ignore));
        });
      }
    }
  }
  it('a target outside [0, C) fails the kernel unless it is ignored', () => {
    const x = tin('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(runTyped('nll_loss', [x, tin('int64', [2], [0, 3]), null], { reduction: 'sum' }).status)
      .toBe(KernelStatus.INDEX_OUT_OF_RANGE);
    expect(runTyped('nll_loss', [x, tin('int64', [2], [-1, 0]), null], { reduction: 'none' }).status)
      .toBe(KernelStatus.INDEX_OUT_OF_RANGE);
    const ok = runTyped('nll_loss', [x, tin('int64', [2], [3, 1]), null],
      { reduction: 'sum', ignoreIndex: 3 });
    expect(ok.status).toBe(0);
    expect(ok.outputs[0]).toEqual([-5]);
  });
  it('bad ranks and dtypes -> KC0402, bad reduction -> KC0401', () => {
    const x = tin('float32', [2, 3], [1, 2, 3, 4, 5, 6]);
    expect(() => inferTyped('nll_loss', [x, tin('int64', [2, 1], [0, 0])], {})).toThrow(/KC0402/);
    expect(() => inferTyped('nll_loss', [x, tin('float32', [2], [0, 0])], {})).toThrow(/KC0402/);
    expect(() => inferTyped('nll_loss', [tin('float32', [3], [1, 2, 3]), tin('int64', [3], [0, 0, 0])], {}))
      .toThrow(/KC0402/);
    expect(() => inferTyped('nll_loss', [x, tin('int64', [2], [0, 0])], { reduction: 'avg' }))
      .toThrow(/KC0401/);
  });
});
