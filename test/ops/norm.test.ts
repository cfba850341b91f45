// softmax / log_softmax / lrn / batch_norm / layer_norm / rms_norm vs JS references; infer and errors.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/norm.js';
import { dimKey, sym } from '../../ir/dim.js';
import { expectClose, inferOp, runOp, tensor } from './harness.js';
import { prod } from './ref.js';

function softmaxRef(x: Float32Array, shape: number[], axis: number, coerce: boolean,
  log: boolean): Float32Array {
  const outer = prod(shape.slice(0, axis));
  const L = coerce ? prod(shape.slice(axis)) : shape[axis];
  const inner = coerce ? 1 : prod(shape.slice(axis + 1));
  const y = new Float32Array(x.length);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) {
    const at = (l: number) => (o * L + l) * inner + i;
    let mx = -Infinity, sum = 0;
    for (let l = 0; l < L; l++) mx = Math.max(mx, x[at(l)]);
    for (let l = 0; l < L; l++) sum += Math.exp(x[at(l)] - mx);
    for (let l = 0; l < L; l++) y[at(l)] = log ? x[at(l)] - mx - Math.log(sum)
      : Math.exp(x[at(l)] - mx) / sum;
  }
  return y;
}

describe('softmax / log_softmax', () => {
  const cases: [number[], number, number][] = [
    [[3, 37], 1, 0], [[2, 3, 20], 2, 0], [[2, 5, 4], 1, 0], [[4, 3, 5], 0, 0], [[2, 3, 4, 5], 1, 1],
    [[3, 32], 1, 0], [[2, 3, 7], 0, 1],
    // Outer axes, a vector of rows per step: inner 148 (9 vectors and a tail of 4), inner 32.
    [[1, 16, 4, 37], 1, 0], [[2, 16, 32], 1, 0],
  ];
  for (const op of ['softmax', 'log_softmax']) {
    for (const [shape, axis, coerce2d] of cases) {
      it(`${op} ${JSON.stringify(shape)} axis=${axis} coerce2d=${coerce2d}`, () => {
        const x = tensor(shape, 9);
        x.data.forEach((v, i) => { x.data[i] = v * 5; });
        const r = runOp(op, [x], { axis, coerce2d });
        expectClose(r.outputs[0], softmaxRef(x.data, shape, axis, !!coerce2d, op === 'log_softmax'));
      });
    }
  }
  it('symbolic row count at run time', () => {
    const x = { ...tensor([3, 4, 21], 2), dims: [sym('batch'), sym('seq'), 21] };
    const r = runOp('softmax', [x], { axis: 2, coerce2d: 0 });
    expectClose(r.outputs[0], softmaxRef(x.data, [3, 4, 21], 2, false, false));
  });
  // A symbolic row length (attention over a dynamic sequence): full chunks unmasked, then one
  // masked tail chunk only when the length turns out not to be a multiple of the vector.
  for (const L of [5, 16, 37]) {
    it(`symbolic row length ${L} (softmax and log_softmax)`, () => {
      const x = { ...tensor([3, L], 4), dims: [3, sym('seq')] };
      for (const op of ['softmax', 'log_softmax']) {
        const r = runOp(op, [x], { axis: 1, coerce2d: 0 });
        expectClose(r.outputs[0], softmaxRef(x.data, [3, L], 1, false, op === 'log_softmax'));
      }
    });
  }
  it('symbolic inner extent (a softmax over channels of a dynamic image), with and without a tail', () => {
    for (const w of [16, 21]) {
      const x = { ...tensor([2, 5, 3, w], 6), dims: [sym('n'), 5, 3, sym('w')] };
      for (const op of ['softmax', 'log_softmax']) {
        const r = runOp(op, [x], { axis: 1, coerce2d: 0 });
        expectClose(r.outputs[0], softmaxRef(x.data, [2, 5, 3, w], 1, false, op === 'log_softmax'));
      }
    }
  });
  it('axis out of range -> KC0401', () => {
    expect(() => inferOp('softmax', [{ dtype: 'float32', shape: [2, 3] }], { axis: 2 })).toThrow(/KC0401/);
  });
  it('keeps symbolic shape', () => {
    const [y] = inferOp('log_softmax', [{ dtype: 'float32', shape: [sym('b'), 10] }], { axis: 1 });
    expect(y.shape.map(dimKey)).toEqual(['b', '10']);
  });
});

describe('lrn', () => {
  const sizes = [[[1, 7, 3, 6], 3], [[2, 5, 4, 5], 4], [[1, 3, 17], 5]] as [number[], number][];
  for (const [shape, size] of sizes) {
    it(`${JSON.stringify(shape)} size=${size}`, () => {
      const x = tensor(shape, 3), [N, C] = shape, S = prod(shape.slice(2));
      const alpha = 0.3, beta = 0.75, bias = 2;
      const r = runOp('lrn', [x], { size, alpha, beta, bias });
      const ref = new Float32Array(x.data.length);
      for (let n = 0; n < N; n++) for (let c = 0; c < C; c++) for (let s = 0; s < S; s++) {
        let sq = 0;
        for (let k = c - Math.floor((size - 1) / 2); k <= c + Math.ceil((size - 1) / 2); k++) {
          if (k >= 0 && k < C) sq += x.data[(n * C + k) * S + s] ** 2;
        }
        const i = (n * C + c) * S + s;
        ref[i] = x.data[i] / (bias + (alpha / size) * sq) ** beta;
      }
      expectClose(r.outputs[0], ref);
    });
  }
  it('size 0 -> KC0401', () => {
    expect(() => inferOp('lrn', [{ dtype: 'float32', shape: [1, 3, 4, 4] }], { size: 0 })).toThrow(/KC0401/);
  });
});

