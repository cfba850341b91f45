// Shared attribute readers, validators and window arithmetic for the anchor op families
// (conv.ts, pool.ts, matmul.ts, norm.ts).
// Requires: attrs as produced by the ONNX frontend (complete, axes non-negative); readers still
// take defaults so hand-built graphs and tests can omit them.
// Guarantees: every failure goes through ctx.fail with KC0401 (attribute out of range) or
// KC0402 (input rank/dtype/shape mismatch); window output sizes are written once over symbolic
// dims (ir/dim.ts) so a dynamic batch or spatial dim flows through, and once more over tir
// expressions for the pads a kernel needs at run time (auto_pad SAME on symbolic inputs).

import { isFloat } from '../dtype.js';
import type { Dim } from '../dim.js';
import { dimAdd, dimCeilDiv, dimFloorDiv, dimMin, dimSub, isStatic } from '../dim.js';
import type { Attrs, TensorType } from '../graph.js';
import type { OutputSink } from '../te.js';
import type { Buffer, Expr } from '../tir.js';
import { add, and, floordiv, ge, imm, lt, max, min, mul, sub } from '../tir-build.js';
import { attr, readAttrs, type AttrFail, type AttrValues, type RankOf } from './attr-schema.js';
import type { InferCtx } from './registry.js';
import { Codes } from '../../compiler/diagnostics.js';

export const ATTR_RANGE = Codes.ATTRIBUTE;
export const INPUT_MISMATCH = Codes.SHAPE_INFERENCE;

export type AutoPad = (typeof AUTO_PADS)[number];

export function intAttr(attrs: Attrs, name: string, dflt: number): number {
  const v = attrs[name];
  if (v === undefined) return dflt;
  if (typeof v === 'boolean') return Number(v);
  if (typeof v !== 'number') throw new Error(`attribute '${name}' is not a number`);
  return v;
}

export const floatAttr = intAttr;

export function intsAttr(attrs: Attrs, name: string, dflt: readonly number[]): readonly number[] {
  const v = attrs[name];
  if (v === undefined) return dflt;
  if (!Array.isArray(v)) throw new Error(`attribute '${name}' is not a list`);
  return v as readonly number[];
}

export function strAttr(attrs: Attrs, name: string, dflt: string): string {
  const v = attrs[name];
  return typeof v === 'string' ? v : dflt;
}

/** Input `i` must be present and of floating dtype with a rank in [minRank, maxRank]. */
export function requireFloat(
  ins: readonly (TensorType | null)[], i: number, what: string, ctx: InferCtx,
  minRank = 0, maxRank = Infinity,
): TensorType {
  const t = ins[i];
  if (!t) return ctx.fail(INPUT_MISMATCH, `missing input ${i} (${what})`);
  if (!isFloat(t.dtype)) ctx.fail(INPUT_MISMATCH, `${what} must be a float tensor, got ${t.dtype}`);
  const r = t.shape.length;
  if (r < minRank || r > maxRank) {
    const want = maxRank === minRank ? `${minRank}` : `${minRank}..${maxRank === Infinity ? '' : maxRank}`;
    ctx.fail(INPUT_MISMATCH, `${what} must have rank ${want}, got ${r}`);
  }
  return t;
}

/**
 * Requires `a == b`: a compile-time error when both are static, otherwise a run-time check
 * (ctx.require) whose message names `operands` (input indices) when given.
 */
export function checkDimEq(a: Dim, b: Dim, what: string, ctx: InferCtx,
  operands: readonly number[] = []): void {
  if (isStatic(a) && isStatic(b) && a !== b) ctx.fail(INPUT_MISMATCH, `${what}: ${a} vs ${b}`);
  ctx.require([[a, b]], `${checkSubject(operands)}${what} differ: %0 vs %1`, operands, [a, b]);
}

/** Requires `d` to be 1 or `want` (a dim read through bcastCoord), like checkDimEq. */
export function checkBroadcastTo(d: Dim, want: Dim, what: string, ctx: InferCtx,
  operands: readonly number[] = []): void {
  if (isStatic(d) && isStatic(want) && d !== want && d !== 1) {
    ctx.fail(INPUT_MISMATCH, `${what}: ${d} vs ${want}`);
  }
  const message = `${checkSubject(operands)}${what}: %0 is neither 1 nor %1`;
  ctx.require([[d, 1], [d, want]], message, operands, [d, want]);
}

