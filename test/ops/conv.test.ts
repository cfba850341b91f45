// conv: lowering vs the JS reference on small shapes, infer with symbolic dims, attribute errors.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/conv.js';
import { dimKey, evalDim, sym } from '../../ir/dim.js';
import { expectClose, inferOp, runOp, tensor } from './harness.js';
import { convRef } from './ref.js';

interface Case {
  name: string; x: number[]; w: number[]; bias?: boolean; group?: number;
  strides?: number[]; dilations?: number[]; pads?: number[]; autoPad?: string;
  knobs?: Record<string, number>; vectorizable?: boolean;
}

function outDim(x: number, k: number, s: number, d: number, pb: number, pe: number): number {
  return Math.floor((x + pb + pe - d * (k - 1) - 1) / s) + 1;
}

function samePads(x: number, k: number, s: number, d: number, upper: boolean): [number, number] {
  const out = Math.ceil(x / s);
  const total = Math.max(0, (out - 1) * s + d * (k - 1) + 1 - x);
  const half = Math.floor(total / 2);
  return upper ? [half, total - half] : [total - half, half];
}

function runCase(c: Case): void {
  const S = c.x.length - 2;
  const kernel = c.w.slice(2);
  const strides = c.strides ?? kernel.map(() => 1), dilations = c.dilations ?? kernel.map(() => 1);
  let pads = c.pads ?? new Array(2 * S).fill(0);
  const autoPad = c.autoPad ?? 'NOTSET';
  if (autoPad.startsWith('SAME')) {
    const pp =
      kernel.map((k, i) => samePads(c.x[2 + i], k, strides[i], dilations[i], autoPad === 'SAME_UPPER'));
    pads = [...pp.map((p) => p[0]), ...pp.map((p) => p[1])];
  } else if (autoPad === 'VALID') pads = new Array(2 * S).fill(0);
  const out = kernel.map((k, i) => outDim(c.x[2 + i], k, strides[i], dilations[i], pads[i], pads[i + S]));
  const x = tensor(c.x, 3), w = tensor(c.w, 5), b = c.bias ? tensor([c.w[0]], 7) : null;
  const attrs = { kernel, strides, dilations, pads: c.pads ?? new Array(2 * S).fill(0),
    group: c.group ?? 1, autoPad };
  const r = runOp('conv', [x, w, b], attrs, { knobs: c.knobs, vectorizable: c.vectorizable });
  expect(r.shapes[0]).toEqual([c.x[0], c.w[0], ...out]);
  const ref = convRef(x.data, c.x, w.data, c.w, b?.data ?? null, c.group ?? 1,
    { kernel, strides, dilations, padsBegin: pads.slice(0, S), out });
  expectClose(r.outputs[0], ref);
}

const CASES: Case[] = [
  { name: '3x3 pad 1 bias', x: [1, 3, 6, 20], w: [5, 3, 3, 3], bias: true, pads: [1, 1, 1, 1] },
  { name: 'stride 2', x: [2, 2, 9, 17], w: [4, 2, 3, 3], strides: [2, 2], pads: [1, 1, 1, 1] },
  { name: 'dilation 2', x: [1, 2, 9, 18], w: [3, 2, 3, 3], dilations: [2, 2], pads: [2, 2, 2, 2] },
  { name: 'asymmetric pads', x: [1, 2, 7, 13], w: [4, 2, 3, 2], pads: [0, 2, 1, 0] },
  { name: 'groups 2', x: [1, 4, 5, 19], w: [6, 2, 3, 3], group: 2, bias: true, pads: [1, 1, 1, 1] },
  { name: 'depthwise', x: [1, 5, 6, 33], w: [5, 1, 3, 3], group: 5, bias: true, pads: [1, 1, 1, 1] },
  { name: 'depthwise stride 2', x: [1, 3, 8, 21], w: [3, 1, 3, 3], group: 3, strides: [2, 2],
    pads: [1, 1, 1, 1] },
  { name: '1x1', x: [2, 7, 3, 16], w: [9, 7, 1, 1], bias: true },
  { name: '1x1 width 32 exact tile', x: [1, 3, 2, 32], w: [8, 3, 1, 1] },
  { name: 'SAME_UPPER stride 2', x: [1, 2, 7, 10], w: [3, 2, 3, 3], strides: [2, 2], autoPad: 'SAME_UPPER' },
  { name: 'SAME_LOWER', x: [1, 2, 6, 9], w: [3, 2, 2, 4], autoPad: 'SAME_LOWER' },
  { name: 'VALID', x: [1, 2, 6, 9], w: [3, 2, 3, 3], autoPad: 'VALID', pads: [5, 5, 5, 5] },
  { name: '1-D', x: [2, 3, 23], w: [4, 3, 5], pads: [2, 1], strides: [2] },
  { name: '3-D', x: [1, 2, 4, 5, 6], w: [3, 2, 2, 3, 3], pads: [1, 1, 0, 0, 1, 1], bias: true },
  { name: 'knobs oc=3 wv=1 vec=8', x: [1, 3, 5, 20], w: [7, 3, 3, 3], pads: [1, 1, 1, 1],
    knobs: { 'conv.oc': 3, 'conv.wv': 1, 'conv.vec': 8 } },
  { name: 'wide rows: interior (unmasked) and border tiles', x: [1, 2, 5, 70], w: [3, 2, 3, 3],
    pads: [1, 1, 1, 1], knobs: { 'conv.wv': 1 } },
  { name: 'wide depthwise stride 2 dilation 2', x: [1, 3, 4, 150], w: [3, 1, 3, 3], group: 3,
    strides: [1, 2], dilations: [1, 2], pads: [1, 2, 1, 2] },
  { name: 'scalar sink', x: [1, 2, 4, 11], w: [3, 2, 3, 3], pads: [1, 1, 1, 1], vectorizable: false },
  // The short-reduction (stem) tile: 8 channels x 2 vectors, channel tail (20 = 8+8+4), stride 2
  // strided loads, a width of 3 vectors (2+1) with a lane tail.
  { name: 'stem tile oc=8 wv=2, stride 2, channel and width tails', x: [1, 3, 11, 77], w: [20, 3, 3, 3],
    strides: [2, 2], knobs: { 'conv.oc': 8, 'conv.wv': 2 } },
];

