// InstanceNormalization, GroupNormalization, DepthToSpace and SpaceToDepth (composed of kestrel
// ops by compiler/frontend/onnx/ops/norm-expand.ts) compiled with a symbolic batch and run against
// plain JavaScript references; a group count that does not divide the channels fails with KC0402.

import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { attrFloat, attrInt, encodeModel, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';

const data = (n: number, seed: number): number[] =>
  Array.from({ length: n }, (_, i) => Math.sin(i * 1.7 + seed) * 3 + (i % 5) * 0.5);

/** Normalises each run of `len` consecutive elements, then scales/shifts by channel. */
function normRef(x: number[], len: number, eps: number, chan: (i: number) => number, s: number[],
  b: number[]): number[] {
  const out = new Array<number>(x.length);
  for (let o = 0; o < x.length; o += len) {
    const row = x.slice(o, o + len);
    const mean = row.reduce((a, v) => a + v, 0) / len;
    const v = row.reduce((a, t) => a + (t - mean) ** 2, 0) / len;
    row.forEach((t, i) => {
      out[o + i] = ((t - mean) / Math.sqrt(v + eps)) * s[chan(o + i)]! + b[chan(o + i)]!;
    });
  }
  return out;
}

async function runNorm(op: string, attrs: object[], n: number, c: number, hw: number[]): Promise<number[]> {
  const s = await buildModel(op.toLowerCase(), {
    nodes: [node(op, ['x', 's', 'b'], ['y'], attrs as never)],
    inputs: [vi('x', FLOAT, ['n', c, ...hw]), vi('s', FLOAT, [c]), vi('b', FLOAT, [c])],
    outputs: [vi('y', FLOAT, ['n', c, ...hw])], opset: 21,
  });
  const size = n * c * hw.reduce((a, d) => a * d, 1);
  try {
    const out = await s.run({ x: f32([n, c, ...hw], data(size, 1)), s: f32([c], data(c, 2)),
      b: f32([c], data(c, 3)) });
    return floats(out['y']!);
  } finally { s.dispose(); }
}

const close = (got: number[], want: number[]) =>
  got.forEach((g, i) => expect(Math.abs(g - want[i]!)).toBeLessThan(1e-4 + 1e-3 * Math.abs(want[i]!)));

describe('normalizations composed of layer_norm', () => {
  it('InstanceNormalization over each instance and channel', async () => {
    const [n, c, hw] = [2, 3, [2, 5]];
    const got = await runNorm('InstanceNormalization', [attrFloat('epsilon', 1e-3)], n, c, hw);
    close(got, normRef(data(n * c * 10, 1), 10, 1e-3, (i) => Math.floor(i / 10) % c, data(c, 2), data(c, 3)));
  });

  it('GroupNormalization over each group of channels', async () => {
    const [n, c, hw] = [2, 6, [3]];
    const got = await runNorm('GroupNormalization', [attrInt('num_groups', 2)], n, c, hw);
    close(got, normRef(data(n * c * 3, 1), 9, 1e-5, (i) => Math.floor(i / 3) % c, data(c, 2), data(c, 3)));
  });

  it('GroupNormalization with channels not a multiple of num_groups -> KC0402', () => {
    expect(() => importOnnx(encodeModel({
      nodes: [node('GroupNormalization', ['x', 's', 'b'], ['y'], [attrInt('num_groups', 2)])],
      inputs: [vi('x', FLOAT, [1, 3, 1]), vi('s', FLOAT, [3]), vi('b', FLOAT, [3])],
      outputs: [vi('y', FLOAT, [1, 3, 1])], opset: 21,
    }))).toThrow(/KC0402/);
  });
});

/** Reference DepthToSpace/SpaceToDepth on [N, C, H, W] by output coordinates. */
function blockRef(x: number[], [n, c, h, w]: number[], b: number, toSpace: boolean, crd: boolean): number[] {
  const out: number[] = [];
  const at = (ni: number, ci: number, hi: number, wi: number) => x[((ni * c + ci) * h + hi) * w + wi]!;
  const [oc, oh, ow] = toSpace ? [c / (b * b), h * b, w * b] : [c * b * b, h / b, w / b];
  for (let ni = 0; ni < n; ni++) for (let ci = 0; ci < oc; ci++) for (let hi = 0; hi < oh; hi++) {
    for (let wi = 0; wi < ow; wi++) {
      if (toSpace) {
        const [bh, bw] = [hi % b, wi % b];
        const src = crd ? ci * b * b + bh * b + bw : (bh * b + bw) * oc + ci;
        out.push(at(ni, src, Math.floor(hi / b), Math.floor(wi / b)));
      } else {
        const [blk, cin] = crd ? [ci % (b * b), Math.floor(ci / (b * b))] : [Math.floor(ci / c), ci % c];
        out.push(at(ni, cin, hi * b + Math.floor(blk / b), wi * b + (blk % b)));
      }
    }
  }
  return out;
}

describe('DepthToSpace and SpaceToDepth', () => {
  for (const [op, mode, shape] of [['DepthToSpace', 'DCR', [2, 8, 2, 3]],
    ['DepthToSpace', 'CRD', [1, 8, 3, 2]], ['SpaceToDepth', 'DCR', [2, 2, 4, 6]],
    ['SpaceToDepth', 'CRD', [1, 3, 2, 4]]] as const) {
    it(`${op} ${mode}, blocksize 2, symbolic batch`, async () => {
      const toSpace = op === 'DepthToSpace';
      const [n, c, h, w] = shape;
      const out = toSpace ? [c / 4, h * 2, w * 2] : [c * 4, h / 2, w / 2];
      const s = await buildModel(op.toLowerCase(), {
        nodes: [node(op, ['x'], ['y'], [attrInt('blocksize', 2), { name: 'mode', type: 3,
          s: new TextEncoder().encode(mode) }])],
        inputs: [vi('x', FLOAT, ['n', c, h, w])], outputs: [vi('y', FLOAT, ['n', ...out])], opset: 28,
      });
      try {
        const x = data(n * c * h * w, 4);
        const y = (await s.run({ x: new Tensor('float32', Float32Array.from(x), [...shape]) }))['y']!;
        expect(y.dims).toEqual([n, ...out]);
        const want = blockRef(Array.from(Float32Array.from(x)), [...shape], 2, toSpace, mode === 'CRD');
        expect(floats(y)).toEqual(want);
      } finally { s.dispose(); }
    });
  }
});
