// Tensor-IR expressions -> LLVM instructions, lane-aware (see lanes.ts). Integer add/sub/mul of
// ramps and uniforms stay ramps (so `base + lane` indices become one vector load); everything
// else is computed per lane. Float `a*b + c` becomes llvm.fmuladd so the backend emits FMA.
// Requires: a well-typed expression whose variables are bound in cx.scope. Guarantees: a
// `select` never lets an unselected arm's load touch memory (branches when the condition is
// uniform, masked loads when it varies by lane).

import type { DType } from '../../ir/dtype.js';
import type { BinOp, Expr, UnOp } from '../../ir/tir.js';
import { printExpr } from '../../ir/tir-print.js';
import { andMask, isLiteral, lift, liftN, notMask, repOf, toVec, uni } from './lanes.js';
import type { Cx, Val } from './lanes.js';
import { asDot4, emitDot4Acc } from './dot4.js';
import { emitLoad } from './memory.js';
import { smallFloat } from '../../ir/small-floats.js';
import { emitRoundTo } from './small-floats.js';
import { emitAtanF32, emitErfF32, emitExpF32, emitLogF32, emitSigmoidF32, emitTanhF32 } from './math.js';
import { FM, callIntrinsic, emitFMinMax, emitFloatFloorOp, emitIMinMax, emitIntDiv, emitLibmCall,
  splatOf } from './ops.js';
import { assertNever, isFloatDT, isSignedDT, lit, regTy, splatLit, vecTy } from './types.js';
import { packedBits } from '../../ir/dtype.js';

type BinExpr = Extract<Expr, { kind: 'binary' }>;

export function emitExpr(cx: Cx, e: Expr): Val {
  switch (e.kind) {
    case 'const': return uni(regTy(e.dtype), lit(regTy(e.dtype), e.value));
    case 'var': return cx.scope.get(e.name);
    case 'binary': return wrapNarrow(cx, e.dtype, roundF16(cx, e.dtype, emitBinary(cx, e)));
    case 'unary': {
      const r = emitUnary(cx, e.op, e.a.dtype, emitExpr(cx, e.a));
      return wrapNarrow(cx, e.dtype, roundF16(cx, e.dtype, r));
    }
    case 'cast': return (e.bits ? emitBitcast : emitCast)(cx, emitExpr(cx, e.a), e.a.dtype, e.dtype);
    case 'select': return emitSelect(cx, e.cond, e.a, e.b);
    case 'load': return emitLoad(cx, e.buf, toI64(cx, e.index));
    default: return assertNever(e);
  }
}

/** Evaluates an index expression as int64. */
export function toI64(cx: Cx, e: Expr): Val {
  const v = emitExpr(cx, e);
  if (v.t === 'i64') return v;
  const op = isSignedDT(e.dtype) ? 'sext' : 'zext';
  return lift(cx, [v], 'i64', ([T], [r], R) => `${op} ${T} ${r} to ${R}`);
}

/**
 * float16, bfloat16 and float8 compute in float; round results back to their precision like the
 * interpreter.
 */
function roundF16(cx: Cx, d: DType, v: Val): Val {
  const sf = smallFloat(d);
  if (sf) return liftN(cx, [v], 'float', (w, [r]) => emitRoundTo(cx.f.b, sf, w, r));
  if (d !== 'float16') return v;
  return liftN(cx, [v], 'float', (w, [r]) => {
    const h = cx.f.b.emit(`fptrunc ${vecTy(w, 'float')} ${r} to ${vecTy(w, 'half')}`);
    return cx.f.b.emit(`fpext ${vecTy(w, 'half')} ${h} to ${vecTy(w, 'float')}`);
  });
}

