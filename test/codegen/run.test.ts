// Compiles tensor-IR kernels for the host, runs them through driver.c and compares with the
// reference interpreter (ir/tir-interp.ts) on pseudo-random data.

import { beforeAll, describe, expect, it } from 'vitest';
import type { TypedArrayOf } from '../../ir/dtype.js';
import type { Kernel } from '../../ir/tir.js';
import { runKernel } from '../../ir/tir-interp.js';
import { printKernel } from '../../ir/tir-print.js';
import { hostTarget } from '../../codegen/target.js';
import { buildSo, clone, compare, rand, runNative } from './harness.js';
import * as K from './kernels.js';

const target = hostTarget();
const W = target.vectorLanesF32;

const KERNELS: Kernel[] = [
  K.vaddTail(W), K.broadcastAffine(), K.rowReduce(), K.paddedConv1d(W), K.padShift(),
  K.parallelScale(), K.tiledMatmul(4, W), K.convNest(W), K.intDivision('int32', 1),
  K.intDivision('int32', 8), K.intDivision('int8', 16), K.intDivision('int64', 4),
  K.intDivision('uint16', 8), K.nanSelect(1), K.nanSelect(W), K.unaryMath(1), K.unaryMath(W),
  K.mixedTypes(1), K.mixedTypes(8), K.vecInnerLoop(W), K.clipBias(1), K.clipBias(W),
  K.stridedStore(W, 2), K.stridedStore(W, 3), K.narrowCasts(1), K.narrowCasts(W),
  K.repeatedLoad(W, 2), K.repeatedLoad(W, 3), K.repeatedLoad(W, W),
];
const index = (name: string): number => KERNELS.findIndex((k) => k.name === name);
let so = '';

beforeAll(async () => {
  so = await buildSo(KERNELS, target, 'run');
});

function check(k: Kernel, bufs: TypedArrayOf[], scalars: number[], tol = { atol: 1e-5, rtol: 1e-5 },
  status = 0): void {
  const ref = clone(bufs);
  const refStatus = runKernel(k, ref, scalars);
  const got = runNative(so, index(k.name), bufs, scalars);
  expect(refStatus).toBe(status);
  expect(got.status).toBe(status);
  got.bufs.forEach((b, i) => {
    const msg = compare(b as ArrayLike<number>, ref[i] as ArrayLike<number>, tol.atol, tol.rtol);
    if (msg) throw new Error(`${k.name} buffer ${k.buffers[i].name}${msg}\n${printKernel(k)}`);
  });
}

