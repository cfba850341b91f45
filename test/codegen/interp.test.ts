// The reference interpreter's own semantics: the conventions codegen is tested against.

import { describe, expect, it } from 'vitest';
import { erf, halfToNumber, numberToHalf, runKernel, wrapInt } from '../../ir/tir-interp.js';
import { buffer, div, floordiv, imm, load, loop, max, mod, store, variable } from '../../ir/tir-build.js';
import type { Kernel } from '../../ir/tir.js';

describe('tir-interp', () => {
  it('erf matches tabulated values', () => {
    const table: [number, number][] = [[0, 0], [0.1, 0.1124629160182849], [0.5, 0.5204998778130465],
      [1, 0.8427007929497149], [2, 0.9953222650189527], [2.5, 0.9995930479825550],
      [3, 0.9999779095030014], [-1.5, -0.9661051464753108]];
    for (const [x, y] of table) expect(Math.abs(erf(x) - y)).toBeLessThan(1e-14);
  });

  it('converts float16 with round-to-nearest-even', () => {
    expect(numberToHalf(1)).toBe(0x3c00);
    expect(numberToHalf(65504)).toBe(0x7bff);
    expect(numberToHalf(65520)).toBe(0x7c00);
    expect(halfToNumber(0x0001)).toBe(2 ** -24);
    expect(halfToNumber(numberToHalf(1 + 2 ** -11))).toBe(1);
    expect(Number.isNaN(halfToNumber(numberToHalf(NaN)))).toBe(true);
  });

  it('wraps integers and defines division by zero as 0', () => {
    expect(wrapInt(2 ** 31, 'int32')).toBe(-(2 ** 31));
    expect(wrapInt(300, 'uint8')).toBe(44);
    const [A, B, Q] = ['A', 'B', 'Q'].map((n) => buffer(n, 'int32'));
    const i = variable('i');
    const mk = (f: typeof div): Kernel => ({ name: 'k', buffers: [A, B, Q], scalars: [],
      body: loop(i, 3, store(Q, i, f(load(A, i), load(B, i)))) });
    const run = (f: typeof div): number[] => {
      const q = new Int32Array(3);
      runKernel(mk(f), [Int32Array.from([7, -2147483648, -7]), Int32Array.from([0, -1, 2]), q], []);
      return [...q];
    };
    expect(run(div)).toEqual([0, -2147483648, -3]);
    expect(run(floordiv)).toEqual([0, -2147483648, -4]);
    expect(run(mod)).toEqual([0, 0, 1]);
  });

  it('propagates NaN through max and returns assert codes', () => {
    const [X, Y] = ['X', 'Y'].map((n) => buffer(n, 'float32'));
    const i = variable('i');
    const k: Kernel = { name: 'relu', buffers: [X, Y], scalars: [],
      body: loop(i, 2, store(Y, i, max(load(X, i), imm(0, 'float32')))) };
    const y = new Float32Array(2);
    expect(runKernel(k, [Float32Array.from([NaN, -1]), y], [])).toBe(0);
    expect(Number.isNaN(y[0])).toBe(true);
    expect(y[1]).toBe(0);
    const failing: Kernel = { ...k, body: { kind: 'assert', cond: imm(0, 'bool'), code: 5 } };
    expect(runKernel(failing, [new Float32Array(2), y], [])).toBe(5);
  });
});