/** int4/uint4/int2/uint2 in i8: wrap to the width (sign-extend from its top bit, or mask). */
function wrapNarrow(cx: Cx, d: DType, v: Val): Val {
  const bits = packedBits(d);
  if (bits === undefined || isFloatDT(d)) return v;
  const sh = 8 - bits;
  return liftN(cx, [v], 'i8', (w, [r]) => {
    const T = vecTy(w, 'i8');
    const c = (n: number): string => (w === 1 ? String(n) : `<${new Array(w).fill(`i8 ${n}`).join(', ')}>`);
    if (!isSignedDT(d)) return cx.f.b.emit(`and ${T} ${r}, ${c((1 << bits) - 1)}`);
    return cx.f.b.emit(`ashr ${T} ${cx.f.b.emit(`shl ${T} ${r}, ${c(sh)}`)}, ${c(sh)}`);
  });
}

const asMul = (e: Expr): BinExpr | null =>
  e.kind === 'binary' && e.op === 'mul' ? e : null;

function emitBinary(cx: Cx, e: BinExpr): Val {
  const d = e.a.dtype;
  const t = regTy(d);
  if (e.op === 'dot4') return emitDot4Acc(cx, emitExpr, null, e);
  if (e.op === 'add' && d === 'int32') {
    const m = asDot4(e.a) ?? asDot4(e.b);
    if (m) return emitDot4Acc(cx, emitExpr, m === e.a ? e.b : e.a, m);
  }
  if (isFloatDT(d) && d !== 'float16' && !smallFloat(d) && e.op === 'add') {
    const m = asMul(e.a) ?? asMul(e.b);
    if (m) {
      const c = m === e.a ? e.b : e.a;
      const args = [emitExpr(cx, m.a), emitExpr(cx, m.b), emitExpr(cx, c)];
      return liftN(cx, args, t, (w, refs) => callIntrinsic(cx.f.b, 'fmuladd', vecTy(w, t), refs));
    }
  }
  const a = emitExpr(cx, e.a);
  const b = emitExpr(cx, e.b);
  if (!isFloatDT(d)) {
    const r = rampOp(cx, e.op, a, b);
    if (r) return r;
  }
  return binaryOp(cx, e.op, d, a, b);
}

/** A ramp value; `rep` is left out when 1, so plain ramps keep their old shape. */
function ramp(t: string, base: string, stride: number, rep: number): Val {
  return rep === 1 ? { k: 'r', t, base, stride } : { k: 'r', t, base, stride, rep };
}

const intLit = (v: string): number | null => (isLiteral(v) && /^-?\d+$/.test(v) ? Number(v) : null);

/**
 * add/sub/mul (and floordiv by a constant) that keep ramps as ramps; null when the result is not
 * one. Two lane-varying operands must repeat their lanes alike; a constant factor keeps the rep.
 */
function rampOp(cx: Cx, op: BinOp, a: Val, b: Val): Val | null {
  if (a.k !== 'r' && b.k !== 'r') return null;
  if (a.k === 'v' || b.k === 'v') return null;
  const t = a.t;
  const base = (x: Val): string => (x.k === 'r' ? x.base : (x as { v: string }).v);
  const stride = (x: Val): number => (x.k === 'r' ? x.stride : 0);
  const varying = (x: Val): number | null => (stride(x) === 0 ? null : repOf(x));
  const s = (o: string): string => cx.f.b.emit(`${o} ${t} ${base(a)}, ${base(b)}`);
  switch (op) {
    case 'add': case 'sub': {
      const [ra, rb] = [varying(a), varying(b)];
      if (ra !== null && rb !== null && ra !== rb) return null;
      const st = op === 'add' ? stride(a) + stride(b) : stride(a) - stride(b);
      return ramp(t, s(op), st, ra ?? rb ?? 1);
    }
    case 'mul': {
      const c = a.k === 'u' ? a : b.k === 'u' ? b : null;
      if (!c || intLit(c.v) === null) return null;
      const r = (a.k === 'r' ? a : b) as Extract<Val, { k: 'r' }>;
      return ramp(t, s('mul'), r.stride * Number(c.v), repOf(r));
    }
    case 'floordiv': return b.k === 'u' && a.k === 'r' ? rampFloorDiv(a, intLit(b.v)) : null;
    default: return null;
  }
}

