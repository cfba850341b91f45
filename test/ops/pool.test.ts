// Pools: lowering vs the JS reference (ceil mode, count_include_pad, dilations, pads, 1-D/3-D,
// interior and border tiles),
// global pools, infer and attribute errors.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/pool.js';
import { dimKey, sym } from '../../ir/dim.js';
import { expectClose, inferOp, runOp, tensor } from './harness.js';
import { poolRef, prod } from './ref.js';

interface Case {
  name: string; op: 'max_pool' | 'avg_pool'; x: number[]; kernel: number[]; strides?: number[];
  pads?: number[]; dilations?: number[]; ceil?: boolean; includePad?: boolean; out: number[];
  autoPad?: string; refPads?: number[]; knobs?: Record<string, number>;
}

function outShape(c: Case): number[] {
  return c.out;
}

function runCase(c: Case): void {
  const S = c.kernel.length, ones = c.kernel.map(() => 1);
  const strides = c.strides ?? ones, dilations = c.dilations ?? ones;
  const pads = c.pads ?? new Array(2 * S).fill(0), refPads = c.refPads ?? pads;
  const x = tensor(c.x, 11);
  const attrs = { kernel: c.kernel, strides, pads, dilations, ceilMode: c.ceil ? 1 : 0,
    autoPad: c.autoPad ?? 'NOTSET',
    ...(c.op === 'avg_pool' ? { countIncludePad: c.includePad ? 1 : 0 } : {}) };
  const r = runOp(c.op, [x], attrs, { knobs: c.knobs });
  expect(r.shapes[0]).toEqual([c.x[0], c.x[1], ...outShape(c)]);
  const ref = poolRef(x.data, c.x, { kernel: c.kernel, strides, dilations, padsBegin: refPads.slice(0, S),
    padsEnd: refPads.slice(S), out: c.out, isMax: c.op === 'max_pool', includePad: !!c.includePad });
  expectClose(r.outputs[0], ref);
}

const CASES: Case[] = [
  { name: 'max 2x2 s2', op: 'max_pool', x: [1, 3, 8, 20], kernel: [2, 2], strides: [2, 2], out: [4, 10] },
  { name: 'max 3x3 s2 pad 1', op: 'max_pool', x: [2, 2, 9, 19], kernel: [3, 3], strides: [2, 2],
    pads: [1, 1, 1, 1], out: [5, 10] },
  { name: 'max ceil mode', op: 'max_pool', x: [1, 2, 7, 18], kernel: [3, 3], strides: [2, 2], ceil: true,
    out: [3, 9] },
  { name: 'max ceil mode, pads, last window clipped', op: 'max_pool', x: [1, 1, 6, 6], kernel: [3, 3],
    strides: [2, 2], pads: [1, 1, 1, 1], ceil: true, out: [4, 4] },
  { name: 'max dilation 2', op: 'max_pool', x: [1, 2, 8, 17], kernel: [2, 3], dilations: [2, 2],
    out: [6, 13] },
  { name: 'max asymmetric pads', op: 'max_pool', x: [1, 2, 5, 9], kernel: [3, 2], pads: [2, 0, 0, 1],
    out: [5, 9] },
  { name: 'avg excl pad', op: 'avg_pool', x: [1, 3, 7, 21], kernel: [3, 3], pads: [1, 1, 1, 1],
    out: [7, 21] },
  { name: 'avg count_include_pad', op: 'avg_pool', x: [1, 3, 7, 21], kernel: [3, 3], pads: [1, 1, 1, 1],
    includePad: true, out: [7, 21] },
  { name: 'avg ceil + count_include_pad', op: 'avg_pool', x: [1, 2, 6, 7], kernel: [3, 3], strides: [2, 2],
    pads: [1, 1, 1, 1], ceil: true, includePad: true, out: [4, 4] },
  { name: 'avg ceil, no pads', op: 'avg_pool', x: [1, 2, 7, 7], kernel: [2, 2], strides: [2, 2], ceil: true,
    out: [4, 4] },
  { name: 'avg SAME_UPPER', op: 'avg_pool', x: [1, 2, 5, 9], kernel: [3, 3], strides: [2, 2],
    autoPad: 'SAME_UPPER', refPads: [1, 1, 1, 1], out: [3, 5] },
  { name: 'max 1-D', op: 'max_pool', x: [2, 3, 19], kernel: [3], strides: [2], pads: [1, 1], out: [10] },
  { name: 'avg 3-D', op: 'avg_pool', x: [1, 2, 4, 5, 6], kernel: [2, 2, 3], pads: [0, 1, 1, 1, 0, 1],
    out: [4, 5, 6] },
  { name: 'max width 32 exact tile', op: 'max_pool', x: [1, 2, 3, 34], kernel: [1, 3], out: [3, 32] },
  // Interior tiles (no bounds selects) beside border ones; few width tiles unrolled, many serial.
  { name: 'max 3x3 s2 ceil, 112 wide: interior, tail and clipped last windows', op: 'max_pool',
    x: [1, 2, 23, 112], kernel: [3, 3], strides: [2, 2], ceil: true, out: [11, 56] },
  { name: 'max 3x3 s2 pad 1, 300 wide: serial width tiles', op: 'max_pool', x: [1, 2, 9, 300],
    kernel: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1], out: [5, 150] },
  { name: 'max 3x3 dilation 2 pad 2, 70 wide', op: 'max_pool', x: [1, 1, 8, 70], kernel: [3, 3],
    dilations: [2, 2], pads: [2, 2, 2, 2], out: [8, 70] },
  // 2-D max pools tile output rows and share input rows between them (ir/ops/pool-max2d.ts).
  { name: 'max 3x3 s2 no pads, 3-row tiles with a row tail', op: 'max_pool', x: [1, 2, 23, 45],
    kernel: [3, 3], strides: [2, 2], out: [11, 22], knobs: { 'pool.rows': 3 } },
  { name: 'max 3x3 strides 2x1, asymmetric pads, 4-row tiles, one vector per tile', op: 'max_pool',
    x: [2, 1, 17, 40], kernel: [3, 3], strides: [2, 1], pads: [1, 0, 1, 2], out: [9, 40],
    knobs: { 'pool.rows': 4, 'pool.wv': 1 } },
  // The default width tile on 32 registers is 4 vectors: a 55-wide output row is one tile.
  { name: 'max 3x3 s2, 111 wide: one 4-vector tile per row with a lane tail', op: 'max_pool',
    x: [1, 2, 11, 111], kernel: [3, 3], strides: [2, 2], out: [5, 55] },
  { name: 'max 2x2 s2 ceil, 8-row tiles over 5 output rows', op: 'max_pool', x: [1, 2, 9, 21],
    kernel: [2, 2], strides: [2, 2], ceil: true, out: [5, 11], knobs: { 'pool.rows': 8 } },
];