describe('batch_norm', () => {
  it('per-channel affine (compute lowering)', () => {
    const shape = [2, 3, 4, 5], x = tensor(shape, 1);
    const sc = tensor([3], 2), b = tensor([3], 3), m = tensor([3], 4), v = tensor([3], 5);
    v.data.forEach((q, i) => { v.data[i] = Math.abs(q) + 0.1; });
    const r = runOp('batch_norm', [x, sc, b, m, v], { epsilon: 1e-3 });
    const ref = x.data.map((q, i) => {
      const c = Math.floor(i / 20) % 3;
      return (q - m.data[c]) * sc.data[c] / Math.sqrt(v.data[c] + 1e-3) + b.data[c];
    });
    expectClose(r.outputs[0], ref);
  });
  it('channel mismatch -> KC0402', () => {
    const f = (s: number[]) => ({ dtype: 'float32' as const, shape: s });
    expect(() => inferOp('batch_norm', [f([1, 3, 2, 2]), f([4]), f([3]), f([3]), f([3])],
      {})).toThrow(/KC0402/);
  });
});

describe('layer_norm', () => {
  const cases: [number[], number, boolean][] = [[[3, 20], 1, true], [[2, 3, 4, 5], 2, true],
    [[4, 33], 1, false]];
  for (const [shape, axis, withBias] of cases) {
    it(`${JSON.stringify(shape)} axis=${axis} bias=${withBias}`, () => {
      const x = tensor(shape, 1), L = prod(shape.slice(axis)), rows = x.data.length / L;
      const sc = tensor(shape.slice(axis), 2), b = withBias ? tensor(shape.slice(axis), 3) : null;
      const r = runOp('layer_norm', [x, sc, b], { axis, epsilon: 1e-5 });
      const ref = new Float32Array(x.data.length);
      for (let o = 0; o < rows; o++) {
        const row = x.data.subarray(o * L, (o + 1) * L);
        const mean = row.reduce((p, q) => p + q, 0) / L;
        const vr = row.reduce((p, q) => p + (q - mean) ** 2, 0) / L;
        for (let i = 0; i < L; i++) {
          ref[o * L + i] = (row[i] - mean) / Math.sqrt(vr + 1e-5) * sc.data[i] + (b ? b.data[i] : 0);
        }
      }
      expectClose(r.outputs[0], ref);
    });
  }
});

describe('rms_norm', () => {
  // [shape, axis (negative counts from the end), epsilon]
  const cases: [number[], number, number][] = [[[3, 20], 1, 1e-5], [[2, 3, 4, 5], -2, 1e-2],
    [[4, 33], 0, 1e-5], [[2, 17], -1, 0.5]];
  for (const [shape, axis, epsilon] of cases) {
    it(`${JSON.stringify(shape)} axis=${axis} epsilon=${epsilon}`, () => {
      const a = axis < 0 ? axis + shape.length : axis;
      const x = tensor(shape, 1), L = prod(shape.slice(a)), rows = x.data.length / L;
      const sc = tensor(shape.slice(a), 2);
      const r = runOp('rms_norm', [x, sc], { axis, epsilon });
      const ref = new Float32Array(x.data.length);
      for (let o = 0; o < rows; o++) {
        const row = x.data.subarray(o * L, (o + 1) * L);
        const ms = row.reduce((p, q) => p + q * q, 0) / L;
        for (let i = 0; i < L; i++) ref[o * L + i] = row[i] / Math.sqrt(ms + epsilon) * sc.data[i];
      }
      expectClose(r.outputs[0], ref);
    });
  }
  it('broadcasts a scale of lower rank over the normalised axes', () => {
    const x = tensor([2, 3, 4], 5), sc = tensor([4], 6);
    const r = runOp('rms_norm', [x, sc], { axis: 1 });
    const ref = new Float32Array(24);
    for (let o = 0; o < 2; o++) {
      const row = x.data.subarray(o * 12, o * 12 + 12);
      const ms = row.reduce((p, q) => p + q * q, 0) / 12;
      for (let i = 0; i < 12; i++) ref[o * 12 + i] = row[i] / Math.sqrt(ms + 1e-5) * sc.data[i % 4];
    }
    expectClose(r.outputs[0], ref);
  });
  it('axis out of range and a scale longer than the row -> KC0401 / KC0402', () => {
    expect(() => inferOp('rms_norm', [{ dtype: 'float32', shape: [2, 3] }, { dtype: 'float32', shape: [3] }],
      { axis: 2 })).toThrow(/KC0401/);
    const f32 = (shape: number[]) => ({ dtype: 'float32' as const, shape });
    expect(() => inferOp('rms_norm', [f32([2, 3]), f32([2, 3])], { axis: 1 })).toThrow(/KC0402/);
  });
});