/**
 * floor((B + k * floor(lane / r)) / c) for a literal base B that c divides: B/c + (k/c) *
 * floor(lane / r) when c divides k, and B/c + floor(lane / (r*c)) when k is 1 (each element
 * repeated for c times as many lanes). Anything else is computed per lane.
 */
function rampFloorDiv(a: Extract<Val, { k: 'r' }>, c: number | null): Val | null {
  const B = intLit(a.base);
  if (c === null || c < 1 || B === null || B % c !== 0) return null;
  const base = String(B / c);
  if (a.stride % c === 0) return ramp(a.t, base, a.stride / c, repOf(a));
  return a.stride === 1 ? ramp(a.t, base, 1, repOf(a) * c) : null;
}

const FCMP: Partial<Record<BinOp, string>> = {
  eq: 'oeq', ne: 'une', lt: 'olt', le: 'ole', gt: 'ogt', ge: 'oge',
};
const ICMP: Partial<Record<BinOp, string>> = { eq: 'eq', ne: 'ne', lt: 'lt', le: 'le', gt: 'gt', ge: 'ge' };

function binaryOp(cx: Cx, op: BinOp, d: DType, a: Val, b: Val): Val {
  const t = regTy(d);
  const fl = isFloatDT(d);
  const signed = isSignedDT(d);
  const simple = (o: string): Val => lift(cx, [a, b], t, ([T], [x, y]) => `${o} ${T} ${x}, ${y}`);
  switch (op) {
    case 'add': return simple(fl ? `fadd ${FM}` : 'add');
    case 'sub': return simple(fl ? `fsub ${FM}` : 'sub');
    case 'mul': return simple(fl ? `fmul ${FM}` : 'mul');
    case 'div': case 'floordiv': case 'mod':
      if (fl && op === 'div') return simple(`fdiv ${FM}`);
      if (fl) {
        const fop = op as 'floordiv' | 'mod';
        return liftN(cx, [a, b], t, (w, [x, y]) => emitFloatFloorOp(cx.f.b, w, t, fop, x, y));
      }
      return liftN(cx, [a, b], t, (w, [x, y]) => emitIntDiv(cx.f.b, w, t, signed, op, x, y));
    case 'min': case 'max':
      return liftN(cx, [a, b], t, (w, [x, y]) => (fl ? emitFMinMax(cx.f.b, w, t, op, x, y)
        : emitIMinMax(cx.f.b, w, t, signed, op, x, y)));
    case 'pow': return emitPow(cx, d, a, b);
    case 'eq': case 'ne': case 'lt': case 'le': case 'gt': case 'ge': {
      const pred = fl ? FCMP[op] : (op === 'eq' || op === 'ne' ? '' : signed ? 's' : 'u') + ICMP[op];
      return lift(cx, [a, b], 'i1', ([T], [x, y]) => `${fl ? 'fcmp' : 'icmp'} ${pred} ${T} ${x}, ${y}`);
    }
    case 'and': case 'or': case 'xor': return simple(op);
    case 'dot4': throw new Error('codegen: dot4 is emitted by emitDot4Acc');
    default: return assertNever(op);
  }
}

function emitPow(cx: Cx, d: DType, a: Val, b: Val): Val {
  const t = regTy(d);
  if (isFloatDT(d)) return liftN(cx, [a, b], t, (w, r) => callIntrinsic(cx.f.b, 'pow', vecTy(w, t), r));
  const ad = emitCast(cx, a, d, 'float64');
  const bd = emitCast(cx, b, d, 'float64');
  const p = liftN(cx, [ad, bd], 'double', (w, r) => callIntrinsic(cx.f.b, 'pow', vecTy(w, 'double'), r));
  return emitCast(cx, p, 'float64', d);
}