describe('codegen runs and matches the interpreter', () => {
  it('elementwise add with a masked tail', () => {
    for (const n of [1, W - 1, W, 3 * W + 5]) {
      check(K.vaddTail(W), [rand(n, -1, 1, 1), rand(n, -1, 1, 2), new Float32Array(n)], [n]);
    }
  });

  it('stride-2 and stride-3 stores with a masked tail leave the elements between untouched', () => {
    for (const s of [2, 3]) {
      for (const n of [1, W - 1, W, 2 * W + 3]) {
        const phase = n % s;
        check(K.stridedStore(W, s), [rand(n, -1, 1, 3), rand(s * n + s, -1, 1, 4)], [n, phase]);
      }
    }
  });

  it('loads repeating each element for s lanes, whole vectors and a masked tail', () => {
    for (const s of [2, 3, W]) {
      const k = Math.ceil(W / s);
      for (const n of [1, W - 1, W, 2 * W + 3]) {
        const off = n % 3;
        const xs = off + k * (Math.floor(n / W) + 1);
        check(K.repeatedLoad(W, s), [rand(xs, -1, 1, 5), new Float32Array(n)], [n, off]);
      }
    }
  });

  it('broadcast affine with a tail', () => {
    const R = 3;
    check(K.broadcastAffine(), [rand(R * 37, -1, 1, 3), rand(37, -1, 1, 4), rand(37, -1, 1, 5),
      new Float32Array(R * 37)], [R]);
  });

  it('row reduction (sum and NaN-propagating max) in a parallel loop', () => {
    const [R, Kd] = [5, 33];
    const x = rand(R * Kd, -2, 2, 6);
    x[2 * Kd + 7] = NaN;
    check(K.rowReduce(), [x, new Float32Array(R), new Float32Array(R)], [R, Kd], { atol: 1e-5, rtol: 1e-5 });
  });

  it('padded conv1d masks out-of-bounds loads', () => {
    for (const n of [1, 5, 2 * W + 3]) {
      check(K.paddedConv1d(W), [rand(n, -1, 1, 7), rand(3, -1, 1, 8), new Float32Array(n)], [n]);
    }
  });

  it('padded 2-D shift with a uniform condition', () => {
    const [H, Wd] = [4, 3];
    check(K.padShift(), [rand(H * Wd * 16, -1, 1, 9), new Float32Array(H * Wd * 16)], [H, Wd]);
  });

  it('parallel loop and assert status from inside a task', () => {
    const R = 10;
    check(K.parallelScale(), [rand(R, 0, 1, 10), new Float32Array(R)], [R]);
    const bad = rand(R, 0, 1, 11);
    bad[8] = -1;
    const got = runNative(so, index('parallel_scale'), [bad, new Float32Array(R)], [R]);
    expect(got.status).toBe(7);
  });

  it('register-tiled matmul', () => {
    const [M, N, Kd] = [8, 2 * W, 19];
    check(K.tiledMatmul(4, W), [rand(M * Kd, -1, 1, 12), rand(Kd * N, -1, 1, 13), new Float32Array(M * N)],
      [M, N, Kd], { atol: 1e-5, rtol: 1e-5 });
  });

  it('conv-like loop nest', () => {
    const [IC, OH, OW] = [3, 2, 8];
    const x = rand(IC * (OH + 2) * (OW + 2), -1, 1, 14);
    const w = rand(IC * 9 * W, -1, 1, 15);
    check(K.convNest(W), [x, w, new Float32Array(OH * OW * W)], [IC, OH, OW]);
  });

  it('integer div/floordiv/mod: by zero gives 0, INT_MIN / -1 wraps', () => {
    const i32a = Int32Array.from([7, -7, 7, -7, -2147483648, 5, 0, 9]);
    const i32b = Int32Array.from([2, 2, -2, -2, -1, 0, 3, -1]);
    const cases: [string, TypedArrayOf, TypedArrayOf][] = [
      ['intdiv_int32_w1', i32a, i32b],
      ['intdiv_int32_w8', i32a, i32b],
      ['intdiv_int8_w16', Int8Array.from({ length: 16 }, (_, i) => (i * 37) % 256 - 128),
        Int8Array.from({ length: 16 }, (_, i) => (i % 5) - 2)],
      ['intdiv_int64_w4', BigInt64Array.from([7n, -7n, -9n, 5n]), BigInt64Array.from([-2n, 0n, 4n, -1n])],
      ['intdiv_uint16_w8', Uint16Array.from([7, 65535, 9, 5, 0, 100, 3, 8]),
        Uint16Array.from([2, 3, 0, 5, 1, 7, 65535, 3])],
    ];
    for (const [name, a, b] of cases) {
      const k = KERNELS[index(name)];
      const z = (): TypedArrayOf => new (a.constructor as new (n: number) => TypedArrayOf)(a.length);
      check(k, [a, b, z(), z(), z()], [a.length]);
    }
  });

  it('NaN-propagating min/max, isnan select, saturating float->int casts', () => {
    const x = Float32Array.from([NaN, -1, 0, 2.5, -3e9, 3e9, -0.5, 7, 1, NaN, -2, 4, 5, 6, -7, 8]);
    const y = Float32Array.from([1, NaN, -1, 3, 0, 1, -0.25, 9, 1, NaN, 3, -4, 5, 0, 0, 0]);
    const n = 16;
    for (const name of ['nan_select_w1', `nan_select_w${W}`]) {
      const k = KERNELS[index(name)];
      const nn = Math.floor(n / Math.max(1, Number(name.split('_w')[1]))) * Number(name.split('_w')[1]);
      check(k, [x, y, new Float32Array(n), new Float32Array(n), new Float32Array(n), new Int32Array(n),
        new Uint8Array(n)], [nn]);
    }
  });

  it('float32 -> 8/16-bit casts saturate, truncate toward zero and send NaN to 0 (scalar and vector)', () => {
    const special = [NaN, Infinity, -Infinity, -0.5, 0.5, 1.99, -1.99, 127.7, 128, -128.5, -129, 255.9,
      256, 32767.5, 32768, -32768.9, -40000, 65535.5, 70000, 3e9, -3e9, -0, 254.5, 63.49];
    const n = 64, x = rand(n, -70000, 70000, 5);
    x.set(special, 0);
    for (const w of [1, W]) {
      check(KERNELS[index(`narrow_casts_w${w}`)], [x, new Uint8Array(n), new Int8Array(n), new Uint16Array(n),
        new Int16Array(n)], [n], { atol: 0, rtol: 0 });
    }
  });

  it('vectorisable exp/log/tanh/erf/sigmoid/atan approximations match Math.* (scalar and vector)', () => {
    const n = 16 * 64;
    const x = rand(n, -10, 10, 16);
    const special = [0, -0, 1e-30, -1e-30, 88.7, -87.5, 89, -100, 1e-40, Infinity, -Infinity, NaN,
      0.5, 2.5, -2.5, 20];
    x.set(special, 0);
    for (const name of ['unary_math_w1', `unary_math_w${W}`]) {
      const k = KERNELS[index(name)];
      const outs = K.UNARY_MATH.map(() => new Float32Array(n));
      const bufs = [x, ...outs];
      const ref = clone(bufs);
      runKernel(k, ref, [n]);
      const got = runNative(so, index(k.name), bufs, [n]);
      K.UNARY_MATH.forEach((op, j) => {
        for (let i = 0; i < n; i++) {
          const [g, r] = [got.bufs[j + 1][i] as number, ref[j + 1][i] as number];
          if (Number.isNaN(r) && Number.isNaN(g)) continue;
          // ~2 ulp of float32 per element, plus an absolute floor below the normal range.
          const ok = g === r || Math.abs(g - r) <= 2.5e-7 * Math.abs(r) + 1e-37;
          if (!ok) throw new Error(`${name} ${op}(${x[i]}) = ${g}, want ${r}`);
        }
      });
    }
  });

  it('mixed dtypes: float16, float64 (libm tanh/erf), uint8 wrap, bool logic, int64 casts', () => {
    const n = 16;
    const halves = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x8000];
    const h = Uint16Array.from({ length: n }, (_, i) => halves[i % 6]);
    const u = Uint8Array.from({ length: n }, (_, i) => (i * 47) % 256);
    const bo = Uint8Array.from({ length: n }, (_, i) => i % 3 === 0 ? 1 : 0);
    const d = Float64Array.from(rand(n, -3, 3, 21));
    for (const w of [1, 8]) {
      check(KERNELS[index(`mixed_types_w${w}`)], [h, u, bo, d, new Uint16Array(n), new Uint8Array(n),
        new Uint8Array(n), new Float64Array(n), new BigInt64Array(n)], [n], { atol: 1e-3, rtol: 1e-3 });
    }
  });

  it('serial loop, lane-varying if/else and assert inside a vector loop', () => {
    const [N, Kd] = [W + 3, 5];
    const k = KERNELS[index(`vec_inner_loop_w${W}`)];
    check(k, [rand(Kd, -1, 1, 22), rand(Kd * N, -1, 1, 23), new Float32Array(N)], [N, Kd]);
    const b = rand(Kd * N, -1, 1, 24);
    b[N - 1] = 100;
    const got = runNative(so, index(k.name), [rand(Kd, -1, 1, 22), b, new Float32Array(N)], [N, Kd]);
    expect(got.status).toBe(9);
  });

  it('Clip-like nested selects over a fused bias, NaN and both bounds, with a masked tail', () => {
    const [R, n] = [3, W + 5];
    const x = rand(R * n, -10, 10, 25);
    x[1] = NaN;
    x[n + 2] = 6;
    for (const w of [1, W]) {
      check(KERNELS[index(`clip_bias_w${w}`)], [x, Float32Array.from([0.5, -3, 2]), Float32Array.from([0, 6]),
        new Float32Array(R * n)], [R, n]);
    }
  });
});
