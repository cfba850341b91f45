// The elementwise decompositions (ir/ops/elementwise-formulas.ts) at the edges the ONNX conformance
// cases do not reach: Gelu's tanh mode against its own formula and against erf mode, Softplus and
// Mish at large |x| (the naive log(1 + e^x) overflows), sinh near 0, asinh/acosh of huge |x|, acos
// near 1, BitShift of 64-bit values, and dtype errors. Run through the tir reference interpreter
// in float32 (every operation rounded), against float64 references.
import { describe, expect, it } from 'vitest';
import type { DType } from '../../ir/dtype.js';
import type { Attrs } from '../../ir/graph.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

const run1 = (op: string, xs: number[], attrs: Attrs = {}, dtype: DType = 'float32'): number[] =>
  runTyped(op, [tin(dtype, [xs.length], xs)], attrs).outputs[0];

/** Relative error, with an absolute floor of `abs` for values near zero. */
function expectNear(got: number[], want: number[], rel: number, abs = 0): void {
  got.forEach((g, i) => {
    const w = want[i];
    if (!(Math.abs(g - w) <= rel * Math.abs(w) + abs)) throw new Error(`at ${i}: got ${g}, want ${w}`);
  });
}

const geluTanh = (x: number) => 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (x + 0.044715 * x ** 3)));
const softplus = (x: number) => Math.max(x, 0) + Math.log1p(Math.exp(-Math.abs(x)));

describe('activations', () => {
  it('gelu approximate=tanh follows the tanh formula and differs from erf mode', () => {
    const xs = [-6, -3, -1, -0.5, 0, 0.25, 1, 2.5, 5, 30, -30];
    expectNear(run1('gelu', xs, { approximate: 'tanh' }), xs.map(geluTanh), 1e-6, 1e-7);
    const [tanh1] = run1('gelu', [1], { approximate: 'tanh' });
    const [erf1] = run1('gelu', [1], { approximate: 'none' });
    expect(tanh1).toBeCloseTo(0.841192, 5);
    expect(erf1).toBeCloseTo(0.841345, 5);
  });

  it('softplus and mish stay finite and exact for large |x|', () => {
    const xs = [-200, -90, -20, -1, 0, 1, 20, 90, 200, 1e30];
    expectNear(run1('softplus', xs), xs.map(softplus), 1e-6, 1e-30);
    expectNear(run1('mish', xs), xs.map((x) => x * Math.tanh(softplus(x))), 1e-6, 1e-6);
    expect(run1('softplus', [Infinity, -Infinity])).toEqual([Infinity, 0]);
    expect(Number.isNaN(run1('mish', [NaN])[0])).toBe(true);
  });

  it('hard_swish, celu, shrink, thresholded_relu at their break points', () => {
    expectNear(run1('hard_swish', [-3, -1.5, 0, 1.5, 3, 4]), [0, -0.375, 0, 1.125, 3, 4], 1e-6);
    expectNear(run1('celu', [-1, 0, 2], { alpha: 2 }), [2 * Math.expm1(-0.5), 0, 2], 1e-6);
    expect(run1('shrink', [-1, -0.5, 0.2, 0.5, 2], { lambd: 0.5, bias: 0.25 }))
      .toEqual([-0.75, 0, 0, 0, 1.75]);
    expect(run1('thresholded_relu', [0.5, 1, 1.5], { alpha: 1 })).toEqual([0, 0, 1.5]);
  });
});

describe('trigonometric and hyperbolic identities', () => {
  it('sinh keeps relative accuracy near 0 and matches exp away from it', () => {
    const xs = [1e-20, -1e-6, 1e-3, 0.3, -0.49, 0.5, -2, 10];
    expectNear(run1('sinh', xs), xs.map(Math.sinh), 1e-6);
  });

  it('asinh and acosh of huge arguments do not overflow', () => {
    const xs = [1e20, 1e30, 3, 1.5];
    expectNear(run1('acosh', xs), xs.map(Math.acosh), 1e-6);
    const ys = [-1e20, -3, -1e-3, 0, 0.7, 1e30];
    expectNear(run1('asinh', ys), ys.map(Math.asinh), 1e-6, 1e-9);
  });

  it('acos near ±1 and asin at ±1 keep their limits', () => {
    const xs = [0.99999988, -0.99999988, 1, -1, 0, 0.5];
    expectNear(run1('acos', xs), xs.map((x) => Math.acos(Math.fround(x))), 1e-6);
    expectNear(run1('asin', [1, -1, 0.5, -0.9]), [1, -1, 0.5, -0.9].map(Math.asin), 1e-6);
    expect(Number.isNaN(run1('asin', [1.5])[0])).toBe(true);
  });

  it('atanh is exact near 0 and ±inf at ±1', () => {
    expect(run1('atanh', [1, -1])).toEqual([Infinity, -Infinity]);
    const xs = [1e-20, -1e-3, 0.3, -0.9, 0.999];
    expectNear(run1('atanh', xs), xs.map((x) => Math.atanh(Math.fround(x))), 1e-5);
  });
});

describe('bit_shift and bitwise dtypes', () => {
  const shift = (direction: string, dtype: DType, x: number[], s: number[]): number[] =>
    runTyped('bit_shift', [tin(dtype, [x.length], x), tin(dtype, [s.length], s)], { direction }).outputs[0];

  it('uint16 left shifts wrap and shifts past the width give 0', () => {
    expect(shift('LEFT', 'uint16', [1, 3, 0xffff, 5], [15, 15, 4, 16])).toEqual([0x8000, 0x8000, 0xfff0, 0]);
  });

  it('int16 right shifts are arithmetic, also by width - 1 and by negative counts', () => {
    expect(shift('RIGHT', 'int16', [-32768, -5, 5, 7, -7], [15, 1, 1, -1, 100])).toEqual([-1, -3, 2, 0, -1]);
  });

  it('floats are refused by bitwise ops, integers by float formulas, with KC0402', () => {
    const f = tin('float32', [2], [1, 2]);
    expect(() => inferTyped('and', [f, f], {})).toThrow(/KC0402/);
    expect(() => inferTyped('bit_shift', [f, f], { direction: 'LEFT' })).toThrow(/KC0402/);
    expect(() => inferTyped('mish', [tin('int32', [2], [1, 2])], {})).toThrow(/KC0402/);
  });
});
