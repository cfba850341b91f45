// Cast to a float8 dtype under ONNX Cast's `saturate` attribute. Kernels narrow every float8
// store by one rule (ir/small-floats.ts: finite overflow to +-max, infinities kept where the
// format has them); what Cast adds is made explicit here as selects on the source value:
// - saturate=1: +-inf becomes +-max in e5m2 too (the other formats have no infinity, and the
//   store rule already sends inf to max there);
// - saturate=0: a value that rounds beyond the largest finite one, or an infinity, becomes
//   +-inf in e5m2 and NaN in the others.
// Requires: `to` a dtype; other target dtypes get a plain cast. Integer sources are converted to
// float32 first (as every float8 cast computes).

import type { DType } from '../dtype.js';
import { smallFloat, type SmallFloatFormat } from '../small-floats.js';
import type { Expr } from '../tir.js';
import * as t from '../tir-build.js';

const isFloatSource = (d: DType): boolean => d === 'float32' || d === 'float64' || d === 'float16'
  || smallFloat(d) !== undefined;

/** The smallest |x| that rounds (to nearest even) beyond the format's largest finite value. */
export function overflowBound(f: SmallFloatFormat): { readonly value: number; readonly inclusive: boolean } {
  const e = Math.floor(Math.log2(f.max));
  const ulp = 2 ** (e - f.manBits);
  const maxMantissa = Math.round((f.max / 2 ** e - 1) * 2 ** f.manBits);
  // At the midpoint, ties go to the even neighbour: up (overflow) when max's mantissa is odd.
  return { value: f.max + ulp / 2, inclusive: maxMantissa % 2 === 1 };
}

export function castWithSaturate(x: Expr, to: DType, saturate: boolean): Expr {
  const f = smallFloat(to);
  // bfloat16 has no saturate rule, float4e2m1 always saturates (it has no inf or NaN).
  if (!f || f.name === 'bfloat16' || !f.hasNan) return t.cast(x, to);
  const v = isFloatSource(x.dtype) ? x : t.cast(x, 'float32');
  const c = (n: number): Expr => t.imm(n, v.dtype);
  const neg = t.lt(v, c(0));
  if (saturate) {
    if (!f.ieee) return t.cast(v, to);
    return t.cast(t.select(t.unary('isinf', v), t.select(neg, c(-f.max), c(f.max)), v), to);
  }
  const bound = overflowBound(f);
  const mag = t.unary('abs', v);
  const over = t.binary('or', t.unary('isinf', v),
    bound.inclusive ? t.ge(mag, c(bound.value)) : t.gt(mag, c(bound.value)));
  const special = f.ieee ? t.select(neg, c(-Infinity), c(Infinity)) : c(NaN);
  return t.select(over, t.cast(special, to), t.cast(v, to));
}
