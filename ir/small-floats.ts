// The storage-only float formats: bfloat16, the four ONNX float8 formats and float4e2m1. Tensors of these
// dtypes hold the raw bits (2 or 1 bytes per element); kernels widen them to float32 on load,
// compute in float32 and narrow on store. This file is their definition in TypeScript, used by
// the tensor-IR interpreter, the ONNX loader, the test-data reader and the API; codegen/llvm/
// small-floats.ts emits the same rules as LLVM IR, and test/unit/small-floats.test.ts checks both
// against a table of every code point made by scripts/small-float-table.py.
//
// Rules (the ONNX specification of Cast, "float8" section):
// - Narrowing rounds to nearest, ties to even. Subnormals of the target are produced.
// - saturate (ONNX Cast's default): a finite value beyond the largest finite value, and +-inf,
//   become +-max. Without it they become the format's infinity (e5m2) or NaN (the others).
// - NaN becomes NaN: 0x7F|sign for e4m3fn and e5m2's quiet NaN; 0x80 (the only NaN) for fnuz.
// - fnuz formats have no negative zero: -0 narrows to 0x00.
// - float4e2m1 has neither infinities nor NaN: it always saturates, and NaN narrows to 0x8.
// - bfloat16 is float32's upper half, rounded to nearest even; NaN becomes 0x7FC0|sign.

import type { DType } from './dtype.js';

export interface SmallFloatFormat {
  readonly name: DType;
  readonly expBits: number;
  readonly manBits: number;
  readonly bias: number;
  /** IEEE-style infinities and NaNs in the top exponent (e5m2, bfloat16). */
  readonly ieee: boolean;
  /** 0x80 is the only NaN and there is no negative zero (the fnuz formats). */
  readonly fnuz: boolean;
  /** The largest finite value. */
  readonly max: number;
  /** The code NaN narrows to (float4e2m1 has no NaN: 0x8, its negative zero, as ml_dtypes and
   * the ONNX reference give). */
  readonly nanCode: number;
  /** Whether some code is NaN (not in float4e2m1). */
  readonly hasNan: boolean;
}

const fmt = (name: DType, expBits: number, manBits: number, bias: number, ieee: boolean,
  fnuz: boolean, max: number, nanCode = fnuz ? 0x80 : 0x7f, hasNan = true): SmallFloatFormat =>
  Object.freeze({ name, expBits, manBits, bias, ieee, fnuz, max, nanCode, hasNan });

export const SMALL_FLOATS: readonly SmallFloatFormat[] = Object.freeze([
  fmt('bfloat16', 8, 7, 127, true, false, 3.3895313892515355e38),
  fmt('float8e4m3fn', 4, 3, 7, false, false, 448),
  fmt('float8e4m3fnuz', 4, 3, 8, false, true, 240),
  fmt('float8e5m2', 5, 2, 15, true, false, 57344),
  fmt('float8e5m2fnuz', 5, 2, 16, false, true, 57344),
  // Stored unpacked, one code (0..15) per byte; see ir/dtype.ts packedBits.
  fmt('float4e2m1', 2, 1, 1, false, false, 6, 0x8, false),
]);

const BY_NAME = new Map(SMALL_FLOATS.map((f) => [f.name, f]));

/** The format of a storage-only float dtype, or undefined for every other dtype. */
export const smallFloat = (d: DType): SmallFloatFormat | undefined => BY_NAME.get(d);
export const isSmallFloat = (d: DType): boolean => BY_NAME.has(d);

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Bits of `f` -> its value (a float32-exact number). */
export function decodeSmall(f: SmallFloatFormat, bits: number): number {
  const total = 1 + f.expBits + f.manBits;
  if (f.name === 'bfloat16') {
    U32[0] = (bits & 0xffff) << 16;
    return F32[0];
  }
  const sign = (bits >> (total - 1)) & 1, e = (bits >> f.manBits) & ((1 << f.expBits) - 1);
  const m = bits & ((1 << f.manBits) - 1), topE = (1 << f.expBits) - 1;
  if (f.fnuz && sign === 1 && e === 0 && m === 0) return NaN;
  if (f.ieee && e === topE) return m === 0 ? (sign ? -Infinity : Infinity) : NaN;
  if (f.hasNan && !f.ieee && !f.fnuz && e === topE && m === (1 << f.manBits) - 1) return NaN;
  const mag = e === 0 ? m * 2 ** (1 - f.bias - f.manBits) : (1 + m / 2 ** f.manBits) * 2 ** (e - f.bias);
  return sign ? -mag : mag;
}

