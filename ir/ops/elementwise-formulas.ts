// Scalar formulas for the elementwise ops that are compositions of tir ops: activations,
// trigonometric and hyperbolic functions, IsInf, and BitShift. Each follows the ONNX operator
// definition; where the textbook identity loses accuracy or overflows in float32 (softplus of large
// x, sinh near 0, asinh/acosh of huge |x|, acos near 1) a stable form of the same identity is used.
// Requires: float inputs for the float formulas, integer ones for bitShift.
// Guarantees: NaN propagates through every float formula; infinities give the limits.

import { dtypeInfo } from '../dtype.js';
import type { Attrs } from '../graph.js';
import * as t from '../tir-build.js';
import type { Expr } from '../tir.js';

const c = (x: Expr, v: number): Expr => t.imm(v, x.dtype);
/** A declared numeric attribute (ir/ops/elementwise.ts declares each op's and its default). */
const num = (a: Attrs, k: string): number => a[k] as number;
const u = (op: Parameters<typeof t.unary>[0], x: Expr): Expr => t.unary(op, x);
const half = (x: Expr): Expr => t.mul(c(x, 0.5), x);

/** max(0, min(1, alpha x + beta)) */
export const hardSigmoid = (x: Expr, alpha: number, beta: number): Expr =>
  t.max(c(x, 0), t.min(c(x, 1), t.add(t.mul(c(x, alpha), x), c(x, beta))));

/**
 * log(1 + y) without losing y when it is small next to 1: with w = 1 + y rounded, log(w) * y / (w - 1)
 * cancels the rounding of w (Goldberg, "What every computer scientist should know...", thm 4).
 */
function log1p(y: Expr): Expr {
  const w = t.add(c(y, 1), y);
  const exact = t.div(t.mul(u('log', w), y), t.sub(w, c(y, 1)));
  return t.select(t.eq(w, c(y, 1)), y, t.select(t.eq(w, c(y, Infinity)), w, exact));
}

/** log(1 + e^x) as max(x, 0) + log1p(e^-|x|): e^x would overflow to inf for x > 88. */
export const softplus = (x: Expr): Expr =>
  t.add(t.max(x, c(x, 0)), log1p(u('exp', u('neg', u('abs', x)))));

export const mish = (x: Expr): Expr => t.mul(x, u('tanh', softplus(x)));

export const softsign = (x: Expr): Expr => t.div(x, t.add(c(x, 1), u('abs', x)));

/** max(0, x) + min(0, alpha (e^(x/alpha) - 1)) */
export function celu(x: Expr, a: Attrs): Expr {
  const alpha = num(a, 'alpha');
  const e = t.mul(c(x, alpha), t.sub(u('exp', t.div(x, c(x, alpha))), c(x, 1)));
  return t.add(t.max(c(x, 0), x), t.min(c(x, 0), e));
}

/** x Φ(x): exact with erf, or the tanh approximation (approximate = 'tanh', opset 20). */
export function gelu(x: Expr, a: Attrs): Expr {
  if (a.approximate === 'tanh') {
    const inner = t.mul(c(x, Math.sqrt(2 / Math.PI)),
      t.add(x, t.mul(c(x, 0.044715), t.mul(x, t.mul(x, x)))));
    return t.mul(half(x), t.add(c(x, 1), u('tanh', inner)));
  }
  return t.mul(half(x), t.add(c(x, 1), u('erf', t.mul(x, c(x, Math.SQRT1_2)))));
}

export const swish = (x: Expr, a: Attrs): Expr => t.mul(x, u('sigmoid', t.mul(c(x, num(a, 'alpha')), x)));

export const thresholdedRelu = (x: Expr, a: Attrs): Expr =>
  t.select(t.gt(x, c(x, num(a, 'alpha'))), x, c(x, 0));

/** x < -lambd: x + bias; x > lambd: x - bias; else 0. */
export function shrink(x: Expr, a: Attrs): Expr {
  const [lambd, bias] = [num(a, 'lambd'), num(a, 'bias')];
  return t.select(t.lt(x, c(x, -lambd)), t.add(x, c(x, bias)),
    t.select(t.gt(x, c(x, lambd)), t.sub(x, c(x, bias)), c(x, 0)));
}

export const tan = (x: Expr): Expr => t.div(u('sin', x), u('cos', x));

/** asin x = atan(x / sqrt((1 - x)(1 + x))); x = ±1 gives atan(±inf) = ±π/2, |x| > 1 NaN. */
export const asin = (x: Expr): Expr =>
  u('atan', t.div(x, u('sqrt', t.mul(t.sub(c(x, 1), x), t.add(c(x, 1), x)))));