describe('pool lowering', () => {
  for (const c of CASES) it(c.name, () => runCase(c));
});

describe('global pools', () => {
  for (const shape of [[2, 3, 5, 7], [1, 4, 16], [1, 2, 2, 3, 4], [1, 3, 4, 8]]) {
    for (const op of ['global_avg_pool', 'global_max_pool']) {
      it(`${op} ${JSON.stringify(shape)}`, () => {
        const x = tensor(shape, 4), S = prod(shape.slice(2)), NC = shape[0] * shape[1];
        const r = runOp(op, [x], {});
        expect(r.shapes[0]).toEqual([shape[0], shape[1], ...shape.slice(2).map(() => 1)]);
        const ref = new Float32Array(NC);
        for (let i = 0; i < NC; i++) {
          const row = Array.from(x.data.subarray(i * S, (i + 1) * S));
          ref[i] = op === 'global_max_pool' ? Math.max(...row) : row.reduce((a, b) => a + b, 0) / S;
        }
        expectClose(r.outputs[0], ref);
      });
    }
  }
  it('symbolic spatial dims at run time', () => {
    const x = { ...tensor([2, 3, 5, 9], 4), dims: [sym('n'), 3, sym('h'), sym('w')] };
    const r = runOp('global_avg_pool', [x], {});
    const ref = new Float32Array(6);
    for (let i = 0; i < 6; i++) ref[i] =
      Array.from(x.data.subarray(i * 45, (i + 1) * 45)).reduce((a, b) => a + b) / 45;
    expectClose(r.outputs[0], ref);
  });
});

describe('pool infer', () => {
  const f32 = 'float32' as const;
  it('symbolic batch and ceil-mode extent', () => {
    const [y] = inferOp('max_pool', [{ dtype: f32, shape: [sym('batch'), 8, 7, 7] }],
      { kernel: [3, 3], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], ceilMode: 1,
        autoPad: 'NOTSET' });
    expect(y.shape.map(dimKey)).toEqual(['batch', '8', '3', '3']);
  });
  it('stride 0 -> KC0401', () => {
    expect(() => inferOp('avg_pool', [{ dtype: f32, shape: [1, 1, 4, 4] }],
      { kernel: [2, 2], strides: [0, 1] }))
      .toThrow(/KC0401/);
  });
  it('kernel rank mismatch -> KC0401', () => {
    expect(() => inferOp('max_pool', [{ dtype: f32, shape: [1, 1, 4, 4] }],
      { kernel: [2] })).toThrow(/KC0401/);
  });
  it('window larger than input -> KC0401', () => {
    expect(() => inferOp('max_pool', [{ dtype: f32, shape: [1, 1, 2, 2] }],
      { kernel: [3, 3] })).toThrow(/KC0401/);
  });
  it('rank 2 input -> KC0402', () => {
    expect(() => inferOp('global_avg_pool', [{ dtype: f32, shape: [1, 4] }], {})).toThrow(/KC0402/);
  });
});
