// Scalar/vector instruction sequences for tensor-IR binary and unary operators, on values of one
// shape (scalar T or <W x T>). Conventions (shared with ir/tir-interp.ts):
// - Integer div/floordiv/mod by zero yield 0; the divisor is replaced by 1 first, so nothing
//   traps, and x / -1 is computed as 0 - x, so INT_MIN / -1 wraps instead of raising SIGFPE.
// - Float min/max propagate NaN: min = (a < b ? a : b) unless a is NaN, then a (so a NaN in
//   either operand wins). This is what ONNX Min/Max/Relu do; llvm.minnum would drop NaNs.
// - Float arithmetic carries the `contract` flag only (FMA formation); no reassociation.

import type { FnBuilder } from './builder.js';
import { lit, vecTy } from './types.js';

export const FM = 'contract';

function splat(w: number, t: string, v: number): string {
  const l = lit(t, v);
  return w === 1 ? l : `<${new Array(w).fill(`${t} ${l}`).join(', ')}>`;
}

export type DivOp = 'div' | 'floordiv' | 'mod';

/** Guarded integer division family (see the file comment). */
export function emitIntDiv(b: FnBuilder, w: number, t: string, signed: boolean, op: DivOp,
  x: string, y: string): string {
  const T = vecTy(w, t);
  const B = vecTy(w, 'i1');
  const zero = splat(w, t, 0);
  const isZero = b.emit(`icmp eq ${T} ${y}, ${zero}`);
  const isM1 = signed ? b.emit(`icmp eq ${T} ${y}, ${splat(w, t, -1)}`) : null;
  const bad = isM1 ? b.emit(`or ${B} ${isZero}, ${isM1}`) : isZero;
  const safe = b.emit(`select ${B} ${bad}, ${T} ${splat(w, t, 1)}, ${T} ${y}`);
  const [div, rem] = signed ? ['sdiv', 'srem'] : ['udiv', 'urem'];
  // Floor adjustment: remainder nonzero and of the opposite sign to the divisor.
  const needsFix = (r: string): string => {
    const nz = b.emit(`icmp ne ${T} ${r}, ${zero}`);
    const opp = b.emit(`icmp slt ${T} ${b.emit(`xor ${T} ${r}, ${y}`)}, ${zero}`);
    return b.emit(`and ${B} ${nz}, ${opp}`);
  };
  if (op === 'mod') {
    const r = b.emit(`${rem} ${T} ${x}, ${safe}`);
    if (!signed) return r;
    const fixed = b.emit(`add ${T} ${r}, ${y}`);
    return b.emit(`select ${B} ${needsFix(r)}, ${T} ${fixed}, ${T} ${r}`);
  }
  let q = b.emit(`${div} ${T} ${x}, ${safe}`);
  if (signed) {
    if (op === 'floordiv') {
      const r = b.emit(`${rem} ${T} ${x}, ${safe}`);
      const qm1 = b.emit(`sub ${T} ${q}, ${splat(w, t, 1)}`);
      q = b.emit(`select ${B} ${needsFix(r)}, ${T} ${qm1}, ${T} ${q}`);
    }
    const negx = b.emit(`sub ${T} ${zero}, ${x}`);
    q = b.emit(`select ${B} ${isM1}, ${T} ${negx}, ${T} ${q}`);
  }
  return b.emit(`select ${B} ${isZero}, ${T} ${zero}, ${T} ${q}`);
}

/** NaN-propagating float min/max. */
export function emitFMinMax(b: FnBuilder, w: number, t: string, op: 'min' | 'max',
  x: string, y: string): string {
  const T = vecTy(w, t);
  const B = vecTy(w, 'i1');
  const lt = b.emit(`fcmp ${op === 'min' ? 'olt' : 'ogt'} ${T} ${x}, ${y}`);
  const pick = b.emit(`select ${B} ${lt}, ${T} ${x}, ${T} ${y}`);
  const xnan = b.emit(`fcmp uno ${T} ${x}, ${x}`);
  return b.emit(`select ${B} ${xnan}, ${T} ${x}, ${T} ${pick}`);
}

export function emitIMinMax(b: FnBuilder, w: number, t: string, signed: boolean,
  op: 'min' | 'max', x: string, y: string): string {
  const T = vecTy(w, t);
  const pred = (signed ? 's' : 'u') + (op === 'min' ? 'lt' : 'gt');
  const c = b.emit(`icmp ${pred} ${T} ${x}, ${y}`);
  return b.emit(`select ${vecTy(w, 'i1')} ${c}, ${T} ${x}, ${T} ${y}`);
}

/** Float floor division / floor remainder: floor(x/y), x - y*floor(x/y). */
export function emitFloatFloorOp(b: FnBuilder, w: number, t: string, op: 'floordiv' | 'mod',
  x: string, y: string): string {
  const T = vecTy(w, t);
  const q = b.emit(`fdiv ${FM} ${T} ${x}, ${y}`);
  const fq = callIntrinsic(b, 'floor', T, [q]);
  if (op === 'floordiv') return fq;
  return b.emit(`fsub ${FM} ${T} ${x}, ${b.emit(`fmul ${FM} ${T} ${y}, ${fq}`)}`);
}

/** llvm.<name>.<mangled T>(args...) where all operands have type T. */
export function callIntrinsic(b: FnBuilder, name: string, T: string, args: readonly string[]): string {
  const m = /^<(\d+) x (.+)>$/.exec(T);
  const elem = m ? m[2] : T;
  const mt = elem === 'float' ? 'f32' : elem === 'double' ? 'f64' : elem;
  const full = `llvm.${name}.${m ? `v${m[1]}${mt}` : mt}`;
  return b.intrinsic(full, T, args.map((a) => [T, a] as [string, string]));
}

/** Calls scalar libm `name` (double or float) per lane. */
export function emitLibmCall(b: FnBuilder, w: number, t: string, name: string, x: string): string {
  b.mod.declare(name, `declare ${t} @${name}(${t}) nounwind readnone`);
  if (w === 1) return b.emit(`call ${t} @${name}(${t} ${x})`);
  let acc = 'undef';
  for (let i = 0; i < w; i++) {
    const e = b.emit(`extractelement <${w} x ${t}> ${x}, i32 ${i}`);
    const r = b.emit(`call ${t} @${name}(${t} ${e})`);
    acc = b.emit(`insertelement <${w} x ${t}> ${acc}, ${t} ${r}, i32 ${i}`);
  }
  return acc;
}

export function splatOf(w: number, t: string, v: number): string {
  return splat(w, t, v);
}
