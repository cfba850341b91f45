// Constructors for tensor-IR nodes with light algebraic folding (constants, x+0, x*1, x*0), so
// that lowerings can write index arithmetic naturally without flooding codegen with noise.

import type { DType } from './dtype.js';
import type { BinOp, Buffer, Expr, LoopKind, Stmt, UnOp, Var } from './tir.js';
import { isSmallFloat } from './small-floats.js';

export type ExprLike = Expr | number;

export const I64: DType = 'int64';

export function imm(value: number, dtype: DType = I64): Expr {
  return { kind: 'const', dtype, value };
}

export function toExpr(e: ExprLike, dtype: DType = I64): Expr {
  return typeof e === 'number' ? imm(e, dtype) : e;
}

export function variable(name: string, dtype: DType = I64): Var {
  return { kind: 'var', name, dtype };
}

export function buffer(name: string, dtype: DType, scope: 'param' | 'local' = 'param'): Buffer {
  return { kind: 'buffer', name, dtype, scope };
}

const isConst = (e: Expr, v?: number): boolean => e.kind === 'const' && (v === undefined || e.value === v);

const COMPARE: ReadonlySet<BinOp> = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

function foldConst(op: BinOp, x: number, y: number, dtype: DType): number | undefined {
  const isInt = dtype !== 'float32' && dtype !== 'float64' && dtype !== 'float16';
  switch (op) {
    case 'add': return x + y;
    case 'sub': return x - y;
    case 'mul': return x * y;
    case 'div': return isInt ? (y === 0 ? undefined : Math.trunc(x / y)) : x / y;
    case 'floordiv': return y === 0 ? undefined : Math.floor(x / y);
    case 'mod': return y === 0 ? undefined : x - y * Math.floor(x / y);
    case 'min': return Math.min(x, y);
    case 'max': return Math.max(x, y);
    case 'eq': return Number(x === y);
    case 'ne': return Number(x !== y);
    case 'lt': return Number(x < y);
    case 'le': return Number(x <= y);
    case 'gt': return Number(x > y);
    case 'ge': return Number(x >= y);
    default: return undefined;
  }
}

export function binary(op: BinOp, a0: ExprLike, b0: ExprLike): Expr {
  const a = toExpr(a0, typeof b0 === 'number' ? I64 : b0.dtype);
  const b = toExpr(b0, a.dtype);
  const dtype: DType = COMPARE.has(op) ? 'bool' : a.dtype;
  if (a.kind === 'const' && b.kind === 'const') {
    const v = foldConst(op, a.value, b.value, a.dtype);
    if (v !== undefined && Number.isFinite(v)) return imm(v, dtype);
  }
  switch (op) {
    case 'add':
      if (isConst(a, 0)) return b;
      if (isConst(b, 0)) return a;
      break;
    case 'sub':
      if (isConst(b, 0)) return a;
      break;
    case 'mul':
      if (isConst(a, 1)) return b;
      if (isConst(b, 1)) return a;
      if ((isConst(a, 0) || isConst(b, 0)) && dtype === I64) return imm(0);
      break;
    case 'floordiv': case 'div':
      if (isConst(b, 1)) return a;
      break;
    case 'mod':
      if (isConst(b, 1) && dtype === I64) return imm(0);
      break;
    default: break;
  }
  return { kind: 'binary', op, a, b, dtype };
}

