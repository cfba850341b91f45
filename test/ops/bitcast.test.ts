// bitcast (ONNX BitCast) against a DataView reference: through the tensor-IR interpreter and
// compiled for the host (LLVM bitcast, float16 narrowed to half for its bits), plus the width check.

import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import type { DType } from '../../ir/dtype.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { node, vi, attrInt } from '../fixtures/onnx-builder.js';
import { buildModel } from '../helpers/models.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

type Arr = Float32Array | Float64Array | Int8Array | Uint8Array | Int16Array | Uint16Array | Int32Array
  | Uint32Array;
const ARRAYS: Partial<Record<DType, new (b: ArrayBuffer) => Arr>> = {
  float32: Float32Array, float64: Float64Array, int8: Int8Array, uint8: Uint8Array, int16: Int16Array,
  uint16: Uint16Array, int32: Int32Array, uint32: Uint32Array, float16: Uint16Array,
};

/** The same bytes read as `to` (the reference: what BitCast means). */
function reference(from: DType, to: DType, values: readonly number[]): number[] {
  const buf = new ArrayBuffer(8 * values.length);
  const src = new ARRAYS[from]!(buf).subarray(0, values.length);
  src.set(values);
  return Array.from(new ARRAYS[to]!(buf).subarray(0, values.length));
}

const CASES: [DType, DType, number[]][] = [
  ['float32', 'int32', [1, -2.5, 0, -0, Infinity, 3.4e38]],
  ['int32', 'float32', [0, 1065353216, -1082130432, 2139095040, 1]],
  ['uint32', 'int32', [0, 4294967295, 2147483648, 7]],
  ['int8', 'uint8', [-128, -1, 0, 127]],
  ['uint16', 'int16', [65535, 32768, 1, 0]],
];

describe('bitcast', () => {
  for (const [from, to, values] of CASES) {
    it(`${from} -> ${to} (interpreter)`, () => {
      const r = runTyped('bitcast', [tin(from, [values.length], values)], { to });
      expect(r.types[0]).toEqual({ dtype: to, shape: [values.length] });
      expect(r.outputs[0]).toEqual(reference(from, to, values));
    });
  }

  it('float16 <-> int16 (interpreter; float16 buffers hold the raw bits)', () => {
    // 1, -2, the largest half and the smallest subnormal: each value goes through a float register.
    const bits = [0x3c00, 0xc000, 0x7bff, 0x0001];
    const halves = runTyped('bitcast', [tin('int16', [4], bits)], { to: 'float16' }).outputs[0];
    expect(halves).toEqual(bits);
    expect(runTyped('bitcast', [tin('float16', [4], halves!)], { to: 'int16' }).outputs[0])
      .toEqual(bits.map((b) => (b << 16) >> 16));
  });

  it('compiled for the host: float32 -> int32 -> float32 and float16 -> uint16 -> float16', async () => {
    const s = await buildModel('bitcast', {
      nodes: [node('BitCast', ['x'], ['i'], [attrInt('to', 6)]),
        node('BitCast', ['i'], ['y'], [attrInt('to', 1)]),
        node('BitCast', ['h'], ['u'], [attrInt('to', 4)]),
        node('BitCast', ['u'], ['g'], [attrInt('to', 10)])],
      inputs: [vi('x', 1, [6]), vi('h', 10, [3])],
      outputs: [vi('i', 6, [6]), vi('y', 1, [6]), vi('u', 4, [3]), vi('g', 10, [3])],
      opset: 26, irVersion: 13,
    });
    try {
      const x = Float32Array.from([1, -2.5, 0, Infinity, NaN, 1e-40]);
      const h = Uint16Array.from([0x3c00, 0xfc00, 0x0001]);
      const out = await s.run({ x: new Tensor('float32', x, [6]), h: new Tensor('float16', h, [3]) });
      expect(Array.from(out['i']!.data as Int32Array)).toEqual(Array.from(new Int32Array(x.buffer)));
      expect(new Uint8Array((out['y']!.data as Float32Array).buffer)).toEqual(new Uint8Array(x.buffer));
      expect(Array.from(out['u']!.data as Uint16Array)).toEqual(Array.from(h));
      expect(Array.from(out['g']!.data as Uint16Array)).toEqual(Array.from(h));
    } finally {
      s.dispose();
    }
  });

  it('a target of another width -> KC0402', () => {
    expect(() => inferTyped('bitcast', [tin('float64', [2], [1, 2])], { to: 'uint32' })).toThrow(/KC0402/);
    expect(() => inferTyped('bitcast', [tin('bool', [2], [1, 0])], { to: 'int16' })).toThrow(/KC0402/);
  });
});
