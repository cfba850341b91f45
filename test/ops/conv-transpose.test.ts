// conv_transpose vs a scatter reference (each input element adds x * w into the outputs its taps
// reach, the definition of a transposed convolution): groups, strides, dilations, asymmetric and
// negative pads, output padding, 1-D/2-D/3-D, bias; output dims over symbolic inputs and kernels.
import { describe, expect, it } from 'vitest';
import { type Dim, dimKey, sym } from '../../ir/dim.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { attrInts, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel } from '../helpers/models.js';
import { forEachIndex, prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

interface Win { s: number[]; d: number[]; pads: number[]; op: number[]; group: number }

function outShape(xs: number[], ws: number[], w: Win): number[] {
  const n = xs.length - 2;
  const sp = xs.slice(2).map((x, i) => w.s[i] * (x - 1) + w.op[i] + w.d[i] * (ws[i + 2] - 1) + 1
    - w.pads[i] - w.pads[i + n]);
  return [xs[0], ws[1] * w.group, ...sp];
}

function scatterRef(x: number[], xs: number[], wt: number[], ws: number[], b: number[] | null,
  w: Win): number[] {
  const os = outShape(xs, ws, w);
  const out = new Array<number>(prod(os)).fill(0);
  const [xst, wst, ost] = [strides(xs), strides(ws), strides(os)];
  const cg = xs[1] / w.group, mg = ws[1];
  forEachIndex(xs, ([bn, c, ...xi]) => {
    const g = Math.floor(c / cg);
    forEachIndex(ws.slice(1), ([m, ...k]) => {
      const o = xi.map((v, i) => v * w.s[i] + k[i] * w.d[i] - w.pads[i]);
      if (o.some((v, i) => v < 0 || v >= os[i + 2])) return;
      const oi = [bn, g * mg + m, ...o].reduce((a, v, i) => a + v * ost[i], 0);
      const xv = x[[bn, c, ...xi].reduce((a, v, i) => a + v * xst[i], 0)];
      out[oi] += xv * wt[[c, m, ...k].reduce((a, v, i) => a + v * wst[i], 0)];
    });
  });
  if (b) forEachIndex(os, (idx) => { out[idx.reduce((a, v, i) => a + v * ost[i], 0)] += b[idx[1]]; });
  return out;
}

const vals = (n: number, seed: number) =>
  Array.from({ length: n }, (_, i) => (((i * 37 + seed) % 19) - 9) / 8);

function check(xs: number[], ws: number[], win: Partial<Win>, bias = true, dims?: Dim[]): void {
  const n = xs.length - 2;
  const w: Win = { s: new Array<number>(n).fill(1), d: new Array<number>(n).fill(1),
    pads: new Array<number>(2 * n).fill(0), op: new Array<number>(n).fill(0), group: 1, ...win };
  const x = vals(prod(xs), 1), wt = vals(prod(ws), 5), b = bias ? vals(ws[1] * w.group, 3) : null;
  const ins = [tin('float32', xs, x, false, dims), tin('float32', ws, wt),
    b ? tin('float32', [b.length], b) : null];
  const r = runTyped('conv_transpose', ins, { kernel: ws.slice(2), strides: w.s, dilations: w.d,
    pads: w.pads, outputPadding: w.op, group: w.group });
  expect(r.status).toBe(0);
  if (!dims) expect(r.types[0].shape).toEqual(outShape(xs, ws, w));
  const want = scatterRef(x, xs, wt, ws, b, w);
  expect(r.outputs[0].length).toBe(want.length);
  r.outputs[0].forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
}

describe('conv_transpose', () => {
  it('2-D, stride 1', () => check([1, 2, 3, 3], [2, 3, 3, 3], {}));
  it('2-D, stride 2 = kernel (UNet upsampling)', () => check([2, 3, 4, 5], [3, 2, 2, 2], { s: [2, 2] }));
  it('strides, dilations and asymmetric pads', () =>
    check([1, 2, 4, 3], [2, 2, 3, 2], { s: [3, 2], d: [2, 1], pads: [1, 0, 2, 1] }));
  it('output padding and a negative end pad (output_shape larger than natural)', () =>
    check([1, 1, 3, 3], [1, 2, 3, 3], { s: [3, 2], op: [1, 1], pads: [0, 0, -1, 0] }));
  it('groups', () => check([1, 4, 3, 3], [4, 2, 3, 3], { group: 2, s: [2, 1] }, false));
  it('1-D and 3-D', () => {
    check([1, 2, 5], [2, 3, 3], { s: [2] });
    check([1, 2, 3, 2, 2], [2, 1, 2, 2, 2], { s: [1, 2, 1], pads: [1, 0, 0, 0, 1, 0] });
  });
  it('symbolic batch, spatial and kernel dims', () => {
    const [y] = inferTyped('conv_transpose', [
      tin('float32', [1, 2, 4, 4], [], false, [sym('n'), 2, sym('h'), 4]),
      tin('float32', [2, 3, 2, 2], [], false, [2, 3, sym('k'), 2]), null,
    ], { strides: [2, 2], dilations: [1, 1], pads: [0, 0, 0, 0], outputPadding: [0, 0], group: 1 });
    expect(y.shape.map(dimKey)).toEqual(['n', '3', dimKey(y.shape[2]), '8']);
    expect(dimKey(y.shape[2])).toMatch(/h/);
    expect(dimKey(y.shape[2])).toMatch(/k/);
  });
  it('rejects a weight whose dim 0 is not the input channels', () => {
    expect(() => inferTyped('conv_transpose', [tin('float32', [1, 2, 3, 3], []),
      tin('float32', [3, 1, 2, 2], []), null], { kernel: [2, 2] })).toThrow(/KC0402/);
  });
  // kernel = stride runs as a GEMM (ir/ops/conv-transpose-gemm.ts): rows of 64+ pixels are the
  // columns (stride-k stores), shorter rows flatten the image (scattered stores); both with tails.
  it('kernel = stride: image columns, row columns with a tail, 1-D, 3-D, strides 3 and 4', () => {
    check([1, 5, 3, 7], [5, 7, 2, 2], { s: [2, 2] });
    check([1, 3, 2, 70], [3, 2, 2, 3], { s: [2, 3] });
    check([2, 3, 9], [3, 2, 4], { s: [4] }, false);
    check([1, 2, 2, 3, 4], [2, 3, 2, 1, 2], { s: [2, 1, 2] });
  });
  it('kernel = stride over symbolic rows: tap vectors below 64 pixels, pixel vectors above', () => {
    const dims = [sym('n'), 5, sym('h'), sym('w')];
    check([2, 5, 3, 7], [5, 7, 2, 2], { s: [2, 2] }, true, dims);
    check([1, 5, 2, 9], [5, 3, 3, 2], { s: [3, 2] }, false, dims);
    check([1, 5, 2, 66], [5, 2, 2, 2], { s: [2, 2] }, true, dims);
  });
  it('kernel = stride with pads or groups keeps the gather', () => {
    check([1, 2, 3, 4], [2, 3, 2, 2], { s: [2, 2], pads: [1, 0, 0, 1] });
    check([1, 4, 3, 3], [4, 1, 2, 2], { s: [2, 2], group: 2 });
  });
  it('kernel = stride compiled, symbolic dims (row columns, strided stores), fused Relu', () =>
    compiledUpsampling('convt-up', ['n', 3, 'h', 'w'], [[1, 3, 2, 3], [2, 3, 3, 1], [1, 3, 2, 77]]));
  it('kernel = stride compiled, static dims (image columns, scattered stores)', () =>
    compiledUpsampling('convt-up-static', [2, 3, 5, 6], [[2, 3, 5, 6]]));
});

/** ConvTranspose (strides 2x3 = kernel) + Relu compiled for input dims `dims`, run on `shapes`. */
async function compiledUpsampling(name: string, dims: (string | number)[], shapes: number[][]) {
  const ws = [3, 2, 2, 3], w = vals(prod(ws), 5), b = [0.5, -1];
  const session = await buildModel(name, {
    nodes: [node('ConvTranspose', ['x', 'w', 'b'], ['t'], [attrInts('strides', [2, 3])]),
      node('Relu', ['t'], ['y'])],
    inputs: [vi('x', FLOAT, dims)], outputs: [vi('y', FLOAT, ['n', 2, null, null])],
    initializers: [floatTensor('w', ws, w), floatTensor('b', [2], b)],
  });
  try {
    for (const xs of shapes) {
      const x = vals(prod(xs), 1);
      const out = await session.run({ x: new Tensor('float32', Float32Array.from(x), xs) });
      const win: Win = { s: [2, 3], d: [1, 1], pads: [0, 0, 0, 0], op: [0, 0], group: 1 };
      expect(out.y.dims).toEqual(outShape(xs, ws, win));
      const want = scatterRef(x, xs, w, ws, b, win).map((v) => Math.max(v, 0));
      Array.from(out.y.data as Float32Array).forEach((v, i) => expect(v).toBeCloseTo(want[i], 4));
    }
  } finally { session.dispose(); }
}