function emitUnary(cx: Cx, op: UnOp, d: DType, a: Val): Val {
  const t = regTy(d);
  if (!isFloatDT(d)) return intUnary(cx, op, d, a);
  const b = cx.f.b;
  const f1 = (name: string): Val => liftN(cx, [a], t, (w, [x]) => callIntrinsic(b, name, vecTy(w, t), [x]));
  const calc = (g: (w: number, x: string) => string): Val => liftN(cx, [a], t, (w, [x]) => g(w, x));
  const one = (w: number): string => splatOf(w, t, 1);
  const f32 = t === 'float';
  switch (op) {
    case 'neg': return lift(cx, [a], t, ([T], [x]) => `fneg ${T} ${x}`);
    case 'abs': return f1('fabs');
    case 'sqrt': return f1('sqrt');
    case 'floor': return f1('floor');
    case 'ceil': return f1('ceil');
    case 'round': return f1('roundeven');
    case 'sin': return f1('sin');
    case 'cos': return f1('cos');
    case 'atan': return calc((w, x) => (f32 ? emitAtanF32(b, w, x) : emitLibmCall(b, w, t, 'atan', x)));
    case 'exp': return f32 ? calc((w, x) => emitExpF32(b, w, x)) : f1('exp');
    case 'log': return f32 ? calc((w, x) => emitLogF32(b, w, x)) : f1('log');
    case 'tanh': return calc((w, x) => (f32 ? emitTanhF32(b, w, x) : emitLibmCall(b, w, t, 'tanh', x)));
    case 'erf': return calc((w, x) => (f32 ? emitErfF32(b, w, x) : emitLibmCall(b, w, t, 'erf', x)));
    case 'sigmoid': return f32 ? calc((w, x) => emitSigmoidF32(b, w, x)) : calc((w, x) => {
      const T = vecTy(w, t);
      const e = callIntrinsic(b, 'exp', T, [b.emit(`fneg ${T} ${x}`)]);
      return b.emit(`fdiv ${FM} ${T} ${one(w)}, ${b.emit(`fadd ${FM} ${T} ${e}, ${one(w)}`)}`);
    });
    case 'rsqrt': return calc((w, x) => {
      const r = callIntrinsic(b, 'sqrt', vecTy(w, t), [x]);
      return b.emit(`fdiv ${FM} ${vecTy(w, t)} ${one(w)}, ${r}`);
    });
    case 'reciprocal': return calc((w, x) => b.emit(`fdiv ${FM} ${vecTy(w, t)} ${one(w)}, ${x}`));
    case 'sign': return calc((w, x) => floatSign(cx, w, t, x));
    case 'isnan': return lift(cx, [a], 'i1', ([T], [x]) => `fcmp uno ${T} ${x}, ${x}`);
    case 'isinf': return liftN(cx, [a], 'i1', (w, [x]) => {
      const ax = callIntrinsic(b, 'fabs', vecTy(w, t), [x]);
      return b.emit(`fcmp oeq ${vecTy(w, t)} ${ax}, ${splatOf(w, t, Infinity)}`);
    });
    case 'not': throw new Error('codegen: `not` on a float');
    default: return assertNever(op);
  }
}

function floatSign(cx: Cx, w: number, t: string, x: string): string {
  const b = cx.f.b;
  const T = vecTy(w, t);
  const B = vecTy(w, 'i1');
  const zero = splatOf(w, t, 0);
  const isNeg = b.emit(`fcmp olt ${T} ${x}, ${zero}`);
  const neg = b.emit(`select ${B} ${isNeg}, ${T} ${splatOf(w, t, -1)}, ${T} ${x}`);
  const isPos = b.emit(`fcmp ogt ${T} ${x}, ${zero}`);
  return b.emit(`select ${B} ${isPos}, ${T} ${splatOf(w, t, 1)}, ${T} ${neg}`);
}

