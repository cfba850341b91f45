// Vectorisable float32 approximations of exp, log, tanh, erf, sigmoid and atan, written as straight-line
// LLVM IR so the same code serves scalars and <W x float> (libm calls would scalarise vectors).
// Requires: x of type float or <W x float>. Guarantees (checked in test/codegen against Math.*):
// - exp: Cephes range reduction + degree-5 polynomial, ~1 ulp for x in [-87, 88.72];
//   +inf above 88.72, 0 below -87 (results there are subnormal), NaN propagates.
// - log: Cephes logf, ~1 ulp; subnormal inputs rescaled; log(0) = -inf, log(<0) = NaN.
// - tanh: odd polynomial for |x| < 0.625, else 1 - 2/(exp(2|x|)+1) with the sign of x.
// - erf: the rational approximation used by XLA/Eigen on x clamped to [-4, 4] (~2 ulp).
// - sigmoid: 1 / (1 + exp(-x)).
// - atan: Cephes atanf (reduction by tan(pi/8), tan(3pi/8)) + odd degree-9 polynomial, ~2 ulp;
//   atan(±inf) = ±pi/2.
// All instructions carry only `contract` fast-math, so NaN and infinities behave as written.

import type { FnBuilder } from './builder.js';
import { VecOps } from './vec-ops.js';

const FM = 'contract';

class P extends VecOps {
  f(op: string, a: string, b: string): string {
    return this.b.emit(`${op} ${FM} ${this.F} ${a}, ${b}`);
  }

  fma(a: string, b: string, c: string): string {
    return this.fIntrinsic('fmuladd', [a, b, c]);
  }

  un(name: string, a: string): string {
    return this.fIntrinsic(name, [a]);
  }

  cmp(pred: string, a: string, b: string): string {
    return this.b.emit(`fcmp ${pred} ${this.F} ${a}, ${b}`);
  }

  sel(c: string, a: string, b: string): string {
    return this.select(c, 'float', a, b);
  }

  /** Horner evaluation of coefficients (highest degree first) at x. */
  poly(x: string, coeffs: readonly number[]): string {
    let acc = this.cf(coeffs[0]);
    for (const k of coeffs.slice(1)) acc = this.fma(acc, x, this.cf(k));
    return acc;
  }

  /** 2^n for integer-valued float n in [-125, 128], as (2^(n-1)) computed from exponent bits. */
  pow2m1(n: string): string {
    const ni = this.b.emit(`fptosi ${this.F} ${n} to ${this.I}`);
    const e = this.b.emit(`add ${this.I} ${ni}, ${this.ci(126)}`);
    const sh = this.b.emit(`shl ${this.I} ${e}, ${this.ci(23)}`);
    return this.b.emit(`bitcast ${this.I} ${sh} to ${this.F}`);
  }
}

const EXP_POLY = [1.9875691500e-4, 1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2,
  1.6666665459e-1, 5.0000001201e-1];

export function emitExpF32(b: FnBuilder, w: number, x: string): string {
  const p = new P(b, w);
  const lo = p.sel(p.cmp('olt', x, p.cf(-87)), p.cf(-87), x);
  const xc = p.sel(p.cmp('ogt', lo, p.cf(88.7)), p.cf(88.7), lo);
  const n = p.un('floor', p.fma(xc, p.cf(1.4426950408889634), p.cf(0.5)));
  const r1 = p.fma(n, p.cf(-0.693359375), xc);
  const r = p.fma(n, p.cf(2.12194440e-4), r1);
  const r2 = p.f('fmul', r, r);
  const y = p.fma(p.poly(r, EXP_POLY), r2, p.f('fadd', r, p.cf(1)));
  const scaled = p.f('fmul', p.f('fmul', y, p.cf(2)), p.pow2m1(n));
  const over = p.sel(p.cmp('ogt', x, p.cf(88.72283935546875)), p.cf(Infinity), scaled);
  const under = p.sel(p.cmp('olt', x, p.cf(-87)), p.cf(0), over);
  return p.sel(p.cmp('uno', x, x), x, under);
}

const LOG_POLY = [7.0376836292e-2, -1.1514610310e-1, 1.1676998740e-1, -1.2420140846e-1,
  1.4249322787e-1, -1.6668057665e-1, 2.0000714765e-1, -2.4999993993e-1, 3.3333331174e-1];