describe('conv lowering', () => {
  for (const c of CASES) it(c.name, () => runCase(c));
});

describe('conv with symbolic dims', () => {
  it('lowers with batch, h and w as run-time scalars (SAME_UPPER pads at run time)', () => {
    const shape = [2, 3, 7, 19];
    const x = { ...tensor(shape, 3), dims: [sym('batch'), 3, sym('h'), sym('w')] };
    const w = tensor([4, 3, 3, 3], 5);
    const attrs = { kernel: [3, 3], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1,
      autoPad: 'SAME_UPPER' };
    const r = runOp('conv', [x, w, null], attrs);
    expect(r.shapes[0]).toEqual([2, 4, 4, 10]);
    const ref = convRef(x.data, shape, w.data, [4, 3, 3, 3], null, 1,
      { kernel: [3, 3], strides: [2, 2], dilations: [1, 1], padsBegin: [1, 1], out: [4, 10] });
    expectClose(r.outputs[0], ref);
  });
});

describe('conv infer', () => {
  const f32 = 'float32' as const;
  it('keeps a symbolic batch and spatial dims', () => {
    const [y] = inferOp('conv', [{ dtype: f32, shape: [sym('batch'), 3, sym('h'), 32] },
      { dtype: f32, shape: [8, 3, 3, 3] }, null],
    { kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], dilations: [1, 1], group: 1, autoPad: 'NOTSET' });
    expect(dimKey(y.shape[0])).toBe('batch');
    expect(evalDim(y.shape[2], new Map([['h', 8]]))).toBe(4);
    expect(evalDim(y.shape[2], new Map([['h', 9]]))).toBe(5);
    expect((y.shape[0] as { key: string }).key).toBe('batch');
    expect(y.shape[3]).toBe(16);
  });
  const bad = (attrs: Record<string, unknown>, w = [8, 3, 3, 3]) => () =>
    inferOp('conv', [{ dtype: f32, shape: [1, 3, 8, 8] }, { dtype: f32, shape: w }, null],
      { kernel: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1, autoPad: 'NOTSET',
        ...attrs } as never);
  it('stride 0 -> KC0401', () => expect(bad({ strides: [0, 1] })).toThrow(/KC0401/));
  it('negative pad -> KC0401', () => expect(bad({ pads: [0, -1, 0, 0] })).toThrow(/KC0401/));
  it('dilation 0 -> KC0401', () => expect(bad({ dilations: [1, 0] })).toThrow(/KC0401/));
  it('group 0 -> KC0401', () => expect(bad({ group: 0 })).toThrow(/KC0401/));
  it('kernel rank -> KC0401', () => expect(bad({ kernel: [3] })).toThrow(/KC0401/));
  it('channel mismatch -> KC0402', () => expect(bad({}, [8, 2, 3, 3])).toThrow(/KC0402/));
  it('group does not divide -> KC0402', () => expect(bad({ group: 2 }, [8, 1, 3, 3])).toThrow(/KC0402/));
  it('int input -> KC0402', () => expect(() => inferOp('conv', [{ dtype: 'int32', shape: [1, 3, 8, 8] },
    { dtype: f32, shape: [8, 3, 3, 3] }, null], { kernel: [3, 3] })).toThrow(/KC0402/));
});