function intUnary(cx: Cx, op: UnOp, d: DType, a: Val): Val {
  const t = regTy(d);
  const b = cx.f.b;
  switch (op) {
    case 'neg': return lift(cx, [a], t, ([T], [x]) => `sub ${T} ${T === t ? '0' : 'zeroinitializer'}, ${x}`);
    case 'not':
      return lift(cx, [a], t, ([T], [x]) => `xor ${T} ${x}, ${T === t ? lit(t, -1) : splatOf(cx.w, t, -1)}`);
    case 'abs': case 'sign':
      if (!isSignedDT(d)) return op === 'abs' ? a : emitCast(cx, emitCast(cx, a, d, 'bool'), 'bool', d);
      return liftN(cx, [a], t, (w, [x]) => {
        const T = vecTy(w, t);
        const B = vecTy(w, 'i1');
        const z = splatOf(w, t, 0);
        const isNeg = b.emit(`icmp slt ${T} ${x}, ${z}`);
        if (op === 'abs') {
          const nx = b.emit(`sub ${T} ${z}, ${x}`);
          return b.emit(`select ${B} ${isNeg}, ${T} ${nx}, ${T} ${x}`);
        }
        const pos = b.emit(`zext ${B} ${b.emit(`icmp sgt ${T} ${x}, ${z}`)} to ${T}`);
        return b.emit(`select ${B} ${isNeg}, ${T} ${splatOf(w, t, -1)}, ${T} ${pos}`);
      });
    case 'isnan': case 'isinf': return uni('i1', 'false');
    default: {
      // Transcendentals on integers: compute in double, truncate back (rare; ONNX forbids most).
      const r = emitUnary(cx, op, 'float64', emitCast(cx, a, d, 'float64'));
      return emitCast(cx, r, 'float64', d);
    }
  }
}

/** dtype conversion (see ir/tir-interp.ts castValue for the semantics). */
export function emitCast(cx: Cx, a: Val, from: DType, to: DType): Val {
  const ft = regTy(from);
  const tt = regTy(to);
  if (from === to) return a;
  const b = cx.f.b;
  const conv = (o: string): Val => lift(cx, [a], tt, ([T], [x], R) => `${o} ${T} ${x} to ${R}`);
  if (to === 'bool') {
    return isFloatDT(from)
      ? lift(cx, [a], 'i1', ([T], [x]) => `fcmp une ${T} ${x}, ${T === ft ? lit(ft, 0) : 'zeroinitializer'}`)
      : lift(cx, [a], 'i1', ([T], [x]) => `icmp ne ${T} ${x}, ${T === ft ? '0' : 'zeroinitializer'}`);
  }
  if (isFloatDT(from) && isFloatDT(to)) {
    if (tt === 'float' && ft !== 'float') return roundF16(cx, to, conv('fptrunc'));
    if (tt === 'float' && to !== 'float32') return roundF16(cx, to, a);
    if (ft === tt) return a;
    return conv(ft === 'float' ? 'fpext' : 'fptrunc');
  }
  if (packedBits(to) !== undefined && !isFloatDT(to)) {
    // ONNX wraps into the sub-byte integers (Cast(-9.0) to uint4 is 7): convert to int32, wrap.
    if (!isFloatDT(from) && ft === 'i8') return wrapNarrow(cx, to, a);
    const wide = emitCast(cx, a, from, 'int32');
    return wrapNarrow(cx, to, lift(cx, [wide], 'i8', ([T], [x], R) => `trunc ${T} ${x} to ${R}`));
  }
  if (isFloatDT(from)) {
    const sat = isSignedDT(to) ? 'fptosi.sat' : 'fptoui.sat';
    return liftN(cx, [a], tt, (w, [x]) => {
      if (w > 1 && Number(tt.slice(1)) < 32) return narrowSat(cx, w, ft, tt, isSignedDT(to), x);
      const name = `llvm.${sat}.${w === 1 ? tt : `v${w}${tt}`}.${w === 1 ? mt(ft) : `v${w}${mt(ft)}`}`;
      return b.intrinsic(name, vecTy(w, tt), [[vecTy(w, ft), x]]);
    });
  }
  if (isFloatDT(to)) return roundF16(cx, to, conv(isSignedDT(from) ? 'sitofp' : 'uitofp'));
  const fb = Number(ft.slice(1));
  const tb = Number(tt.slice(1));
  if (fb === tb) return a.k === 'r' ? { ...a, t: tt } : a;
  if (fb > tb) return conv('trunc');
  return conv(isSignedDT(from) ? 'sext' : 'zext');
}

