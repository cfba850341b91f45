// The integer convolution (ir/ops/qconv.ts via compiler/passes/integer-conv.ts) against QLinearConv
// computed by its definition in JS (int32 sums of centred values, round half to even of
// acc * sx*sw/sy in float32, + zy, saturated): channel counts that are not multiples of 4 or 16,
// uint8 and int8 activations, nonzero zero points (uint8 weights included), per-channel scales,
// strides, dilations, asymmetric padding and saturation; compiled for the host (VNNI vpdpbusd
// where the CPU has it) and for generic x86-64 (the widening dot product), both run here.
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { compile } from '../../compiler/driver.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { fuseQdq } from '../../compiler/passes/fuse-qdq.js';
import { idsAfter } from '../../compiler/passes/graph-util.js';
import { compensatedBias, integerConv, packWeights } from '../../compiler/passes/integer-conv.js';
import { requantMultipliers } from '../../ir/ops/quant.js';
import { constValues } from '../../ir/const.js';
import { load } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { runTyped, tin } from './typed-run.js';
import { attrInt, attrInts, encodeModel, floatTensor, INT32, INT8, node, UINT8, vi }
  from '../fixtures/onnx-builder.js';

interface Case {
  readonly name: string; readonly N: number; readonly C: number; readonly M: number;
  readonly H: number; readonly W: number; readonly KH: number; readonly KW: number;
  readonly strides: number[]; readonly dilations: number[]; readonly pads: number[];
  readonly xSigned: boolean; readonly wSigned: boolean; readonly ySigned: boolean;
  readonly zx: number; readonly zw: number; readonly zy: number;
  readonly sx: number; readonly sw: number[]; readonly sy: number; readonly bias: boolean;
}

const lcg = (seed: number) => () => ((seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0) / 2 ** 32);

function data(c: Case) {
  const r = lcg(c.C * 131 + c.M);
  const [xlo, wlo] = [c.xSigned ? -128 : 0, c.wSigned ? -128 : 0];
  const X = Array.from({ length: c.N * c.C * c.H * c.W }, () => xlo + Math.floor(r() * 256));
  const Wt = Array.from({ length: c.M * c.C * c.KH * c.KW }, () => wlo + Math.floor(r() * 256));
  const B = Array.from({ length: c.M }, () => Math.floor(r() * 4000) - 2000);
  return { X, Wt, B };
}

const out = (c: Case, i: number, k: number, s: number, d: number, pb: number, pe: number) =>
  Math.floor((i + pb + pe - d * (k - 1) - 1) / s) + 1;