/** "input $0: ", "inputs $0, $1: " (the operands a check message shows), or nothing. */
function checkSubject(operands: readonly number[]): string {
  if (!operands.length) return '';
  return `input${operands.length > 1 ? 's' : ''} ${operands.map((_, k) => `$${k}`).join(', ')}: `;
}

/** Validated window attributes of a conv or pool over `spatial` axes. */
export interface Window {
  readonly kernel: readonly number[];
  readonly strides: readonly number[];
  readonly dilations: readonly number[];
  /** All begins then all ends (ONNX order); ignored unless autoPad is NOTSET. */
  readonly pads: readonly number[];
  readonly autoPad: AutoPad;
  readonly ceilMode: boolean;
}

export const AUTO_PADS = ['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'] as const;

/** Pads beyond this are rejected: no real model pads a million elements, a hostile one might. */
const MAX_PAD = 1 << 20;

const spatialOf = (rank: RankOf): number => Math.max((rank(0) ?? 2) - 2, 0);

/**
 * The window attributes of every conv and pool, declared once: per spatial axis of input 0,
 * strides and dilations default to 1 and pads (all begins, then all ends) to 0.
 */
export const WINDOW_ATTRS = {
  kernel: attr.ints(undefined, { min: 1 }),
  strides: attr.ints((r) => new Array<number>(spatialOf(r)).fill(1), { min: 1 }),
  pads: attr.ints((r) => new Array<number>(2 * spatialOf(r)).fill(0), { min: 0, max: MAX_PAD }),
  dilations: attr.ints((r) => new Array<number>(spatialOf(r)).fill(1), { min: 1 }),
  autoPad: attr.oneOf(AUTO_PADS),
};

export type WindowAttrs = AttrValues<typeof WINDOW_ATTRS>;

/** The lengths of the window attributes against `spatial` axes (declareOp `check`). */
export function checkWindow(a: WindowAttrs, spatial: number, fail: AttrFail): void {
  const want = { kernel: spatial, strides: spatial, pads: 2 * spatial, dilations: spatial } as const;
  for (const name of ['kernel', 'strides', 'pads', 'dilations'] as const) {
    if (a[name].length !== want[name]) {
      fail(name, `has ${a[name].length} entries, expected ${want[name]} for ${spatial} spatial axes`);
    }
  }
}

/** `check` of a declared conv or pool: windows span the spatial axes of input 0. */
export const checkWindowOfInput = (a: WindowAttrs, rank: RankOf, fail: AttrFail): void =>
  checkWindow(a, spatialOf(rank), fail);

/** The Window of declared window attributes (ceilMode for pools; convs have none). */
export function windowOf(a: WindowAttrs & { readonly ceilMode?: number }): Window {
  const { kernel, strides, dilations, pads, autoPad } = a;
  return { kernel, strides, dilations, pads, autoPad, ceilMode: (a.ceilMode ?? 0) !== 0 };
}

/**
 * Reads and validates the window of a conv or pool node over `spatial` axes from its raw
 * attributes (for lowering helpers that see only a LowerCtx); same rules as the declarations.
 */
export function readWindow(attrs: Attrs, spatial: number, ctx: InferCtx): Window {
  const fail: AttrFail = (name, m) => ctx.fail(ATTR_RANGE, `attribute '${name}' ${m}`);
  const names = Object.keys(WINDOW_ATTRS) as (keyof typeof WINDOW_ATTRS)[];
  const own = Object.fromEntries(names.filter((k) => Object.hasOwn(attrs, k)).map((k) => [k, attrs[k]]));
  const a = readAttrs(WINDOW_ATTRS, own, () => spatial + 2, fail);
  checkWindow(a, spatial, fail);
  return windowOf({ ...a, ceilMode: intAttr(attrs, 'ceilMode', 0) });
}

/** Extent covered by one dilated window along axis `i`. */
export const effKernel = (w: Window, i: number): number => w.dilations[i] * (w.kernel[i] - 1) + 1;

/** Output extent along spatial axis `i` for input extent `x` (ONNX Conv/Pool rules). */
export function windowOut(w: Window, i: number, x: Dim): Dim {
  const s = w.strides[i];
  if (w.autoPad === 'SAME_UPPER' || w.autoPad === 'SAME_LOWER') return dimCeilDiv(x, s);
  const pb = w.autoPad === 'VALID' ? 0 : w.pads[i];
  const pe = w.autoPad === 'VALID' ? 0 : w.pads[i + w.kernel.length];
  const span = dimSub(dimAdd(x, pb + pe), effKernel(w, i));
  if (!w.ceilMode) return dimAdd(dimFloorDiv(span, s), 1);
  // ceil mode: the last window must start inside the input or its begin padding.
  return dimMin(dimAdd(dimCeilDiv(span, s), 1), dimCeilDiv(dimAdd(x, pb), s));
}