/** acos x = 2 atan(sqrt((1 - x) / (1 + x))): keeps relative accuracy near x = 1 (π/2 - asin does not). */
export const acos = (x: Expr): Expr =>
  t.mul(c(x, 2), u('atan', u('sqrt', t.div(t.sub(c(x, 1), x), t.add(c(x, 1), x)))));

/** Taylor terms of sinh to x^7: below |x| = 0.5 the exp difference would cancel. */
function sinhSmall(x: Expr): Expr {
  const x2 = t.mul(x, x);
  const p = t.add(c(x, 1 / 6), t.mul(x2, t.add(c(x, 1 / 120), t.mul(x2, c(x, 1 / 5040)))));
  return t.add(x, t.mul(t.mul(x, x2), p));
}

export function sinh(x: Expr): Expr {
  const big = half(t.sub(u('exp', x), u('exp', u('neg', x))));
  return t.select(t.lt(u('abs', x), c(x, 0.5)), sinhSmall(x), big);
}

export const cosh = (x: Expr): Expr => half(t.add(u('exp', x), u('exp', u('neg', x))));

/** Above 1e18, log(m + sqrt(m² ± 1)) is log(m) + log 2 (m² would overflow float32). */
const huge = (m: Expr, direct: Expr): Expr =>
  t.select(t.gt(m, c(m, 1e18)), t.add(u('log', m), c(m, Math.LN2)), direct);

/**
 * asinh x = sign(x) log1p(|x| + x² / (1 + sqrt(1 + x²))): odd, so -x does not cancel against the
 * root, and log1p keeps small |x| exact.
 */
export const asinh = (x: Expr): Expr => {
  const m = u('abs', x);
  const y = t.add(m, t.div(t.mul(m, m), t.add(c(x, 1), u('sqrt', t.add(t.mul(m, m), c(x, 1))))));
  const r = huge(m, log1p(y));
  return t.select(t.lt(x, c(x, 0)), u('neg', r), r);
};

export const acosh = (x: Expr): Expr =>
  huge(x, u('log', t.add(x, u('sqrt', t.mul(t.sub(x, c(x, 1)), t.add(x, c(x, 1)))))));

/** atanh x = log1p(2x / (1 - x)) / 2: exact for small |x|, ±inf at ±1. */
export const atanh = (x: Expr): Expr => half(log1p(t.div(t.mul(c(x, 2), x), t.sub(c(x, 1), x))));

/** IsInf with detect_positive / detect_negative. */
export function isInf(x: Expr, a: Attrs): Expr {
  const [pos, neg] = [num(a, 'detect_positive') !== 0, num(a, 'detect_negative') !== 0];
  const inf = u('isinf', x);
  if (pos && neg) return inf;
  if (!pos && !neg) return t.imm(0, 'bool');
  return t.and(inf, pos ? t.gt(x, c(x, 0)) : t.lt(x, c(x, 0)));
}

/**
 * BitShift (direction LEFT / RIGHT). The shift count is read as unsigned, so a negative count is
 * a shift by at least the width: LEFT then gives 0, RIGHT 0 or (signed x < 0) -1. Left shifts wrap.
 * Written with tir's multiply and division by 2^s (2^s from a float64 pow, exact for s < 64):
 * left in uint64 (the low bits of the product are the shifted bits for any sign), unsigned right
 * by division, signed right by int64 floor division (arithmetic shift). s = width - 1 is taken
 * by the saturated arm for signed right shifts, so 2^s always fits int64 there.
 */
export function bitShift(x: Expr, s: Expr, a: Attrs): Expr {
  const d = x.dtype;
  const bits = dtypeInfo(d).bytes * 8;
  const su = t.cast(s, 'uint64');
  const pow2 = t.cast(t.binary('pow', t.imm(2, 'float64'), t.cast(su, 'float64')), 'uint64');
  if (a.direction === 'LEFT') {
    const shifted = t.cast(t.mul(t.cast(x, 'uint64'), pow2), d);
    return t.select(t.ge(su, t.imm(bits, 'uint64')), c(x, 0), shifted);
  }
  if (!dtypeInfo(d).isSigned) {
    return t.select(t.ge(su, t.imm(bits, 'uint64')), c(x, 0), t.cast(t.div(t.cast(x, 'uint64'), pow2), d));
  }
  const shifted = t.cast(t.binary('floordiv', t.cast(x, 'int64'), t.cast(pow2, 'int64')), d);
  const fill = t.select(t.lt(x, c(x, 0)), c(x, -1), c(x, 0));
  return t.select(t.ge(su, t.imm(bits - 1, 'uint64')), fill, shifted);
}
