// bfloat16 and float8 in LLVM IR: the bits held in memory (i16 / i8) widened to float and
// narrowed back, as straight-line integer and float instructions that serve scalars and
// <W x ...> vectors alike (no table lookups, no libm). The rules are ir/small-floats.ts's:
// round to nearest even, subnormals kept, NaN to the format's NaN, finite overflow to +-max
// (the store rule; ONNX Cast's saturate attribute is decided by the cast lowering in
// ir/ops/cast-small.ts before the value gets here), infinities kept where the format has them.
// Requires: a float (or <W x float>) value to narrow, an i8/i16 (vector) value to widen.
// Guarantees: narrowing after widening gives back every code (NaN payloads aside), so copies
// through these formats are exact; test/codegen/small-floats.test.ts checks every code point.

import type { SmallFloatFormat } from '../../ir/small-floats.js';
import type { FnBuilder } from './builder.js';
import { vecTy } from './types.js';
import { VecOps } from './vec-ops.js';

class Ops extends VecOps {
  i(op: string, a: string, b: string): string {
    return this.b.emit(`${op} ${this.I} ${a}, ${b}`);
  }

  icmp(pred: string, a: string, b: string): string {
    return this.b.emit(`icmp ${pred} ${this.I} ${a}, ${b}`);
  }
}

const bitsOfFormat = (f: SmallFloatFormat): number => 1 + f.expBits + f.manBits;
/** i16 for bfloat16, i8 for float8 and for float4e2m1 (stored one code per byte). */
const memInt = (f: SmallFloatFormat): string => (bitsOfFormat(f) > 8 ? 'i16' : 'i8');

/** Bits of a positive value exactly representable in the format (its largest finite one). */
function maxCode(f: SmallFloatFormat): number {
  const e = Math.floor(Math.log2(f.max));
  return ((e + f.bias) << f.manBits) | Math.round((f.max / 2 ** e - 1) * 2 ** f.manBits);
}

/** <W x i8|i16> bits -> <W x float>. */
export function emitWiden(b: FnBuilder, f: SmallFloatFormat, w: number, v: string): string {
  const o = new Ops(b, w), M = f.manBits, N = bitsOfFormat(f);
  const u = b.emit(`zext ${vecTy(w, memInt(f))} ${v} to ${o.I}`);
  if (f.name === 'bfloat16') return b.emit(`bitcast ${o.I} ${o.i('shl', u, o.ci(16))} to ${o.F}`);
  const sign = o.i('shl', o.i('and', u, o.ci(1 << (N - 1))), o.ci(32 - N));
  const mag = o.i('and', u, o.ci((1 << (N - 1)) - 1));
  // Normal codes: move exponent and mantissa into float32's fields and rebias the exponent.
  const normBits = o.i('add', o.i('shl', mag, o.ci(23 - M)), o.ci((127 - f.bias) << 23));
  const norm = b.emit(`bitcast ${o.I} ${normBits} to ${o.F}`);
  // Subnormal codes (exponent field 0): the mantissa times the smallest subnormal, exactly.
  const magF = b.emit(`uitofp ${o.I} ${mag} to ${o.F}`);
  const sub = b.emit(`fmul ${o.F} ${magF}, ${o.cf(2 ** (1 - f.bias - M))}`);
  let val = o.select(o.icmp('ult', mag, o.ci(1 << M)), 'float', sub, norm);
  const top = ((1 << f.expBits) - 1) << M;
  if (f.ieee) {
    val = o.select(o.icmp('eq', mag, o.ci(top)), 'float', o.cf(Infinity), val);
    val = o.select(o.icmp('ugt', mag, o.ci(top)), 'float', o.cf(NaN), val);
  } else if (!f.fnuz && f.hasNan) {
    val = o.select(o.icmp('eq', mag, o.ci((1 << (N - 1)) - 1)), 'float', o.cf(NaN), val);
  }
  const vb = b.emit(`bitcast ${o.F} ${val} to ${o.I}`);
  let out = b.emit(`bitcast ${o.I} ${o.i('or', vb, sign)} to ${o.F}`);
  if (f.fnuz) out = o.select(o.icmp('eq', u, o.ci(1 << (N - 1))), 'float', o.cf(NaN), out);
  return out;
}

/** <W x float> -> <W x i8|i16> bits, by the store rule (see the file comment). */
export function emitNarrow(b: FnBuilder, f: SmallFloatFormat, w: number, x: string): string {
  const o = new Ops(b, w), M = f.manBits, N = bitsOfFormat(f);
  const u = b.emit(`bitcast ${o.F} ${x} to ${o.I}`);
  const a = o.i('and', u, o.ci(0x7fffffff));
  const isNan = o.icmp('ugt', a, o.ci(0x7f800000));
  const narrowTo = (code: string): string => b.emit(`trunc ${o.I} ${code} to ${vecTy(w, memInt(f))}`);
  if (f.name === 'bfloat16') {
    const hi = o.i('lshr', u, o.ci(16));
    const r = o.i('lshr', o.i('add', o.i('add', u, o.ci(0x7fff)), o.i('and', hi, o.ci(1))), o.ci(16));
    const nan = o.i('or', o.i('and', hi, o.ci(0x8000)), o.ci(0x7fc0));
    return narrowTo(o.select(isNan, 'i32', nan, r));
  }
  const sh = 23 - M;
  // Normal range: round the float32 mantissa to M bits (ties to even), rebias the exponent.
  const odd = o.i('and', o.i('lshr', a, o.ci(sh)), o.ci(1));
  const rounded = o.i('add', o.i('add', a, o.ci((1 << (sh - 1)) - 1)), odd);
  const norm = o.i('sub', o.i('lshr', rounded, o.ci(sh)), o.ci((127 - f.bias) << M));
  // Below the smallest normal: count smallest subnormals, rounded to even (2^M is the smallest
  // normal's code, so rounding up into the normal range needs no special case).
  const minNormal = 2 ** (1 - f.bias);
  const af = o.fIntrinsic('minnum', [b.emit(`bitcast ${o.I} ${a} to ${o.F}`), o.cf(minNormal)]);
  const q = o.fIntrinsic('roundeven', [b.emit(`fmul ${o.F} ${af}, ${o.cf(2 ** (f.bias - 1 + M))}`)]);
  const sub = b.emit(`fptoui ${o.F} ${q} to ${o.I}`);
  let code = o.select(o.icmp('ult', a, o.ci((128 - f.bias) << 23)), 'i32', sub, norm);
  code = o.select(o.icmp('ugt', code, o.ci(maxCode(f))), 'i32', o.ci(maxCode(f)), code);
  const inf = o.ci(((1 << f.expBits) - 1) << M);
  if (f.ieee) code = o.select(o.icmp('eq', a, o.ci(0x7f800000)), 'i32', inf, code);
  const sign = o.i('and', o.i('lshr', u, o.ci(32 - N)), o.ci(1 << (N - 1)));
  let signed = o.i('or', code, sign);
  if (f.fnuz) signed = o.select(o.icmp('eq', code, o.ci(0)), 'i32', o.ci(0), signed);
  return narrowTo(o.select(isNan, 'i32', o.ci(f.nanCode), signed));
}

/** Rounds float values to the nearest value of the format (what a result of that dtype keeps). */
export function emitRoundTo(b: FnBuilder, f: SmallFloatFormat, w: number, x: string): string {
  return emitWiden(b, f, w, emitNarrow(b, f, w, x));
}
