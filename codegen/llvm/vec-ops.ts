// Instruction helpers for straight-line code over W lanes of float32 / int32, shared by the
// inline math functions (math.ts) and the small-float conversions (small-floats.ts). W = 1 gives
// scalar code; constants are splatted as vector literals (never shuffles).

import type { FnBuilder } from './builder.js';
import { splatLit, vecTy } from './types.js';

export class VecOps {
  /** <W x i32>, <W x float>, <W x i1> (the scalar types when W = 1). */
  readonly I: string;
  readonly F: string;
  readonly B: string;

  constructor(readonly b: FnBuilder, readonly w: number) {
    this.I = vecTy(w, 'i32');
    this.F = vecTy(w, 'float');
    this.B = vecTy(w, 'i1');
  }

  /** A value of scalar type `t` (already an LLVM literal) in every lane. */
  splat(t: string, v: string): string {
    return this.w === 1 ? v : `<${new Array(this.w).fill(`${t} ${v}`).join(', ')}>`;
  }

  /** An i32 constant in every lane (`v` an integer that fits 32 bits). */
  ci(v: number): string {
    return this.splat('i32', String(v));
  }

  /** A float constant in every lane. */
  cf(v: number): string {
    return splatLit(this.w, 'float', v);
  }

  /** `select` between two values of lane type `t` by the mask `c`. */
  select(c: string, t: string, a: string, b: string): string {
    return this.b.emit(`select ${this.B} ${c}, ${vecTy(this.w, t)} ${a}, ${vecTy(this.w, t)} ${b}`);
  }

  /** The float32 form of LLVM intrinsic `llvm.NAME` applied to float operands. */
  fIntrinsic(name: string, args: readonly string[]): string {
    const m = this.w === 1 ? 'f32' : `v${this.w}f32`;
    return this.b.intrinsic(`llvm.${name}.${m}`, this.F, args.map((a) => [this.F, a]));
  }
}
