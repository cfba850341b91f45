// Nearest Resize by constant integer scales over symbolic dims, compiled (so the integer path of
// ir/ops/resize-int.ts runs as native code: repeated-lane loads in whole vectors, masked ones in
// the tails) against onnxruntime-node, element for element. Each transform / rounding pair the
// path claims, scales that do and do not divide the vector width, one axis or two, and widths
// below, at and past a vector. Pairs the path does not take (half_pixel with floor) and a
// fractional scale check that the general lowering, with its scales now constants, still agrees.

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { encodeModel, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, type ModelSpec } from '../helpers/models.js';

const str = (name: string, v: string) => ({ name, type: 3, s: new TextEncoder().encode(v) });

interface Case { coord: string; nearest: string; scales: number[] }
const CASES: Case[] = [
  { coord: 'asymmetric', nearest: 'floor', scales: [1, 1, 2, 2] },
  { coord: 'asymmetric', nearest: 'floor', scales: [1, 1, 3, 3] },
  { coord: 'asymmetric', nearest: 'floor', scales: [1, 1, 1, 4] },
  { coord: 'asymmetric', nearest: 'floor', scales: [1, 2, 2, 1] },
  { coord: 'half_pixel', nearest: 'round_prefer_floor', scales: [1, 1, 2, 2] },
  { coord: 'half_pixel', nearest: 'round_prefer_ceil', scales: [1, 1, 3, 5] },
  { coord: 'pytorch_half_pixel', nearest: 'round_prefer_floor', scales: [1, 1, 2, 2] },
  { coord: 'half_pixel_symmetric', nearest: 'round_prefer_ceil', scales: [1, 1, 2, 4] },
  { coord: 'tf_half_pixel_for_nn', nearest: 'floor', scales: [1, 1, 2, 2] },
  { coord: 'half_pixel', nearest: 'floor', scales: [1, 1, 2, 2] },
  { coord: 'asymmetric', nearest: 'floor', scales: [1, 1, 2, 1.5] },
];
const SHAPES = [[1, 2, 3, 5], [2, 3, 4, 8], [1, 2, 5, 13], [1, 1, 2, 20]];

const name = (c: Case) => `${c.coord} ${c.nearest} [${c.scales}]`;

function spec(c: Case): ModelSpec {
  return {
    nodes: [node('Resize', ['x', '', 'scales'], ['y'], [str('mode', 'nearest'),
      str('coordinate_transformation_mode', c.coord), str('nearest_mode', c.nearest)])],
    inputs: [vi('x', FLOAT, ['n', 'c', 'h', 'w'])],
    outputs: [vi('y', FLOAT, [null, null, null, null])],
    initializers: [floatTensor('scales', [4], c.scales)],
    opset: 13,
  };
}

describe('nearest Resize by integer scales, symbolic dims, vs onnxruntime', () => {
  const sessions = new Map<string, { k: Session; o: ort.InferenceSession }>();
  beforeAll(async () => {
    for (const c of CASES) {
      sessions.set(name(c), { k: await buildModel('resize_up', spec(c)),
        o: await ort.InferenceSession.create(encodeModel(spec(c))) });
    }
  }, 600_000);
  afterAll(() => sessions.forEach((s) => s.k.dispose()));

  for (const c of CASES) {
    it(name(c), async () => {
      const s = sessions.get(name(c))!;
      for (const dims of SHAPES) {
        const n = dims.reduce((a, b) => a * b);
        const x = Float32Array.from({ length: n }, (_, i) => ((i * 37) % 101) - 50 + i / 1024);
        const k = await s.k.run({ x: new Tensor('float32', x, dims) });
        const o = await s.o.run({ x: new ort.Tensor('float32', x, dims) });
        expect(k.y.dims, `${dims}`).toEqual(o.y.dims.map(Number));
        expect(Array.from(k.y.data as Float32Array), `${dims}`).toEqual(Array.from(o.y.data as Float32Array));
      }
    });
  }
});