export const add = (a: ExprLike, b: ExprLike): Expr => binary('add', a, b);
export const sub = (a: ExprLike, b: ExprLike): Expr => binary('sub', a, b);
export const mul = (a: ExprLike, b: ExprLike): Expr => binary('mul', a, b);
export const div = (a: ExprLike, b: ExprLike): Expr => binary('div', a, b);
export const floordiv = (a: ExprLike, b: ExprLike): Expr => binary('floordiv', a, b);
export const mod = (a: ExprLike, b: ExprLike): Expr => binary('mod', a, b);
export const min = (a: ExprLike, b: ExprLike): Expr => binary('min', a, b);
export const max = (a: ExprLike, b: ExprLike): Expr => binary('max', a, b);
export const lt = (a: ExprLike, b: ExprLike): Expr => binary('lt', a, b);
export const le = (a: ExprLike, b: ExprLike): Expr => binary('le', a, b);
export const ge = (a: ExprLike, b: ExprLike): Expr => binary('ge', a, b);
export const gt = (a: ExprLike, b: ExprLike): Expr => binary('gt', a, b);
export const eq = (a: ExprLike, b: ExprLike): Expr => binary('eq', a, b);
export const and = (a: ExprLike, b: ExprLike): Expr => binary('and', a, b);

export function unary(op: UnOp, a: Expr): Expr {
  const dtype: DType = op === 'isnan' || op === 'isinf' ? 'bool' : a.dtype;
  return { kind: 'unary', op, a, dtype };
}

export function cast(a: Expr, dtype: DType): Expr {
  if (a.dtype === dtype) return a;
  // A constant folds, except into a storage-only float: its value must be rounded by the cast.
  if (a.kind === 'const' && !isSmallFloat(dtype)) {
    return imm(dtype === 'bool' ? Number(a.value !== 0) : a.value, dtype);
  }
  return { kind: 'cast', a, dtype };
}

/** The bits of `a` read as `dtype`, which must have the same width (bool counts as 8 bits). */
export function bitcast(a: Expr, dtype: DType): Expr {
  return a.dtype === dtype ? a : { kind: 'cast', a, dtype, bits: true };
}

export function select(cond: Expr, a: Expr, b: Expr): Expr {
  if (cond.kind === 'const') return cond.value !== 0 ? a : b;
  return { kind: 'select', cond, a, b, dtype: a.dtype };
}

export function load(buf: Buffer, index: ExprLike): Expr {
  return { kind: 'load', buf, index: toExpr(index), dtype: buf.dtype };
}

export function store(buf: Buffer, index: ExprLike, value: Expr): Stmt {
  return { kind: 'store', buf, index: toExpr(index), value };
}

export function seq(...body: (Stmt | readonly Stmt[])[]): Stmt {
  const flat: Stmt[] = [];
  for (const s of body.flat()) {
    if (s.kind === 'seq') flat.push(...s.body);
    else flat.push(s);
  }
  return flat.length === 1 ? flat[0] : { kind: 'seq', body: flat };
}

export function loop(v: Var, extent: ExprLike, body: Stmt, kind: LoopKind = 'serial',
  min: ExprLike = 0): Stmt {
  return { kind: 'for', var: v, min: toExpr(min), extent: toExpr(extent), loop: kind, body };
}

export function ifThen(cond: Expr, then: Stmt, otherwise?: Stmt): Stmt {
  if (cond.kind === 'const') return cond.value !== 0 ? then : (otherwise ?? seq());
  return otherwise ? { kind: 'if', cond, then, else: otherwise } : { kind: 'if', cond, then };
}

export function letIn(v: Var, value: Expr, body: Stmt): Stmt {
  return { kind: 'let', var: v, value, body };
}

export function alloc(buf: Buffer, size: number, body: Stmt): Stmt {
  return { kind: 'alloc', buf, size, body };
}

/** Row-major flat offset of `idx` in a tensor of `shape`. */
export function flatIndex(idx: readonly ExprLike[], shape: readonly ExprLike[]): Expr {
  let acc: Expr = imm(0);
  for (let i = 0; i < idx.length; i++) acc = add(mul(acc, shape[i]), idx[i]);
  return acc;
}

/** Splits a flat offset back into row-major coordinates of `shape`. */
export function unflatten(flat: Expr, shape: readonly ExprLike[]): Expr[] {
  const out: Expr[] = new Array(shape.length);
  let rest = flat;
  for (let i = shape.length - 1; i >= 0; i--) {
    out[i] = i === 0 ? rest : mod(rest, shape[i]);
    rest = floordiv(rest, shape[i]);
  }
  return out;
}
