// Lane-aware values for vector code generation. Inside a 'vectorize' loop of width W every
// expression evaluates to one of:
//   uniform  — one scalar, the same in every lane (kept scalar as long as possible),
//   ramp     — integer base + floor(lane / rep) * stride (stride and rep compile-time constants,
//              rep 1 when absent): loop indices, and with rep > 1 an index that repeats each
//              element for rep adjacent lanes (lane // s in nearest-neighbour upsampling),
//   vector   — a general <W x T> value.
// Outside vector loops W is 1 and everything is uniform. Requires: ramps are integers.
// Guarantees: `lift` emits a scalar instruction when every operand is uniform and otherwise a
// vector instruction over materialised operands; constants splat as literals, not shuffles.

import type { DType } from '../../ir/dtype.js';
import type { FnBuilder, ModuleBuilder } from './builder.js';
import { lit, vecTy } from './types.js';
import type { TargetDesc } from '../target.js';

export type Val =
  | { readonly k: 'u'; readonly t: string; readonly v: string }
  | { readonly k: 'r'; readonly t: string; readonly base: string; readonly stride: number;
      readonly rep?: number }
  | { readonly k: 'v'; readonly t: string; readonly v: string };

export interface BufRef {
  readonly ptr: string; // typed pointer to memTy(dtype)
  readonly dtype: DType;
}

/** Per-function state: the builder, buffer pointers and how failed asserts leave. */
export interface FnState {
  readonly b: FnBuilder;
  readonly mod: ModuleBuilder;
  readonly target: TargetDesc;
  readonly kernel: string;
  /** 'kernel': an assert returns its code; 'task': it records it in `status` and returns. */
  readonly kind: 'kernel' | 'task';
  readonly status?: string;
  readonly tasks: { n: number };
  /** The %kestrel.ctx* argument (kernel bodies only). */
  readonly ctx?: string;
}

export class Scope {
  constructor(private readonly vars: ReadonlyMap<string, Val>,
    readonly bufs: ReadonlyMap<string, BufRef>) {}

  static empty(): Scope {
    return new Scope(new Map(), new Map());
  }

  withVar(name: string, v: Val): Scope {
    return new Scope(new Map(this.vars).set(name, v), this.bufs);
  }

  withBuf(name: string, b: BufRef): Scope {
    return new Scope(this.vars, new Map(this.bufs).set(name, b));
  }

  get(name: string): Val {
    const v = this.vars.get(name);
    if (!v) throw new Error(`codegen: unbound variable ${name}`);
    return v;
  }

  has(name: string): boolean {
    return this.vars.has(name);
  }

  varNames(): string[] {
    return [...this.vars.keys()];
  }

  bufNames(): string[] {
    return [...this.bufs.keys()];
  }

  buf(name: string): BufRef {
    const b = this.bufs.get(name);
    if (!b) throw new Error(`codegen: unknown buffer ${name}`);
    return b;
  }
}

/** Evaluation context: function state, scope, lane count and active-lane mask (null = all). */
export interface Cx {
  readonly f: FnState;
  readonly scope: Scope;
  readonly w: number;
  readonly mask: string | null;
}

export const uni = (t: string, v: string): Val => ({ k: 'u', t, v });
/** Lanes per repeated element of a ramp (1: every lane its own element). */
export const repOf = (x: Val): number => (x.k === 'r' ? x.rep ?? 1 : 1);
export const isLiteral = (v: string): boolean => !v.startsWith('%');

export function broadcast(b: FnBuilder, w: number, t: string, v: string): string {
  if (w === 1) return v;
  if (isLiteral(v)) return `<${new Array(w).fill(`${t} ${v}`).join(', ')}>`;
  const ins = b.emit(`insertelement <${w} x ${t}> undef, ${t} ${v}, i32 0`);
  return b.emit(`shufflevector <${w} x ${t}> ${ins}, <${w} x ${t}> undef, <${w} x i32> zeroinitializer`);
}

/** The <W x T> form of `x` (or its scalar when W is 1). */
export function toVec(cx: Cx, x: Val): string {
  switch (x.k) {
    case 'v': return x.v;
    case 'u': return broadcast(cx.f.b, cx.w, x.t, x.v);
    case 'r': {
      const rep = x.rep ?? 1;
      const steps = Array.from({ length: cx.w },
        (_, i) => `${x.t} ${lit(x.t, Math.floor(i / rep) * x.stride)}`);
      const base = broadcast(cx.f.b, cx.w, x.t, x.base);
      return cx.f.b.emit(`add ${vecTy(cx.w, x.t)} ${base}, <${steps.join(', ')}>`);
    }
  }
}

/**
 * Applies `op` (given operand types and refs, returns instruction text) to `args`: scalar when all
 * are uniform, else over vectors. `rt` is the element type of the result.
 */
export function lift(cx: Cx, args: readonly Val[], rt: string,
  op: (types: string[], refs: string[], resTy: string) => string): Val {
  if (args.every((a) => a.k === 'u')) {
    return uni(rt, cx.f.b.emit(op(args.map((a) => a.t), args.map((a) => (a as { v: string }).v), rt)));
  }
  const refs = args.map((a) => toVec(cx, a));
  const v = cx.f.b.emit(op(args.map((a) => vecTy(cx.w, a.t)), refs, vecTy(cx.w, rt)));
  return { k: 'v', t: rt, v };
}

/** Like lift, but `op` emits any number of instructions itself and returns the result ref. */
export function liftN(cx: Cx, args: readonly Val[], rt: string,
  op: (w: number, refs: string[]) => string): Val {
  if (args.every((a) => a.k === 'u')) {
    return uni(rt, op(1, args.map((a) => (a as { v: string }).v)));
  }
  return { k: 'v', t: rt, v: op(cx.w, args.map((a) => toVec(cx, a))) };
}

/** i1 mask AND (null means all lanes). */
export function andMask(cx: Cx, a: string | null, b: string | null): string | null {
  if (a === null) return b;
  if (b === null) return a;
  return cx.f.b.emit(`and <${cx.w} x i1> ${a}, ${b}`);
}

export function notMask(cx: Cx, m: string): string {
  const ones = new Array(cx.w).fill('i1 true').join(', ');
  return cx.f.b.emit(`xor <${cx.w} x i1> ${m}, <${ones}>`);
}

export function allOnes(w: number): string {
  return `<${new Array(w).fill('i1 true').join(', ')}>`;
}