export function emitLogF32(b: FnBuilder, w: number, x: string): string {
  const p = new P(b, w);
  const small = p.cmp('olt', x, p.cf(1.17549435e-38));
  const xs = p.sel(small, p.f('fmul', x, p.cf(8388608)), x);
  const bits = b.emit(`bitcast ${p.F} ${xs} to ${p.I}`);
  const ebits = b.emit(`lshr ${p.I} ${bits}, ${p.ci(23)}`);
  const eint = b.emit(`sub ${p.I} ${b.emit(`and ${p.I} ${ebits}, ${p.ci(255)}`)}, ${p.ci(126)}`);
  const e0 = b.emit(`sitofp ${p.I} ${eint} to ${p.F}`);
  const e1 = p.f('fsub', e0, p.sel(small, p.cf(23), p.cf(0)));
  const mbits = b.emit(`or ${p.I} ${b.emit(`and ${p.I} ${bits}, ${p.ci(0x807fffff)}`)}, ${p.ci(0x3f000000)}`);
  const m = b.emit(`bitcast ${p.I} ${mbits} to ${p.F}`);
  const lowM = p.cmp('olt', m, p.cf(0.7071067811865476));
  const e = p.f('fsub', e1, p.sel(lowM, p.cf(1), p.cf(0)));
  const mm = p.f('fsub', p.sel(lowM, p.f('fadd', m, m), m), p.cf(1));
  const z = p.f('fmul', mm, mm);
  const y0 = p.f('fmul', p.f('fmul', p.poly(mm, LOG_POLY), mm), z);
  const y1 = p.fma(e, p.cf(-2.12194440e-4), y0);
  const y2 = p.fma(z, p.cf(-0.5), y1);
  const r = p.fma(e, p.cf(0.693359375), p.f('fadd', mm, y2));
  const zero = p.sel(p.cmp('oeq', x, p.cf(0)), p.cf(-Infinity), r);
  const inf = p.sel(p.cmp('oeq', x, p.cf(Infinity)), x, zero);
  return p.sel(p.cmp('ult', x, p.cf(0)), p.cf(NaN), inf);
}

const TANH_POLY = [-5.70498872745e-3, 2.06390887954e-2, -5.37397155531e-2, 1.33314422036e-1,
  -3.33332819422e-1];

export function emitTanhF32(b: FnBuilder, w: number, x: string): string {
  const p = new P(b, w);
  const ax = p.un('fabs', x);
  const z = p.f('fmul', x, x);
  const small = p.fma(p.f('fmul', p.poly(z, TANH_POLY), z), x, x);
  const e = emitExpF32(b, w, p.f('fmul', ax, p.cf(2)));
  const big = p.f('fsub', p.cf(1), p.f('fdiv', p.cf(2), p.f('fadd', e, p.cf(1))));
  const sbig = copySign(p, big, x);
  return p.sel(p.cmp('olt', ax, p.cf(0.625)), small, sbig);
}

function copySign(p: P, mag: string, sign: string): string {
  const n = `llvm.copysign.${p.w === 1 ? 'f32' : `v${p.w}f32`}`;
  return p.b.intrinsic(n, p.F, [[p.F, mag], [p.F, sign]]);
}

const ERF_ALPHA = [-2.72614225801306e-10, 2.77068142495902e-08, -2.10102402082508e-06,
  -5.69250639462346e-05, -7.34990630326855e-04, -2.95459980854025e-03, -1.60960333262415e-02];
const ERF_BETA = [-1.45660718464996e-05, -2.13374055278905e-04, -1.68282697438203e-03,
  -7.37332916720468e-03, -1.42647390514189e-02];

export function emitErfF32(b: FnBuilder, w: number, x: string): string {
  const p = new P(b, w);
  const lo = p.sel(p.cmp('olt', x, p.cf(-4)), p.cf(-4), x);
  const xc = p.sel(p.cmp('ogt', lo, p.cf(4)), p.cf(4), lo);
  const x2 = p.f('fmul', xc, xc);
  const num = p.f('fmul', xc, p.poly(x2, ERF_ALPHA));
  return p.f('fdiv', num, p.poly(x2, ERF_BETA));
}

export function emitSigmoidF32(b: FnBuilder, w: number, x: string): string {
  const p = new P(b, w);
  const e = emitExpF32(b, w, b.emit(`fneg ${p.F} ${x}`));
  return p.f('fdiv', p.cf(1), p.f('fadd', e, p.cf(1)));
}

const ATAN_POLY = [8.05374449538e-2, -1.38776856032e-1, 1.99777106478e-1, -3.33329491539e-1];

export function emitAtanF32(b: FnBuilder, w: number, x: string): string {
  const p = new P(b, w);
  const ax = p.un('fabs', x);
  // |x| > tan(3pi/8): atan = pi/2 + atan(-1/|x|); |x| > tan(pi/8): pi/4 + atan((|x|-1)/(|x|+1)).
  const big = p.cmp('ogt', ax, p.cf(2.414213562373095));
  const mid = p.cmp('ogt', ax, p.cf(0.4142135623730950));
  const rMid = p.f('fdiv', p.f('fsub', ax, p.cf(1)), p.f('fadd', ax, p.cf(1)));
  const r = p.sel(big, p.f('fdiv', p.cf(-1), ax), p.sel(mid, rMid, ax));
  const y0 = p.sel(big, p.cf(Math.PI / 2), p.sel(mid, p.cf(Math.PI / 4), p.cf(0)));
  const z = p.f('fmul', r, r);
  const y = p.fma(p.f('fmul', p.poly(z, ATAN_POLY), z), r, r);
  return copySign(p, p.f('fadd', y, y0), x);
}
