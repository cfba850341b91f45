// LLVM type names, literals and intrinsic name mangling for the tensor-IR emitter.
// Requires: LLVM 14 textual IR with typed pointers. Guarantees: float literals are written as
// exact hex doubles (what LLVM's parser requires for `float`), so no constant is silently
// rounded differently from the interpreter.

import type { DType } from '../../ir/dtype.js';
import { isSmallFloat } from '../../ir/small-floats.js';

export function assertNever(x: never): never {
  throw new Error(`unexpected value ${JSON.stringify(x)}`);
}

/** Float dtypes, bfloat16 and float8 included (they compute in float; see small-floats.ts). */
export const isFloatDT = (d: DType): boolean =>
  d === 'float32' || d === 'float64' || d === 'float16' || isSmallFloat(d);
export const isSignedDT = (d: DType): boolean =>
  d === 'int8' || d === 'int16' || d === 'int32' || d === 'int64' || d === 'int4' || d === 'int2';

/** Register type: bool is i1, float16, bfloat16 and float8 are computed in float. */
export function regTy(d: DType): string {
  switch (d) {
    case 'float32': case 'float16': case 'bfloat16': return 'float';
    case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz': return 'float';
    case 'float4e2m1': return 'float';
    // The sub-byte integers live in i8 registers, wrapped to their width (see expr.ts wrapNarrow).
    case 'int4': case 'uint4': case 'int2': case 'uint2': return 'i8';
    case 'float64': return 'double';
    case 'bool': return 'i1';
    case 'int8': case 'uint8': return 'i8';
    case 'int16': case 'uint16': return 'i16';
    case 'int32': case 'uint32': return 'i32';
    case 'int64': case 'uint64': return 'i64';
    // Kernels never see strings: compiler/lower refuses them first (KC0209).
    case 'string': throw new Error('internal: a kernel over string elements');
    default: return assertNever(d);
  }
}

/** Memory type: bool is stored as i8, float16 as half, bfloat16 and float8 as their bits. */
export function memTy(d: DType): string {
  if (d === 'bool') return 'i8';
  if (d === 'float16') return 'half';
  if (d === 'bfloat16') return 'i16';
  if (isSmallFloat(d)) return 'i8';
  return regTy(d);
}

export const isFloatTy = (t: string): boolean => t === 'float' || t === 'double' || t === 'half';
export const bitsOf = (t: string): number =>
  t === 'float' ? 32 : t === 'double' ? 64 : t === 'half' ? 16 : Number(t.slice(1));
export const vecTy = (w: number, t: string): string => (w === 1 ? t : `<${w} x ${t}>`);
export const alignOf = (t: string): number => Math.max(1, bitsOf(t) / 8);

const DV = new DataView(new ArrayBuffer(8));

/** A literal of scalar type `t` for value `v` (integers wrap, floats round to `t`). */
export function lit(t: string, v: number): string {
  if (t === 'i1') return v !== 0 ? 'true' : 'false';
  if (!isFloatTy(t)) return BigInt.asIntN(bitsOf(t), BigInt(Math.trunc(v))).toString();
  DV.setFloat64(0, t === 'float' ? Math.fround(v) : v);
  return '0x' + DV.getBigUint64(0).toString(16).toUpperCase().padStart(16, '0');
}

/** A splat vector literal, or the scalar literal when w === 1. */
export function splatLit(w: number, t: string, v: number): string {
  if (w === 1) return lit(t, v);
  const one = `${t} ${lit(t, v)}`;
  return `<${new Array(w).fill(one).join(', ')}>`;
}

/** Intrinsic type mangling: f32, v16f32, i64, v8i1 ... */
export function mangle(t: string): string {
  const m = /^<(\d+) x (.+)>$/.exec(t);
  if (m) return `v${m[1]}${mangle(m[2])}`;
  if (t.endsWith('*')) return `p0${mangle(t.slice(0, -1))}`;
  if (t === 'float') return 'f32';
  if (t === 'double') return 'f64';
  if (t === 'half') return 'f16';
  return t;
}