/**
 * The bits of `a` read as `to` (same width). Integers of one width share a register type, and
 * bool registers (i1) hold the 0/1 their byte holds, so those are value casts; float16 lives in a
 * float register and is narrowed to `half` for its bits.
 */
export function emitBitcast(cx: Cx, a: Val, from: DType, to: DType): Val {
  if (!isFloatDT(from) && !isFloatDT(to)) return emitCast(cx, a, from, to);
  const raw = (d: DType): string => (d === 'float16' ? 'half' : regTy(d));
  const conv = (v: Val, o: string, rt: string): Val =>
    lift(cx, [v], rt, ([T], [x], R) => `${o} ${T} ${x} to ${R}`);
  const src = from === 'float16' ? conv(a, 'fptrunc', 'half') : a;
  const bits = conv(src, 'bitcast', raw(to));
  return to === 'float16' ? conv(bits, 'fpext', 'float') : bits;
}

const mt = (t: string): string => (t === 'float' ? 'f32' : t === 'double' ? 'f64' : t);

/**
 * A vector float -> 8- or 16-bit conversion with fptosi/fptoui.sat's meaning (NaN gives 0, out of
 * range saturates, in range truncates toward zero) as a clamp in float, a plain fptosi to i32 and a
 * trunc: LLVM 14 scalarises the vector .sat intrinsics on x86 (per lane a convert, two compares
 * and an insert, 64+ instructions for 16 lanes), which dominated quantized kernels' epilogues.
 */
function narrowSat(cx: Cx, w: number, ft: string, tt: string, signed: boolean, x: string): string {
  const b = cx.f.b, V = vecTy(w, ft), M = vecTy(w, 'i1'), bits = Number(tt.slice(1));
  const [lo, hi] = signed ? [-(2 ** (bits - 1)), 2 ** (bits - 1) - 1] : [0, 2 ** bits - 1];
  const sel = (c: string, p: string, q: string) => b.emit(`select ${M} ${c}, ${V} ${p}, ${V} ${q}`);
  const [L, H] = [splatLit(w, ft, lo), splatLit(w, ft, hi)];
  const atLeast = sel(b.emit(`fcmp ogt ${V} ${x}, ${L}`), x, L);
  const inside = sel(b.emit(`fcmp olt ${V} ${atLeast}, ${H}`), atLeast, H);
  const clamped = sel(b.emit(`fcmp ord ${V} ${x}, ${x}`), inside, 'zeroinitializer');
  const i32 = b.emit(`fptosi ${V} ${clamped} to ${vecTy(w, 'i32')}`);
  return b.emit(`trunc ${vecTy(w, 'i32')} ${i32} to ${vecTy(w, tt)}`);
}

/** Does `e` contain a load (whose unselected evaluation must not touch memory)? */
export function hasLoad(e: Expr): boolean {
  switch (e.kind) {
    case 'load': return true;
    case 'const': case 'var': return false;
    case 'binary': return hasLoad(e.a) || hasLoad(e.b);
    case 'unary': case 'cast': return hasLoad(e.a);
    case 'select': return hasLoad(e.cond) || hasLoad(e.a) || hasLoad(e.b);
    default: return assertNever(e);
  }
}

/** Does `e` vary by lane in this context (i.e. reference a non-uniform variable)? */
export function varies(cx: Cx, e: Expr): boolean {
  switch (e.kind) {
    case 'const': return false;
    case 'var': return cx.scope.get(e.name).k !== 'u';
    case 'load': return varies(cx, e.index);
    case 'binary': return varies(cx, e.a) || varies(cx, e.b);
    case 'unary': case 'cast': return varies(cx, e.a);
    case 'select': return varies(cx, e.cond) || varies(cx, e.a) || varies(cx, e.b);
    default: return assertNever(e);
  }
}

