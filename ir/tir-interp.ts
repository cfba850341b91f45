// Reference interpreter of tensor-IR kernels over typed arrays: the living definition of the IR
// and the oracle for codegen tests. Plain and slow on purpose.
//
// Requires: buffers in kernel order as typed arrays of the buffer dtype (int64/uint64 as
// BigInt64Array/BigUint64Array, bool as Uint8Array, float16 and bfloat16 as Uint16Array bits,
// float8 as Uint8Array bits); scalars as numbers or bigints. Guarantees (the semantics codegen
// must match):
// - Values are JS numbers; float32 results are rounded with Math.fround after every operation,
//   float16, bfloat16 and float8 values are computed in float32 and rounded to their format after
//   every operation, cast and store (bfloat16/float8 by ir/small-floats.ts's store rule). Integer
//   results wrap to their dtype's width (int64 is exact only within +-2^53 here).
// - parallel loops run serially; vectorize loops run lane after lane (lanes must be independent,
//   which is what makes this equal to the lock-step vector code); `select` evaluates only the
//   chosen arm, so a masked load never reads out of bounds.
// - Integer div/floordiv/mod by zero give 0; INT_MIN / -1 wraps (no trap).
// - Float min/max propagate NaN (either operand NaN -> NaN), like ONNX Min/Max/Relu.
// - float -> int casts truncate, saturate at the dtype's range and send NaN to 0.
// - round is round-half-to-even (ONNX Round); sign(NaN) is NaN, sign(+-0) is the zero.
// - `assert` with a false condition ends the kernel, returning its code.

import type { DType, TypedArrayOf } from './dtype.js';
import { dtypeInfo, packedBits } from './dtype.js';
import { decodeSmall, isSmallFloat, narrowSmall, roundSmall, smallFloat } from './small-floats.js';
import type { BinOp, Expr, Kernel, Stmt, UnOp } from './tir.js';

function assertNever(x: never): never {
  throw new Error(`unexpected node ${JSON.stringify(x)}`);
}

class AssertFailed {
  constructor(readonly code: number) {}
}

type Env = Map<string, number>;
type Mem = Map<string, { dtype: DType; data: TypedArrayOf }>;

const isFloatT = (d: DType): boolean =>
  d === 'float32' || d === 'float64' || d === 'float16' || isSmallFloat(d);

