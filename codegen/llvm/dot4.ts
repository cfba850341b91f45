// The 8-bit dot product of tensor IR, `dot4(a, b)` on int32 words holding four bytes each: the
// sum over bytes j of u8(a_j) * s8(b_j), and `add(acc, dot4(a, b))`, the integer kernels' step.
// With AVX-512 VNNI (16 lanes) or AVX-VNNI / AVX-512 VNNI+VL (8 lanes) an accumulate becomes one
// vpdpbusd (u8 x s8 -> four products summed into each int32 lane, no saturation: at most
// 4 * 255 * 128 per step); elsewhere (AArch64, older x86, scalar code) a widening form: each
// byte shifted out (zero-extended for a, sign-extended for b), multiplied in int32 and summed.
// Requires: int32 operands. Guarantees: the same value as ir/tir-interp.ts in every lane.

import type { Expr } from '../../ir/tir.js';
import type { Cx, Val } from './lanes.js';
import { liftN, toVec, uni } from './lanes.js';
import { splatOf } from './ops.js';
import { vecTy } from './types.js';

type Eval = (cx: Cx, e: Expr) => Val;

const has = (cx: Cx, f: string): boolean => cx.f.target.features.split(',').includes(`+${f}`);

/** The vpdpbusd width available for a vector of `w` lanes, or 0. */
function vnniWidth(cx: Cx, w: number): number {
  if (cx.f.target.arch !== 'x86_64' || cx.f.target.gpu) return 0;
  if (w === 16 && has(cx, 'avx512vnni')) return 16;
  if (w === 8 && (has(cx, 'avxvnni') || (has(cx, 'avx512vnni') && has(cx, 'avx512vl')))) return 8;
  return 0;
}

/** Whether `e` is a dot4 whose accumulating add the caller may hand to emitDot4Acc. */
export function asDot4(e: Expr): Extract<Expr, { kind: 'binary' }> | null {
  return e.kind === 'binary' && e.op === 'dot4' ? e : null;
}

/** acc + dot4(a, b), acc null for a bare dot4. */
export function emitDot4Acc(cx: Cx, ev: Eval, acc: Expr | null, d: Expr & { kind: 'binary' }): Val {
  const a = ev(cx, d.a), b = ev(cx, d.b);
  const c = acc ? ev(cx, acc) : uni('i32', '0');
  const vw = vnniWidth(cx, cx.w);
  if (vw && [a, b, c].some((v) => v.k !== 'u')) {
    const T = vecTy(vw, 'i32');
    const [rc, ra, rb] = [c, a, b].map((v) => toVec(cx, v));
    const v = cx.f.b.intrinsic(`llvm.x86.avx512.vpdpbusd.${vw * 32}`, T, [[T, rc], [T, ra], [T, rb]]);
    return { k: 'v', t: 'i32', v };
  }
  return liftN(cx, [c, a, b], 'i32', (w, [rc, ra, rb]) => widening(cx, w, rc, ra, rb));
}

/** rc + sum_j zext(byte j of ra) * sext(byte j of rb), in plain int32 operations. */
function widening(cx: Cx, w: number, rc: string, ra: string, rb: string): string {
  const bd = cx.f.b, T = vecTy(w, 'i32');
  const k = (v: number): string => splatOf(w, 'i32', v);
  let sum = rc;
  for (let j = 0; j < 4; j++) {
    const aj = bd.emit(`and ${T} ${j ? bd.emit(`lshr ${T} ${ra}, ${k(8 * j)}`) : ra}, ${k(255)}`);
    const bj = bd.emit(`ashr ${T} ${j < 3 ? bd.emit(`shl ${T} ${rb}, ${k(24 - 8 * j)}`) : rb}, ${k(24)}`);
    sum = bd.emit(`add ${T} ${sum}, ${bd.emit(`mul nsw ${T} ${aj}, ${bj}`)}`);
  }
  return sum;
}
