// center_crop_pad (ir/ops/crop-pad.ts) through the reference interpreter vs a JS transcription of
// the ONNX reference (crop slices and pad slices per axis, even and odd differences), for crops,
// pads, both at once, axis subsets and negative axes; the shape relation's failures.
import { describe, expect, it } from 'vitest';
import { forEachIndex, prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

function cropPadRef(x: number[], xs: number[], target: number[], axes: number[]): [number[], number[]] {
  const shape = [...xs], crop = xs.map(() => 0), pad = xs.map(() => 0);
  axes.forEach((ax, k) => {
    const d = xs[ax], s = target[k];
    if (s < d) crop[ax] = Math.floor((d - s) / 2);
    if (s > d) pad[ax] = Math.floor((s - d) / 2);
    shape[ax] = s;
  });
  const st = strides(xs), out: number[] = [];
  forEachIndex(shape, (o) => {
    const src = o.map((v, k) => v - pad[k] + crop[k]);
    out.push(src.every((v, k) => v >= 0 && v < xs[k]) ? x[src.reduce((a, v, k) => a + v * st[k], 0)] : 0);
  });
  return [shape, out];
}

function check(xs: number[], target: number[], axes?: number[]): void {
  const x = Array.from({ length: prod(xs) }, (_, i) => i + 1);
  const r = runTyped('center_crop_pad', [tin('float32', xs, x), tin('int64', [target.length], target, true)],
    axes ? { axes } : {});
  expect(r.status).toBe(0);
  const norm = (axes ?? xs.map((_, i) => i)).map((a) => (a < 0 ? a + xs.length : a));
  const [shape, want] = cropPadRef(x, xs, target, norm);
  expect(r.types[0].shape).toEqual(shape);
  expect(r.outputs[0]).toEqual(want);
}

describe('center_crop_pad', () => {
  it('crops by even and odd amounts', () => check([6, 7, 3], [4, 4, 3]));
  it('pads by even and odd amounts', () => check([2, 3], [4, 6]));
  it('crops one axis and pads another', () => check([5, 2, 3], [2, 5, 3]));
  it('an axis subset, negative axes', () => {
    check([3, 8, 9], [5, 4], [1, 2]);
    check([8, 9, 3], [10, 4], [-3, -2]);
  });
  it('rejects a shape with the wrong number of entries or negative lengths', () => {
    const x = tin('float32', [4, 4], new Array<number>(16).fill(0));
    const three = tin('int64', [3], [1, 2, 3], true);
    expect(() => inferTyped('center_crop_pad', [x, three], {})).toThrow(/KC0402/);
    const negative = tin('int64', [2], [2, -1], true);
    expect(() => inferTyped('center_crop_pad', [x, negative], {})).toThrow(/KC0402/);
    const floats = tin('float32', [2], [2, 2], true);
    expect(() => inferTyped('center_crop_pad', [x, floats], {})).toThrow(/KC0402/);
  });
});
