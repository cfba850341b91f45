// float16 Conv (ir/ops/conv.ts direct kernel, ir/ops/depthwise.ts) accumulates in float32 and
// rounds once at the store, as onnxruntime does: long reductions (a 1-D conv over 32 channels x 5
// taps, a 5x5 depthwise conv) stay within one float16 ulp of the exact sum, where a float16
// accumulator drifts by several.

import { describe, expect, it } from 'vitest';
import { halfToNumber, numberToHalf } from '../../ir/tir-interp.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { attrInt, attrInts, FLOAT16, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel } from '../helpers/models.js';

/** float16 bits of values near 0.3..1.3 (positive, so the sums grow and rounding accumulates). */
const halves = (n: number, k: number) =>
  Uint16Array.from({ length: n }, (_, i) => numberToHalf(0.8 + 0.5 * Math.sin(i * 1.7 + k)));
const ulp = (v: number) => 2 ** (Math.floor(Math.log2(Math.abs(v))) - 10);

function expectWithinUlp(got: Uint16Array, ref: number[]): void {
  expect(got.length).toBe(ref.length);
  got.forEach((h, i) => {
    const g = halfToNumber(h);
    expect(Math.abs(g - ref[i]), `out[${i}] = ${g}, exact ${ref[i]}`).toBeLessThanOrEqual(ulp(ref[i]));
  });
}

describe('e2e: float16 Conv accumulates in float32', () => {
  it('1-D conv over 32 channels x 5 taps', async () => {
    const C = 32, L = 12, K = 5, M = 3, OL = L - K + 1;
    const s = await buildModel('conv1d_fp16', {
      nodes: [node('Conv', ['x', 'w'], ['y'])],
      inputs: [vi('x', FLOAT16, [1, C, L]), vi('w', FLOAT16, [M, C, K])],
      outputs: [vi('y', FLOAT16, [1, M, OL])], opset: 17,
    });
    try {
      const x = halves(C * L, 1), w = halves(M * C * K, 2);
      const feeds = { x: new Tensor('float16', x, [1, C, L]), w: new Tensor('float16', w, [M, C, K]) };
      const y = (await s.run(feeds)).y.data as Uint16Array;
      const ref: number[] = [];
      for (let m = 0; m < M; m++) {
        for (let t = 0; t < OL; t++) {
          let acc = 0;
          for (let c = 0; c < C; c++) {
            for (let k = 0; k < K; k++) {
              acc += halfToNumber(w[(m * C + c) * K + k]) * halfToNumber(x[c * L + t + k]);
            }
          }
          ref.push(acc);
        }
      }
      expectWithinUlp(y, ref);
    } finally { s.dispose(); }
  }, 120_000);

  it('5x5 depthwise conv', async () => {
    const C = 4, H = 7, W = 9, K = 5, OH = H - K + 1, OW = W - K + 1;
    const s = await buildModel('dwconv_fp16', {
      nodes: [node('Conv', ['x', 'w'], ['y'], [attrInt('group', C), attrInts('kernel_shape', [K, K])])],
      inputs: [vi('x', FLOAT16, [1, C, H, W]), vi('w', FLOAT16, [C, 1, K, K])],
      outputs: [vi('y', FLOAT16, [1, C, OH, OW])], opset: 17,
    });
    try {
      const x = halves(C * H * W, 3), w = halves(C * K * K, 4);
      const y = (await s.run({ x: new Tensor('float16', x, [1, C, H, W]),
        w: new Tensor('float16', w, [C, 1, K, K]) })).y.data as Uint16Array;
      const ref: number[] = [];
      for (let c = 0; c < C; c++) {
        for (let i = 0; i < OH; i++) {
          for (let j = 0; j < OW; j++) {
            let acc = 0;
            for (let a = 0; a < K; a++) {
              for (let b = 0; b < K; b++) {
                acc += halfToNumber(w[(c * K + a) * K + b]) * halfToNumber(x[(c * H + i + a) * W + j + b]);
              }
            }
            ref.push(acc);
          }
        }
      }
      expectWithinUlp(y, ref);
    } finally { s.dispose(); }
  }, 120_000);
});