/** Fails with KC0401 when some output extent is statically below 1. */
export function checkOutPositive(out: readonly Dim[], ctx: InferCtx): void {
  for (const d of out) {
    if (isStatic(d) && d < 1) ctx.fail(ATTR_RANGE, `window larger than padded input (output extent ${d})`);
  }
}

/**
 * Begin padding along axis `i` as an int64 expression, given the input extent `x` and output
 * extent `out`: a constant except for auto_pad SAME on a symbolic input.
 */
export function padBeginExpr(w: Window, i: number, x: Expr, out: Expr): Expr {
  if (w.autoPad === 'VALID') return imm(0);
  if (w.autoPad === 'NOTSET') return imm(w.pads[i]);
  const total = max(sub(add(mul(sub(out, 1), w.strides[i]), effKernel(w, i)), x), 0);
  const half = floordiv(total, 2);
  return w.autoPad === 'SAME_UPPER' ? half : sub(total, half);
}

/** End padding along axis `i` (see padBeginExpr). */
export function padEndExpr(w: Window, i: number, x: Expr, out: Expr): Expr {
  if (w.autoPad === 'VALID') return imm(0);
  if (w.autoPad === 'NOTSET') return imm(w.pads[i + w.kernel.length]);
  const total = max(sub(add(mul(sub(out, 1), w.strides[i]), effKernel(w, i)), x), 0);
  return sub(total, padBeginExpr(w, i, x, out));
}

/** Reads a tunable knob with its default; non-positive or non-integer values fall back. */
export function knob(knobs: Readonly<Record<string, number>>, name: string, dflt: number): number {
  const v = knobs[name];
  return v !== undefined && Number.isInteger(v) && v > 0 ? v : dflt;
}

/** ceil(a / b) over int64 expressions, b a positive constant. */
export function ceilDivExpr(a: Expr, b: number): Expr {
  return floordiv(add(a, b - 1), b);
}

/** Product of int64 expressions (1 for none). */
export function prodExpr(xs: readonly Expr[]): Expr {
  return xs.reduce<Expr>((p, x) => mul(p, x), imm(1));
}

/** Used when lowering re-reads attributes that infer already validated: failure is a bug. */
export const LOWER_FAIL: InferCtx = {
  fail(code: string, message: string): never {
    throw new Error(`internal: ${code} at lowering (infer should have caught it): ${message}`);
  },
  constant: () => undefined,
  values: () => undefined,
  fresh: () => { throw new Error('internal: fresh dims are made by infer only'); },
  require: () => undefined, // infer recorded the node's checks
};

/** Static value of an int64 expression, if it is a constant. */
export function constOf(e: Expr): number | undefined {
  return e.kind === 'const' ? e.value : undefined;
}

export const isZero = (e: Expr): boolean => constOf(e) === 0;

/** `0 <= i < extent`, dropping the sides that padding and tails cannot violate. */
export function inBounds(i: Expr, extent: Expr, checkLo: boolean, checkHi: boolean): Expr {
  const conds: Expr[] = [];
  if (checkLo) conds.push(ge(i, 0));
  if (checkHi) conds.push(lt(i, extent));
  return conds.length === 0 ? imm(1, 'bool') : conds.reduce((a, b) => and(a, b));
}

/** Index along a broadcast input dim given the output coordinate along it. */
export function bcastCoord(coord: Expr, dim: Expr): Expr {
  const c = constOf(dim);
  if (c === 1) return imm(0);
  return c !== undefined ? coord : min(coord, sub(dim, 1)); // symbolic: 1 or equal to the output
}

/** The buffer behind a plain-store sink (scratch outputs are read back); throws otherwise. */
export function sinkBuffer(s: OutputSink): Buffer {
  const probe = imm(0, s.dtype);
  const st = s.store(s.shape.map(() => imm(0)), probe);
  if (st.kind !== 'store' || st.value !== probe) {
    throw new Error('internal: a scratch or workspace output must be a plain buffer (no fused epilogue)');
  }
  return st.buf;
}