function bf16FromF32(x: number): number {
  F32[0] = x;
  const u = U32[0];
  if (Number.isNaN(F32[0])) return ((u >>> 16) & 0x8000) | 0x7fc0;
  return ((u + 0x7fff + ((u >>> 16) & 1)) >>> 16) & 0xffff;
}

/** A number -> bits of `f`: the value is first rounded to float32, then to `f` (see the rules). */
export function encodeSmall(f: SmallFloatFormat, x: number, saturate = true): number {
  if (f.name === 'bfloat16') return bf16FromF32(x);
  const total = 1 + f.expBits + f.manBits, signBit = 1 << (total - 1);
  const v = Math.fround(x);
  if (Number.isNaN(v)) return f.nanCode;
  const neg = v < 0 || Object.is(v, -0);
  const sign = neg ? signBit : 0;
  const a = Math.abs(v);
  const over = (): number => {
    if (saturate) return sign | maxBits(f);
    if (f.ieee) return sign | (((1 << f.expBits) - 1) << f.manBits);
    if (!f.hasNan) return sign | maxBits(f);
    return f.fnuz ? 0x80 : sign | 0x7f;
  };
  if (a === Infinity) return over();
  // Round |v| to a multiple of the spacing at its binade (ties to even), in exact binary arithmetic.
  const minExp = 1 - f.bias;
  const binade = a === 0 ? minExp : Math.max(minExp, Math.floor(Math.log2(a)));
  let e = binade;
  if (2 ** e > a && a !== 0) e -= 1; // guard against log2 rounding up
  if (2 ** (e + 1) <= a) e += 1;
  e = Math.max(minExp, e);
  const ulp = 2 ** (e - f.manBits);
  const q = a / ulp, fl = Math.floor(q), rem = q - fl;
  const n = rem > 0.5 || (rem === 0.5 && fl % 2 === 1) ? fl + 1 : fl;
  const r = n * ulp;
  if (r > f.max) return over();
  if (r === 0) return f.fnuz ? 0 : sign;
  return sign | magnitudeBits(f, r);
}

function maxBits(f: SmallFloatFormat): number {
  return magnitudeBits(f, f.max);
}

/** Bits of a positive value exactly representable in `f`. */
function magnitudeBits(f: SmallFloatFormat, r: number): number {
  const minExp = 1 - f.bias;
  let e = Math.floor(Math.log2(r));
  if (2 ** e > r) e -= 1;
  if (2 ** (e + 1) <= r) e += 1;
  if (e < minExp) return Math.round(r / 2 ** (minExp - f.manBits)); // subnormal
  const m = Math.round((r / 2 ** e - 1) * 2 ** f.manBits);
  return ((e + f.bias) << f.manBits) | m;
}

/**
 * The store rule, what a kernel writes for a value of dtype `f`: Cast's saturating rounding,
 * except that infinities stay infinite in the formats that have them (so a copy through e5m2 keeps
 * them; Cast's own saturation of infinities is made explicit by ir/ops/cast-small.ts).
 */
export function narrowSmall(f: SmallFloatFormat, x: number): number {
  if (f.ieee && Math.abs(x) === Infinity) return encodeSmall(f, x, false);
  return encodeSmall(f, x, true);
}

/** A value rounded to `f` by the store rule. */
export const roundSmall = (f: SmallFloatFormat, x: number): number => decodeSmall(f, narrowSmall(f, x));