/** Wraps an integer-valued number to dtype `d` (two's complement). */
export function wrapInt(v: number, d: DType): number {
  switch (d) {
    case 'bool': return v !== 0 ? 1 : 0;
    case 'int8': return (v << 24) >> 24;
    case 'uint8': return v & 0xff;
    case 'int16': return (v << 16) >> 16;
    case 'uint16': return v & 0xffff;
    case 'int32': return v | 0;
    case 'uint32': return v >>> 0;
    case 'int64': return Number.isSafeInteger(v) ? v : Number(BigInt.asIntN(64, BigInt(v)));
    case 'uint64': return Number.isSafeInteger(v) && v >= 0 ? v : Number(BigInt.asUintN(64, BigInt(v)));
    case 'int4': return (v << 28) >> 28;
    case 'uint4': return v & 0xf;
    case 'int2': return (v << 30) >> 30;
    case 'uint2': return v & 0x3;
    default: throw new Error(`wrapInt on ${d}`);
  }
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** Float16 bits -> number. */
export function halfToNumber(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >> 10) & 0x1f;
  const m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

/** Number -> float16 bits, round to nearest even. */
export function numberToHalf(v: number): number {
  F32[0] = v;
  const x = U32[0];
  const sign = (x >>> 16) & 0x8000;
  const e = (x >>> 23) & 0xff;
  let m = x & 0x7fffff;
  if (e === 0xff) return sign | 0x7c00 | (m ? 0x200 : 0);
  let ne = e - 127 + 15;
  if (ne >= 31) return sign | 0x7c00;
  if (ne <= 0) {
    if (ne < -10) return sign;
    m |= 0x800000;
    const shift = 14 - ne;
    const half = 1 << (shift - 1);
    let r = m >>> shift;
    const rem = m & ((1 << shift) - 1);
    if (rem > half || (rem === half && (r & 1))) r++;
    return sign | r;
  }
  let r = m >>> 13;
  const rem = m & 0x1fff;
  if (rem > 0x1000 || (rem === 0x1000 && (r & 1))) r++;
  if (r === 0x400) { r = 0; ne++; }
  return ne >= 31 ? sign | 0x7c00 : sign | (ne << 10) | r;
}

/** Rounds a number to the precision of float dtype `d`. */
export function roundFloat(v: number, d: DType): number {
  if (d === 'float32') return Math.fround(v);
  if (d === 'float16') return halfToNumber(numberToHalf(v));
  const sf = smallFloat(d);
  return sf ? roundSmall(sf, v) : v;
}

/** erf in double precision: Taylor series near 0, continued fraction for erfc beyond. */
export function erf(x: number): number {
  if (Number.isNaN(x)) return NaN;
  const ax = Math.abs(x);
  if (ax < 2.5) {
    let term = x;
    let sum = x;
    for (let n = 1; n < 200 && Math.abs(term) > 1e-17 * Math.abs(sum); n++) {
      term *= (-x * x) / n;
      sum += term / (2 * n + 1);
    }
    return (2 / Math.sqrt(Math.PI)) * sum;
  }
  if (ax > 6) return Math.sign(x);
  let f = ax;
  for (let k = 60; k >= 1; k--) f = ax + k / 2 / f;
  const erfc = Math.exp(-ax * ax) / Math.sqrt(Math.PI) / f;
  return Math.sign(x) * (1 - erfc);
}

function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

const BIG_BITWISE = new Set<DType>(['int64', 'uint64']);

function bitwise(op: 'and' | 'or' | 'xor', a: number, b: number, d: DType): number {
  if (BIG_BITWISE.has(d)) {
    const x = BigInt(a);
    const y = BigInt(b);
    const r = op === 'and' ? x & y : op === 'or' ? x | y : x ^ y;
    return wrapInt(Number(r), d);
  }
  const r = op === 'and' ? a & b : op === 'or' ? a | b : a ^ b;
  return wrapInt(r, d);
}

/** Unsigned bytes of a times signed bytes of b, summed (never overflows int32). */
function dot4(a: number, b: number): number {
  let s = 0;
  for (let j = 0; j < 4; j++) s += ((a >>> (8 * j)) & 255) * ((b << (24 - 8 * j)) >> 24);
  return s;
}

function floatMinMax(op: 'min' | 'max', a: number, b: number): number {
  if (Number.isNaN(a) || Number.isNaN(b)) return NaN;
  return op === 'min' ? (a < b ? a : b) : (a > b ? a : b);
}

function intDivide(op: 'div' | 'floordiv' | 'mod', a: number, b: number, d: DType): number {
  if (b === 0) return 0;
  switch (op) {
    case 'div': return wrapInt(Math.trunc(a / b), d);
    case 'floordiv': return wrapInt(Math.floor(a / b), d);
    case 'mod': return wrapInt(a - b * Math.floor(a / b), d);
  }
}

function binop(op: BinOp, a: number, b: number, d: DType): number {
  const fl = isFloatT(d);
  const fin = (v: number): number => (fl ? roundFloat(v, d) : wrapInt(v, d));
  switch (op) {
    case 'add': return fin(a + b);
    case 'sub': return fin(a - b);
    case 'mul': return fl ? fin(a * b) : wrapInt(Number(BigInt(a) * BigInt(b) % (1n << 64n)), d);
    case 'div': return fl ? fin(a / b) : intDivide('div', a, b, d);
    case 'floordiv': return fl ? fin(Math.floor(a / b)) : intDivide('floordiv', a, b, d);
    case 'mod': return fl ? fin(a - b * Math.floor(a / b)) : intDivide('mod', a, b, d);
    case 'min': case 'max':
      if (fl) return floatMinMax(op, a, b);
      return op === 'min' ? Math.min(a, b) : Math.max(a, b);
    case 'pow': return fl ? fin(Math.pow(a, b)) : wrapInt(Math.trunc(Math.pow(a, b)), d);
    case 'eq': return Number(a === b);
    case 'ne': return Number(a !== b);
    case 'lt': return Number(a < b);
    case 'le': return Number(a <= b);
    case 'gt': return Number(a > b);
    case 'ge': return Number(a >= b);
    case 'and': case 'or': case 'xor': return bitwise(op, a, b, d);
    case 'dot4': return dot4(a, b);
    default: return assertNever(op);
  }
}

function floatUnop(op: UnOp, a: number): number {
  switch (op) {
    case 'neg': return -a;
    case 'abs': return Math.abs(a);
    case 'exp': return Math.exp(a);
    case 'log': return Math.log(a);
    case 'sqrt': return Math.sqrt(a);
    case 'rsqrt': return 1 / Math.sqrt(a);
    case 'tanh': return Math.tanh(a);
    case 'erf': return erf(a);
    case 'sigmoid': return 1 / (1 + Math.exp(-a));
    case 'floor': return Math.floor(a);
    case 'ceil': return Math.ceil(a);
    case 'round': return roundHalfEven(a);
    case 'sin': return Math.sin(a);
    case 'cos': return Math.cos(a);
    case 'atan': return Math.atan(a);
    case 'sign': return a > 0 ? 1 : a < 0 ? -1 : a;
    case 'reciprocal': return 1 / a;
    case 'isnan': return Number(Number.isNaN(a));
    case 'isinf': return Number(Math.abs(a) === Infinity);
    case 'not': throw new Error('not on a float');
    default: return assertNever(op);
  }
}

function intUnop(op: UnOp, a: number, d: DType): number {
  switch (op) {
    case 'neg': return wrapInt(-a, d);
    case 'not': return d === 'bool' ? 1 - a : bitwise('xor', a, -1, d);
    case 'abs': return wrapInt(Math.abs(a), d);
    case 'sign': return Math.sign(a);
    case 'isnan': case 'isinf': return 0;
    default: return wrapInt(Math.trunc(floatUnop(op, a)), d);
  }
}

function castValue(v: number, from: DType, to: DType): number {
  if (to === 'bool') return v !== 0 ? 1 : 0;
  if (isFloatT(to)) return roundFloat(v, to);
  if (!isFloatT(from)) return wrapInt(v, to);
  if (Number.isNaN(v)) return 0;
  // ONNX wraps into the sub-byte integers (Cast(-9.0) to uint4 is 7): through int32.
  if (packedBits(to) !== undefined) return wrapInt(castValue(v, from, 'int32'), to);
  const bits = dtypeInfo(to).bytes * 8;
  const signed = dtypeInfo(to).isSigned;
  const lo = signed ? -(2 ** (bits - 1)) : 0;
  const hi = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  return Math.min(hi, Math.max(lo, Math.trunc(v)));
}

const BITS = new DataView(new ArrayBuffer(8));

/** `v` of dtype `from` written little-endian and read back as `to` (same width). */
function bitcastValue(v: number, from: DType, to: DType): number {
  const d = BITS;
  switch (from) {
    case 'float16': d.setUint16(0, numberToHalf(v), true); break;
    case 'float32': d.setFloat32(0, v, true); break;
    case 'float64': d.setFloat64(0, v, true); break;
    default: d.setBigUint64(0, BigInt.asUintN(64, BigInt(v)), true); // low bytes first
  }
  switch (to) {
    case 'float16': return halfToNumber(d.getUint16(0, true));
    case 'float32': return d.getFloat32(0, true);
    case 'float64': return d.getFloat64(0, true);
    case 'bool': return d.getUint8(0) !== 0 ? 1 : 0;
    case 'int8': return d.getInt8(0);
    case 'uint8': return d.getUint8(0);
    case 'int16': return d.getInt16(0, true);
    case 'uint16': return d.getUint16(0, true);
    case 'int32': return d.getInt32(0, true);
    case 'uint32': return d.getUint32(0, true);
    case 'int64': return Number(d.getBigInt64(0, true));
    case 'uint64': return Number(d.getBigUint64(0, true));
    default: throw new Error(`bitcast to ${to}`);
  }
}

class Interp {
  constructor(readonly mem: Mem) {}

  expr(e: Expr, env: Env): number {
    switch (e.kind) {
      case 'const': return e.value;
      case 'var': return this.lookup(env, e.name);
      case 'binary': return binop(e.op, this.expr(e.a, env), this.expr(e.b, env), e.a.dtype);
      case 'unary': {
        const a = this.expr(e.a, env);
        if (!isFloatT(e.a.dtype)) return intUnop(e.op, a, e.a.dtype);
        const r = floatUnop(e.op, a);
        return e.dtype === 'bool' ? r : roundFloat(r, e.dtype);
      }
      case 'cast': {
        const a = this.expr(e.a, env);
        return e.bits ? bitcastValue(a, e.a.dtype, e.dtype) : castValue(a, e.a.dtype, e.dtype);
      }
      case 'select': return this.expr(e.cond, env) !== 0 ? this.expr(e.a, env) : this.expr(e.b, env);
      case 'load': return this.load(e.buf.name, this.expr(e.index, env));
      default: return assertNever(e);
    }
  }

  lookup(env: Env, name: string): number {
    const v = env.get(name);
    if (v === undefined) throw new Error(`tir-interp: unbound variable ${name}`);
    return v;
  }

  buffer(name: string): { dtype: DType; data: TypedArrayOf } {
    const b = this.mem.get(name);
    if (!b) throw new Error(`tir-interp: unknown buffer ${name}`);
    return b;
  }

  load(name: string, i: number): number {
    const b = this.buffer(name);
    if (!(i >= 0 && i < b.data.length)) {
      throw new Error(`tir-interp: load ${name}[${i}] out of bounds (length ${b.data.length})`);
    }
    const raw = b.data[i];
    if (b.dtype === 'float16') return halfToNumber(raw as number);
    const sf = smallFloat(b.dtype);
    if (sf) return decodeSmall(sf, raw as number);
    return typeof raw === 'bigint' ? Number(raw) : raw;
  }

  store(name: string, i: number, v: number): void {
    const b = this.buffer(name);
    if (!(i >= 0 && i < b.data.length)) {
      throw new Error(`tir-interp: store ${name}[${i}] out of bounds (length ${b.data.length})`);
    }
    const sf = smallFloat(b.dtype);
    if (b.dtype === 'float16') b.data[i] = numberToHalf(v);
    else if (sf) b.data[i] = narrowSmall(sf, v);
    else if (b.data instanceof BigInt64Array) b.data[i] = BigInt.asIntN(64, BigInt(v));
    else if (b.data instanceof BigUint64Array) b.data[i] = BigInt.asUintN(64, BigInt(v));
    else (b.data as Float64Array)[i] = v;
  }

  stmt(s: Stmt, env: Env): void {
    switch (s.kind) {
      case 'for': {
        const min = this.expr(s.min, env);
        const extent = this.expr(s.extent, env);
        for (let i = min; i < min + extent; i++) this.stmt(s.body, new Map(env).set(s.var.name, i));
        return;
      }
      case 'store': this.store(s.buf.name, this.expr(s.index, env), this.expr(s.value, env)); return;
      case 'seq': for (const b of s.body) this.stmt(b, env); return;
      case 'if':
        if (this.expr(s.cond, env) !== 0) this.stmt(s.then, env);
        else if (s.else) this.stmt(s.else, env);
        return;
      case 'let': this.stmt(s.body, new Map(env).set(s.var.name, this.expr(s.value, env))); return;
      case 'alloc': this.alloc(s, env); return;
      case 'assert': if (this.expr(s.cond, env) === 0) throw new AssertFailed(s.code); return;
      default: assertNever(s);
    }
  }

  alloc(s: Extract<Stmt, { kind: 'alloc' }>, env: Env): void {
    const prev = this.mem.get(s.buf.name);
    this.mem.set(s.buf.name, { dtype: s.buf.dtype, data: newTypedArray(s.buf.dtype, s.size) });
    try {
      this.stmt(s.body, env);
    } finally {
      if (prev) this.mem.set(s.buf.name, prev);
      else this.mem.delete(s.buf.name);
    }
  }
}

/** A zero-filled typed array of `n` elements for dtype `d` (the layout runKernel expects). */
export function newTypedArray(d: DType, n: number): TypedArrayOf {
  switch (d) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int64': return new BigInt64Array(n);
    case 'uint64': return new BigUint64Array(n);
    case 'int8': return new Int8Array(n);
    case 'int16': return new Int16Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint16': case 'float16': case 'bfloat16': return new Uint16Array(n);
    case 'uint32': return new Uint32Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz':
    case 'float4e2m1': case 'uint4': case 'uint2':
      return new Uint8Array(n);
    case 'int4': case 'int2': return new Int8Array(n);
    case 'string': throw new Error('internal: a kernel over string elements');
    default: return assertNever(d);
  }
}

/**
 * Runs `k` in place over `buffers` (mutating them) and returns the kernel status: 0, or the code
 * of the first failed assert.
 */
export function runKernel(k: Kernel, buffers: readonly TypedArrayOf[],
  scalars: readonly (number | bigint)[]): number {
  if (buffers.length !== k.buffers.length || scalars.length !== k.scalars.length) {
    const want = `${k.buffers.length} buffers and ${k.scalars.length} scalars`;
    throw new Error(`tir-interp: ${k.name} takes ${want}`);
  }
  const mem: Mem = new Map(k.buffers.map((b, i) => [b.name, { dtype: b.dtype, data: buffers[i] }]));
  const env: Env = new Map(k.scalars.map((v, i) => [v.name, wrapInt(Number(scalars[i]), v.dtype)]));
  try {
    new Interp(mem).stmt(k.body, env);
    return 0;
  } catch (e) {
    if (e instanceof AssertFailed) return e.code;
    throw e;
  }
}
