// float16 Softmax over the innermost axis (ir/ops/norm.ts) computes exp, the row sum and the
// scale in float32 and rounds once at the store: a 64-key row stays within one float16 ulp of the
// exact probabilities, where a float16 sum drifts further.

import { expect, it } from 'vitest';
import { halfToNumber, numberToHalf } from '../../ir/tir-interp.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { attrInt, FLOAT16, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel } from '../helpers/models.js';

it('e2e: float16 Softmax rows round once', async () => {
  const R = 3, L = 64;
  const s = await buildModel('softmax_fp16', {
    nodes: [node('Softmax', ['x'], ['y'], [attrInt('axis', -1)])],
    inputs: [vi('x', FLOAT16, [R, L])], outputs: [vi('y', FLOAT16, [R, L])], opset: 13,
  });
  try {
    const x = Uint16Array.from({ length: R * L }, (_, i) => numberToHalf(Math.sin(i * 0.37) * 0.3));
    const y = (await s.run({ x: new Tensor('float16', x, [R, L]) })).y.data as Uint16Array;
    for (let r = 0; r < R; r++) {
      const row = Array.from(x.slice(r * L, (r + 1) * L), halfToNumber);
      const m = Math.max(...row), e = row.map((v) => Math.exp(v - m)), z = e.reduce((a, b) => a + b, 0);
      e.forEach((v, j) => {
        const want = v / z, got = halfToNumber(y[r * L + j]);
        const ulp = 2 ** (Math.floor(Math.log2(want)) - 10);
        expect(Math.abs(got - want), `y[${r}, ${j}] = ${got}, exact ${want}`).toBeLessThanOrEqual(ulp);
      });
    }
  } finally { s.dispose(); }
}, 120_000);
