// quantize_linear / dequantize_linear vs the ONNX definitions: round half to even, saturation at
// the target's range (uint8, int8, int16, uint16), per-tensor, per-axis and blocked parameters,
// the requantisation form (mul: the scale is a multiplier), and infer's checks.
import { describe, expect, it } from 'vitest';
import { intRange } from '../../ir/ops/quant.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

const roundEven = (v: number): number => {
  const r = Math.round(v);
  return Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
};

function quantRef(x: number[], s: number[], z: number[], to: 'uint8' | 'int8' | 'int16' | 'uint16',
  param: (i: number) => number, mul = false): number[] {
  const [lo, hi] = intRange(to);
  return x.map((v, i) => {
    const k = param(i), f = Math.fround;
    const q = roundEven(mul ? f(v * s[k]) : f(v / s[k])) + z[k];
    return Math.min(Math.max(q, lo), hi);
  });
}

describe('quantize_linear', () => {
  const x = [-300, -2.5, -1.5, -0.5, 0, 0.5, 1.5, 2.5, 3.49, 70000];
  for (const to of ['uint8', 'int8', 'int16', 'uint16'] as const) {
    it(`per tensor to ${to}: half to even, saturating`, () => {
      const z = to.startsWith('u') ? [3] : [-2];
      const r = runTyped('quantize_linear', [tin('float32', [10], x), tin('float32', [], [0.5]),
        tin(to, [], z)], { axis: 0, block: 0, to, mul: 0 });
      expect(r.outputs[0]).toEqual(quantRef(x, [0.5], z, to, () => 0));
    });
  }
  it('per axis (axis 1 of NCHW-like data)', () => {
    const xs = Array.from({ length: 2 * 3 * 2 }, (_, i) => i * 1.7 - 9);
    const s = [0.5, 1, 2], z = [1, 128, 250];
    const r = runTyped('quantize_linear', [tin('float32', [2, 3, 2], xs), tin('float32', [3], s),
      tin('uint8', [3], z)], { axis: 1, block: 0, to: 'uint8', mul: 0 });
    expect(r.outputs[0]).toEqual(quantRef(xs, s, z, 'uint8', (i) => Math.floor(i / 2) % 3));
  });
  it('blocked along axis 1 (block 2, a ragged last block)', () => {
    const xs = Array.from({ length: 2 * 5 }, (_, i) => i * 3.3 - 12);
    const s = [0.5, 1, 2, 4, 0.25, 3], z = [0, 1, -1, 2, -2, 5];
    const r = runTyped('quantize_linear', [tin('float32', [2, 5], xs), tin('float32', [2, 3], s),
      tin('int8', [2, 3], z)], { axis: 1, block: 2, to: 'int8', mul: 0 });
    expect(r.outputs[0]).toEqual(quantRef(xs, s, z, 'int8',
      (i) => Math.floor(i / 5) * 3 + Math.floor((i % 5) / 2)));
  });
  it('requantisation: an accumulator times a per-channel multiplier', () => {
    const acc = [1000, -1000, 77, 513, 12345, -3];
    const m = [0.001, 0.25];
    const r = runTyped('quantize_linear', [tin('float32', [3, 2], acc), tin('float32', [2], m),
      tin('int8', [], [4])], { axis: 1, block: 0, to: 'int8', mul: 1 });
    expect(r.outputs[0]).toEqual(quantRef(acc, m, [4, 4], 'int8', (i) => i % 2, true));
  });
  it('rejects a per-axis scale of the wrong length and a float target', () => {
    expect(() => inferTyped('quantize_linear', [tin('float32', [2, 3], []), tin('float32', [2], []), null],
      { axis: 1, block: 0, to: 'uint8' })).toThrow(/KC0402/);
    expect(() => inferTyped('quantize_linear', [tin('float32', [2, 3], []), tin('float32', [], []), null],
      { axis: 1, block: 0, to: 'float32' })).toThrow(/KC0402/);
  });

  it('checks its attributes against the declared schema: unknown names, negative blocks, dtypes', () => {
    const ins = [tin('float32', [2, 4], []), tin('float32', [], []), null];
    expect(() => inferTyped('quantize_linear', ins, { axis: 1, blok: 2 })).toThrow(/KC0401.*blok/);
    expect(() => inferTyped('quantize_linear', ins, { axis: 1, block: -1 })).toThrow(/KC0401.*block/);
    expect(() => inferTyped('quantize_linear', ins, { to: 'uint9' })).toThrow(/KC0401.*to/);
    // the defaults apply: no target and no zero point quantize to uint8
    expect(inferTyped('quantize_linear', ins, {})[0]!.dtype).toBe('uint8');
  });
});

describe('dequantize_linear', () => {
  it('per tensor and per axis, int8/uint8/int32', () => {
    const q = [-128, -1, 0, 1, 127, 5];
    const r = runTyped('dequantize_linear', [tin('int8', [6], q), tin('float32', [], [0.25]), tin('int8',
      [], [-3])],
      { axis: 0, block: 0 });
    expect(r.outputs[0]).toEqual(q.map((v) => (v + 3) * 0.25));
    const u = [0, 10, 255, 128];
    const r2 = runTyped('dequantize_linear', [tin('uint8', [2, 2], u), tin('float32', [2], [2, 0.5]),
      tin('uint8', [2], [128, 10])], { axis: 0, block: 0 });
    expect(r2.outputs[0]).toEqual([(0 - 128) * 2, (10 - 128) * 2, (255 - 10) * 0.5, (128 - 10) * 0.5]);
    const r3 = runTyped('dequantize_linear', [tin('int32', [2], [100000, -7]), tin('float32', [], [0.5]),
      null],
      { axis: 0, block: 0 });
    expect(r3.outputs[0]).toEqual([50000, -3.5]);
  });
  it('rejects float input and a zero point of another dtype', () => {
    expect(() => inferTyped('dequantize_linear', [tin('float32', [2], []), tin('float32', [], []), null],
      { axis: 0, block: 0 })).toThrow(/KC0402/);
    expect(() => inferTyped('dequantize_linear', [tin('int8', [2], []), tin('float32', [], []),
      tin('uint8', [], [0])], { axis: 0, block: 0 })).toThrow(/KC0402/);
  });
});
