// bfloat16, float8 and float4e2m1 in generated code (codegen/llvm/small-floats.ts): widening every code
// point and narrowing every probe of scripts/small-float-table.py's reference table through Cast's
// lowering (ir/ops/cast-small.ts, both saturate modes), in scalar and vector loops, compiled for
// the host and compared with the table and with the reference interpreter. And the sub-byte
// integers' casts, which wrap to their width (codegen/llvm/expr.ts wrapNarrow).

import { beforeAll, describe, expect, it } from 'vitest';
import type { DType, TypedArrayOf } from '../../ir/dtype.js';
import type { Expr, Kernel } from '../../ir/tir.js';
import { castWithSaturate } from '../../ir/ops/cast-small.js';
import { SMALL_FLOATS, decodeSmall } from '../../ir/small-floats.js';
import { runKernel } from '../../ir/tir-interp.js';
import {
  add, buffer, floordiv, ifThen, letIn, load, loop, lt, mul, store, variable,
} from '../../ir/tir-build.js';
import { hostTarget } from '../../codegen/target.js';
import { buildSo, runNative } from './harness.js';
import { SMALL_FLOAT_TABLE } from '../unit/small-floats.test.js';

const target = hostTarget();
const W = target.vectorLanesF32;

/** out[i] = f(in[i]) for i < n, in vectors of w lanes with a masked tail. */
function mapKernel(name: string, from: DType, to: DType, w: number, f: (x: Expr) => Expr): Kernel {
  const [X, Y] = [buffer('X', from), buffer('Y', to)];
  const [n, o, v, i] = [variable('n'), variable('o'), variable('v'), variable('i')];
  const body = loop(o, floordiv(add(n, w - 1), w), loop(v, w, letIn(i, add(mul(o, w), v),
    ifThen(lt(i, n), store(Y, i, f(load(X, i))))), w > 1 ? 'vectorize' : 'serial'));
  return { name, buffers: [X, Y], scalars: [n], body };
}

const SUB_INTS = ['int4', 'uint4', 'int2', 'uint2'] as const;
const KERNELS: Kernel[] = [
  ...SMALL_FLOATS.flatMap((f) => [1, W].flatMap((w) => [
    mapKernel(`widen_${f.name}_${w}`, f.name, 'float32', w, (x) => x),
    ...[1, 0].map((s) => mapKernel(`cast_${f.name}_${w}_${s}`, 'float32', f.name, w,
      (x) => castWithSaturate(x, f.name, s === 1))),
  ])),
  ...SUB_INTS.flatMap((d) => [1, W].flatMap((w) => (['float32', 'int32'] as const).map((from) =>
    mapKernel(`wrap_${from}_${d}_${w}`, from, d, w, (x) => castWithSaturate(x, d, true))))),
];
const kernel = (name: string): [Kernel, number] => {
  const i = KERNELS.findIndex((k) => k.name === name);
  return [KERNELS[i], i];
};
let so = '';

beforeAll(async () => {
  so = await buildSo(KERNELS, target, 'small_floats');
}, 300_000);

/** ONNX's cast into a sub-byte integer: truncate to an integer, keep the low bits (two's complement). */
function wrapRef(v: number, d: typeof SUB_INTS[number]): number {
  const bits = d.endsWith('4') ? 4 : 2, m = Math.trunc(v) & ((1 << bits) - 1);
  return d.startsWith('u') || m < 1 << (bits - 1) ? m : m - (1 << bits);
}

const bitsArray = (bf16: boolean, n: number): TypedArrayOf => (bf16 ? new Uint16Array(n) : new Uint8Array(n));

describe('int4, uint4, int2, uint2 in generated code', () => {
  for (const d of SUB_INTS) {
    for (const w of [1, W]) {
      it(`${d}: float32 and int32 casts wrap to the width (${w} lanes)`, () => {
        const vals = Array.from({ length: 67 }, (_, i) => i - 33).concat([-9.7, 9.7, 2.5, -2.5, 1e6]);
        const n = vals.length, want = vals.map((v) => wrapRef(v, d));
        const Out = d.startsWith('u') ? Uint8Array : Int8Array;
        for (const from of ['float32', 'int32'] as const) {
          const x = from === 'float32' ? Float32Array.from(vals) : Int32Array.from(vals.map(Math.trunc));
          const [k, idx] = kernel(`wrap_${from}_${d}_${w}`);
          const got = runNative(so, idx, [x, new Out(n)], [n]).bufs[1];
          const ref = [x.slice(), new Out(n)] as TypedArrayOf[];
          runKernel(k, ref, [n]);
          expect(Array.from(got as Int8Array), from).toEqual(want);
          expect(Array.from(ref[1] as Int8Array), from).toEqual(want);
        }
      });
    }
  }
});

describe('bfloat16 and float8 in generated code', () => {
  for (const f of SMALL_FLOATS) {
    const t = SMALL_FLOAT_TABLE.formats[f.name];
    const bf16 = f.name === 'bfloat16';
    for (const w of [1, W]) {
      it(`${f.name}: every code widens to its value (${w} lanes)`, () => {
        const n = bf16 ? 65536 : f.name === 'float4e2m1' ? 16 : 256;
        const codes = bitsArray(bf16, n);
        codes.forEach((_, i) => { codes[i] = i; });
        const [k, idx] = kernel(`widen_${f.name}_${w}`);
        const got = runNative(so, idx, [codes, new Float32Array(n)], [n]).bufs[1] as Float32Array;
        const want = Array.from({ length: n }, (_, c) => Math.fround(decodeSmall(f, c)));
        expect(Array.from(got)).toEqual(want);
        const ref = [codes.slice(), new Float32Array(n)] as TypedArrayOf[];
        runKernel(k, ref, [n]);
        expect(Array.from(ref[1] as Float32Array)).toEqual(want);
      });
      for (const s of [1, 0]) {
        it(`${f.name}: float32 narrows like the reference, saturate=${s} (${w} lanes)`, () => {
          const x = new Float32Array(Uint32Array.from(t.inputs).buffer);
          const n = x.length, want = s ? t.saturate : t.nosaturate;
          const [k, idx] = kernel(`cast_${f.name}_${w}_${s}`);
          const got = runNative(so, idx, [x, bitsArray(bf16, n)], [n]).bufs[1];
          const ref = [x.slice(), bitsArray(bf16, n)] as TypedArrayOf[];
          runKernel(k, ref, [n]);
          const bad: string[] = [];
          for (let i = 0; i < n; i++) {
            const ok = (c: number): boolean =>
              (want[i] === 'nan' ? Number.isNaN(decodeSmall(f, c)) : c === want[i]);
            const [g, r] = [Number(got[i]), Number(ref[1][i])];
            if (!ok(g) || !ok(r)) bad.push(`${x[i]}: native ${g}, interpreter ${r}, want ${want[i]}`);
          }
          expect(bad.slice(0, 10)).toEqual([]);
        });
      }
    }
  }
});