function reference(c: Case): number[] {
  const { X, Wt, B } = data(c), f = Math.fround;
  const [lo, hi] = c.ySigned ? [-128, 127] : [0, 255];
  const OH = out(c, c.H, c.KH, c.strides[0], c.dilations[0], c.pads[0], c.pads[2]);
  const OW = out(c, c.W, c.KW, c.strides[1], c.dilations[1], c.pads[1], c.pads[3]);
  const res: number[] = [];
  for (let n = 0; n < c.N; n++) for (let m = 0; m < c.M; m++) for (let oy = 0; oy < OH; oy++) {
    for (let ox = 0; ox < OW; ox++) {
      let acc = c.bias ? B[m] : 0;
      for (let ch = 0; ch < c.C; ch++) for (let ky = 0; ky < c.KH; ky++) for (let kx = 0; kx < c.KW; kx++) {
        const iy = oy * c.strides[0] + ky * c.dilations[0] - c.pads[0];
        const ix = ox * c.strides[1] + kx * c.dilations[1] - c.pads[1];
        if (iy < 0 || iy >= c.H || ix < 0 || ix >= c.W) continue;
        acc += (X[((n * c.C + ch) * c.H + iy) * c.W + ix] - c.zx)
          * (Wt[((m * c.C + ch) * c.KH + ky) * c.KW + kx] - c.zw);
      }
      const sw = c.sw.length === 1 ? c.sw[0] : c.sw[m];
      const v = f(acc * f(f(f(c.sx) * f(sw)) / f(c.sy)));
      const r = Math.round(v), even = Math.abs(v % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
      res.push(Math.min(hi, Math.max(lo, even + c.zy)));
    }
  }
  return res;
}

const typed = (signed: boolean, v: number[]) => (signed ? Int8Array.from(v) : Uint8Array.from(v));
const raw = (name: string, signed: boolean, dims: number[], v: number[]) =>
  ({ name, dims, dataType: signed ? INT8 : UINT8, rawData: new Uint8Array(typed(signed, v).buffer) });

function model(c: Case) {
  const { Wt, B } = data(c);
  const inits = [
    floatTensor('sx', [], [c.sx]), raw('zx', c.xSigned, [], [c.zx]),
    raw('w', c.wSigned, [c.M, c.C, c.KH, c.KW], Wt), floatTensor('sw', [c.sw.length], c.sw),
    raw('zw', c.wSigned, [], [c.zw]), floatTensor('sy', [], [c.sy]), raw('zy', c.ySigned, [], [c.zy]),
    { name: 'b', dims: [c.M], dataType: INT32, rawData: new Uint8Array(Int32Array.from(B).buffer) },
  ];
  const ins = ['xq', 'sx', 'zx', 'w', 'sw', 'zw', 'sy', 'zy', ...(c.bias ? ['b'] : [])];
  const attrs = [attrInts('kernel_shape', [c.KH, c.KW]), attrInts('strides', c.strides),
    attrInts('dilations', c.dilations), attrInts('pads', c.pads)];
  return {
    nodes: [node('QLinearConv', ins, ['yq'], attrs)],
    inputs: [vi('xq', c.xSigned ? INT8 : UINT8, [c.N, c.C, c.H, c.W])],
    outputs: [vi('yq', c.ySigned ? INT8 : UINT8, [c.N, c.M,
      out(c, c.H, c.KH, c.strides[0], c.dilations[0], c.pads[0], c.pads[2]),
      out(c, c.W, c.KW, c.strides[1], c.dilations[1], c.pads[1], c.pads[3])])],
    initializers: inits,
  };
}

async function run(c: Case, target: 'host' | 'x86_64'): Promise<number[]> {
  const dir = mkdtempSync(join(tmpdir(), 'kestrel-qconv-'));
  const file = join(dir, 'm.onnx'), so = join(dir, `m-${target}.so`);
  writeFileSync(file, encodeModel(model(c)));
  await compile(file, { output: so, target });
  const s = await load(so);
  try {
    const x = new Tensor(c.xSigned ? 'int8' : 'uint8', typed(c.xSigned, data(c).X), [c.N, c.C, c.H, c.W]);
    return Array.from((await s.run({ xq: x })).yq.data as Int8Array | Uint8Array);
  } finally { s.dispose(); }
}

const base: Case = {
  name: '', N: 1, C: 5, M: 19, H: 9, W: 11, KH: 3, KW: 3, strides: [1, 1], dilations: [1, 1],
  pads: [1, 1, 1, 1], xSigned: false, wSigned: true, ySigned: false, zx: 7, zw: 0, zy: 120,
  sx: 0.05, sw: [0.02], sy: 0.09, bias: true,
};

const CASES: Case[] = [
  { ...base, name: 'u8 x s8, 5 -> 19 channels, 3x3 pad 1, per-channel scales',
    sw: Array.from({ length: 19 }, (_, i) => 0.004 + 0.001 * i) },
  { ...base, name: 'int8 activations and output, 3 -> 17, 5x3 stride 2 dilation 2, asymmetric pads',
    N: 2, C: 3, M: 17, H: 13, W: 12, KH: 5, KW: 3, strides: [2, 2], dilations: [2, 1], pads: [1, 0, 2, 1],
    xSigned: true, ySigned: true, zx: -5, zy: -3, bias: false },
  { ...base, name: 'uint8 weights with zero point 128, 33 -> 40, 1x1 stride 2', C: 33, M: 40, KH: 1, KW: 1,
    strides: [2, 2], pads: [0, 0, 0, 0], wSigned: false, zw: 128 },
  { ...base, name: 'saturation at both ends (a large multiplier)', C: 8, M: 16, sy: 0.0005, zy: 128 },
];

/** qconv_pack then qconv on the tir interpreter, with the pass's packed constants. */
function interpret(c: Case, knobs: Record<string, number>, L = 16): number[] {
  const { X, Wt, B } = data(c), xt = c.xSigned ? 'int8' : 'uint8';
  const fill = c.zx + (c.xSigned ? 128 : 0);
  const words = runTyped('qconv_pack', [tin(xt, [c.N, c.C, c.H, c.W], X)], { pads: c.pads, fill });
  const w = Wt.map((v) => v - c.zw), MB = Math.ceil(c.M / L);
  const wp = packWeights(w, [c.M, c.C, c.KH, c.KW], L);
  const f = Math.fround, m = requantMultipliers(f(c.sx), c.sw.map(f), f(c.sy)); // float32 model constants
  const mult = Array.from({ length: MB * L }, (_, i) => (i < c.M ? m[m.length === 1 ? 0 : i] : 0));
  const bias = compensatedBias(w, c.M, c.bias ? B : null, fill, MB * L);
  const r = runTyped('qconv', [tin('int32', words.types[0].shape as number[], words.outputs[0]),
    tin('int32', [...wp.shape], constValues(wp)), tin('int32', [MB * L], constValues(bias)),
    tin('float32', [MB * L], mult)], { kernel: [c.KH, c.KW], strides: c.strides, dilations: c.dilations,
    outChannels: c.M, zero: c.zy, to: c.ySigned ? 'int8' : 'uint8' }, L, knobs);
  return r.outputs[0];
}

describe('qconv: integer convolution', () => {
  it('on the interpreter, both store schedules and small tiles, equals the integer reference', () => {
    const c = { ...CASES[1], N: 1, H: 9, W: 8 };
    const want = reference(c);
    expect(interpret(c, { 'qconv.store': 1 })).toEqual(want);
    expect(interpret(c, { 'qconv.store': 2, 'qconv.px': 4 })).toEqual(want);
    expect(interpret(CASES[0], { 'qconv.store': 2, 'qconv.ocv': 1 }, 8)).toEqual(reference(CASES[0]));
  });
  it('replaces the float round trip of QLinearConv by qconv_pack + qconv', () => {
    const m = importOnnx(encodeModel(model(CASES[0])));
    const ids = idsAfter(m), f = integerConv(fuseQdq(m.main, ids), ids, 16);
    expect(f.nodes.map((n) => n.op)).toEqual(['qconv_pack', 'qconv']);
    expect(f.nodes[1].inputs[1]!.type).toEqual({ dtype: 'int32', shape: [2, 2, 3, 3, 16] });
  });
  for (const c of CASES) {
    it(`${c.name}: equals the integer reference, host and generic x86-64`, async () => {
      const want = reference(c);
      if (c.sy === 0.0005) {
        expect(want.filter((v) => v === 0).length).toBeGreaterThan(0);
        expect(want.filter((v) => v === 255).length).toBeGreaterThan(0);
      }
      expect(await run(c, 'host')).toEqual(want);
      expect(await run(c, 'x86_64')).toEqual(want);
    }, 60_000);
  }
});

describe('qconv: a QDQ gemm as a 1x1 integer convolution', () => {
  const [K, M, SX, ZX, SY, ZY] = [37, 21, 0.04, 9, 0.07, 100];
  const r = lcg(5);
  const X = Array.from({ length: 3 * K }, () => Math.floor(r() * 256));
  const Wt = Array.from({ length: M * K }, () => Math.floor(r() * 256) - 128);
  const B = Array.from({ length: M }, () => Math.floor(r() * 2000) - 1000);
  const SW = Array.from({ length: M }, (_, i) => 0.003 + 0.0005 * i);
  /** W as the initializer stores it: [M, K] with transB, [K, M] without. */
  const wAs = (transB: boolean) => (transB ? Wt : Array.from({ length: K * M }, (_, i) =>
    Wt[(i % M) * K + Math.floor(i / M)]));
  const spec = (transB: boolean) => ({
    nodes: [
      node('DequantizeLinear', ['xq', 'sx', 'zx'], ['x']),
      node('DequantizeLinear', ['w', 'sw', 'zw'], ['wf'], [attrInt('axis', transB ? 0 : 1)]),
      node('DequantizeLinear', ['b', 'sb'], ['bf'], [attrInt('axis', 0)]),
      node('Gemm', ['x', 'wf', 'bf'], ['y'], [attrInt('transB', transB ? 1 : 0)]),
      node('QuantizeLinear', ['y', 'sy', 'zy'], ['yq']),
    ],
    inputs: [vi('xq', UINT8, ['batch', K])], outputs: [vi('yq', UINT8, ['batch', M])],
    initializers: [floatTensor('sx', [], [SX]), raw('zx', false, [], [ZX]),
      raw('w', true, transB ? [M, K] : [K, M], wAs(transB)), floatTensor('sw', [M], SW),
      raw('zw', true, [M], new Array(M).fill(0)),
      { name: 'b', dims: [M], dataType: INT32, rawData: new Uint8Array(Int32Array.from(B).buffer) },
      floatTensor('sb', [M], SW.map((s) => Math.fround(Math.fround(SX) * Math.fround(s)))),
      floatTensor('sy', [], [SY]), raw('zy', false, [], [ZY])],
  });
  const reference = (n: number): number[] => {
    const f = Math.fround, out: number[] = [];
    for (let i = 0; i < n; i++) for (let m = 0; m < M; m++) {
      let acc = B[m];
      for (let k = 0; k < K; k++) acc += (X[i * K + k] - ZX) * Wt[m * K + k];
      const v = f(acc * f(f(f(SX) * f(SW[m])) / f(SY)));
      const rr = Math.round(v), even = Math.abs(v % 1) === 0.5 && rr % 2 !== 0 ? rr - 1 : rr;
      out.push(Math.min(255, Math.max(0, even + ZY)));
    }
    return out;
  };
  for (const transB of [true, false]) {
    it(`transB ${transB}: qconv on the [N, K, 1, 1] view, batch 1 and 3, equals the reference`, async () => {
      const m = importOnnx(encodeModel(spec(transB)));
      const ids = idsAfter(m), f = integerConv(fuseQdq(m.main, ids), ids, 16);
      expect(f.nodes.map((n) => n.op)).toEqual(['reshape', 'qconv_pack', 'qconv', 'reshape']);
      const dir = mkdtempSync(join(tmpdir(), 'kestrel-qgemm-'));
      writeFileSync(join(dir, 'm.onnx'), encodeModel(spec(transB)));
      await compile(join(dir, 'm.onnx'), { output: join(dir, 'm.so') });
      const s = await load(join(dir, 'm.so'));
      try {
        for (const n of [1, 3]) {
          const out = await s.run({ xq: new Tensor('uint8', Uint8Array.from(X.slice(0, n * K)), [n, K]) });
          expect(Array.from(out.yq.data as Uint8Array)).toEqual(reference(n));
        }
      } finally { s.dispose(); }
    }, 60_000);
  }
});