/** Adds the keys of the loads `e` performs whatever its selects choose (select arms excluded). */
function unconditionalLoads(e: Expr, out: Set<string>): Set<string> {
  switch (e.kind) {
    case 'load': out.add(printExpr(e)); return unconditionalLoads(e.index, out);
    case 'const': case 'var': return out;
    case 'binary': return unconditionalLoads(e.b, unconditionalLoads(e.a, out));
    case 'unary': case 'cast': return unconditionalLoads(e.a, out);
    case 'select': return unconditionalLoads(e.cond, out);
    default: return assertNever(e);
  }
}

/** Whether every load of `e`, select arms included, is one of `safe`. */
function loadsWithin(e: Expr, safe: ReadonlySet<string>): boolean {
  switch (e.kind) {
    case 'load': return safe.has(printExpr(e)) && loadsWithin(e.index, safe);
    case 'const': case 'var': return true;
    case 'binary': return loadsWithin(e.a, safe) && loadsWithin(e.b, safe);
    case 'unary': case 'cast': return loadsWithin(e.a, safe);
    case 'select': return loadsWithin(e.cond, safe) && loadsWithin(e.a, safe) && loadsWithin(e.b, safe);
    default: return assertNever(e);
  }
}

/**
 * Whether an arm's loads need guarding: not when the condition itself already loaded every one of
 * them under the same mask — Clip's `select(x < lo, lo, x)` over a fused `acc + bias[c]` would
 * otherwise reload x's operands as masked gathers, three times per vector.
 */
function armsNeedGuard(cond: Expr, ea: Expr, eb: Expr): boolean {
  if (!hasLoad(ea) && !hasLoad(eb)) return false;
  const safe = unconditionalLoads(cond, new Set());
  return !(loadsWithin(ea, safe) && loadsWithin(eb, safe));
}

function emitSelect(cx: Cx, cond: Expr, ea: Expr, eb: Expr): Val {
  const c = emitExpr(cx, cond);
  const loads = armsNeedGuard(cond, ea, eb);
  if (c.k === 'u' && loads) return branchSelect(cx, c.v, ea, eb);
  if (c.k === 'u') {
    const a = emitExpr(cx, ea);
    const b = emitExpr(cx, eb);
    return lift(cx, [a, b], a.t, ([T], [x, y]) => `select i1 ${c.v}, ${T} ${x}, ${T} ${y}`);
  }
  const cv = toVec(cx, c);
  const a = emitExpr(loads ? { ...cx, mask: andMask(cx, cx.mask, cv) } : cx, ea);
  const b = emitExpr(loads ? { ...cx, mask: andMask(cx, cx.mask, notMask(cx, cv)) } : cx, eb);
  const T = vecTy(cx.w, a.t);
  const [va, vb] = [toVec(cx, a), toVec(cx, b)];
  return { k: 'v', t: a.t, v: cx.f.b.emit(`select <${cx.w} x i1> ${cv}, ${T} ${va}, ${T} ${vb}`) };
}

/** Uniform condition with loads in the arms: real control flow, joined by a phi. */
function branchSelect(cx: Cx, c: string, ea: Expr, eb: Expr): Val {
  const b = cx.f.b;
  const [lt, lf, lj] = [b.label('sel.t'), b.label('sel.f'), b.label('sel.j')];
  // Under a partial mask even a uniform load comes back as a (gathered) vector.
  const vec = cx.w > 1 && (cx.mask !== null || varies(cx, ea) || varies(cx, eb));
  const arm = (label: string, e: Expr): [string, string, string] => {
    b.block(label);
    const v = emitExpr(cx, e);
    const r = vec ? toVec(cx, v) : (v as { v: string }).v;
    const end = b.current;
    b.br(lj);
    return [r, end, v.t];
  };
  b.condBr(c, lt, lf);
  const [ra, ea2, t] = arm(lt, ea);
  const [rb, eb2] = arm(lf, eb);
  b.block(lj);
  const T = vec ? vecTy(cx.w, t) : t;
  const v = b.emit(`phi ${T} [ ${ra}, %${ea2} ], [ ${rb}, %${eb2} ]`);
  return vec ? { k: 'v', t, v } : uni(t, v);
}
