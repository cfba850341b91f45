// Attribute schemas for op declarations (ir/ops/declare.ts): each attribute of a kestrel op is
// declared once with its kind, its default and its validation; `readAttrs` gives an op's infer,
// fold and lowering typed values, and `canonicalAttrs` gives the ONNX frontend the complete,
// validated, normalised attributes it stores on the node. Axes are normalised against an input's
// rank in one place (`normaliseAxis`), which the frontend's `ctx.axis` also uses.
// Requires: nothing beyond ir/graph.ts types. Guarantees: every failure goes through the caller's
// `fail(attr, message)`; defaults are values or functions of the node's input ranks (window
// attributes default per spatial axis); reading an already canonical record returns it unchanged.

import { isFunc, type AttrValue, type Attrs } from '../graph.js';

/** Rank of input `i` of the node being read; undefined when that input is absent. */
export type RankOf = (input: number) => number | undefined;

/** Reports an invalid attribute; the caller decides the code and how the node is named. */
export type AttrFail = (attr: string, message: string) => never;

/** How the ONNX frontend reads an attribute of this kind from an ONNX node. */
export type OnnxKind = 'int' | 'float' | 'string' | 'ints' | 'floats' | 'internal';

export interface AttrSpec<T> {
  readonly onnx: OnnxKind;
  /** The value of an absent attribute; undefined when the attribute is required. */
  readonly dflt?: (rank: RankOf) => T;
  /** Checks a present value and returns its canonical form (a normalised axis, say). */
  readonly parse: (v: AttrValue, rank: RankOf, fail: (message: string) => never) => T;
}

export type AttrSchema = Readonly<Record<string, AttrSpec<unknown>>>;

/** The typed record an op's functions read: one field per declared attribute. */
export type AttrValues<S extends AttrSchema> = {
  readonly [K in keyof S]: S[K] extends AttrSpec<infer T> ? T : never;
};

/** `a` normalised against `rank` (negative counts from the end); fails when out of range. */
export function normaliseAxis(a: number, rank: number, fail: (message: string) => never): number {
  if (!Number.isInteger(a) || a < -rank || a >= Math.max(rank, 1)) {
    fail(`value ${a} is out of range for rank ${rank}`);
  }
  return a < 0 ? a + rank : a;
}

const constant = <T>(v: T | undefined): ((r: RankOf) => T) | undefined =>
  v === undefined ? undefined : () => v;

function num(v: AttrValue, fail: (m: string) => never): number {
  if (typeof v === 'boolean') return Number(v);
  if (typeof v !== 'number') fail('is not a number');
  return v as number;
}

function numList(v: AttrValue, fail: (m: string) => never): readonly number[] {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) fail('is not a list of numbers');
  return v as readonly number[];
}

export interface IntRange {
  readonly min?: number;
  readonly max?: number;
}

function inRange(x: number, r: IntRange, fail: (m: string) => never): void {
  if (!Number.isInteger(x)) fail(`must be an integer, got ${x}`);
  if (r.min !== undefined && x < r.min) fail(`must be >= ${r.min}, got ${x}`);
  if (r.max !== undefined && x > r.max) fail(`must be <= ${r.max}, got ${x}`);
}

/** The attribute kinds. Defaults given here are the only defaults an op's attribute has. */
export const attr = Object.freeze({
  int(dflt?: number, range: IntRange = {}): AttrSpec<number> {
    return { onnx: 'int', dflt: constant(dflt), parse: (v, _r, fail) => {
      const x = num(v, fail);
      inRange(x, range, fail);
      return x;
    } };
  },
  /** 0 or 1, stored as a number (ONNX has no boolean attributes). */
  flag(dflt?: 0 | 1): AttrSpec<number> {
    return attr.int(dflt, { min: 0, max: 1 });
  },
  float(dflt?: number): AttrSpec<number> {
    return { onnx: 'float', dflt: constant(dflt), parse: (v, _r, fail) => num(v, fail) };
  },
  /** One of `allowed`; the default is the first unless `dflt` says otherwise (null: required). */
  oneOf<const V extends string>(allowed: readonly V[], dflt: V | null = allowed[0]!): AttrSpec<V> {
    return { onnx: 'string', dflt: constant(dflt ?? undefined), parse: (v, _r, fail) => {
      if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
        fail(`has unknown value '${String(v)}' (expected one of ${allowed.join(', ')})`);
      }
      return v as V;
    } };
  },
  string(dflt?: string): AttrSpec<string> {
    return { onnx: 'string', dflt: constant(dflt), parse: (v, _r, fail) => {
      if (typeof v !== 'string') fail('is not a string');
      return v as string;
    } };
  },
  /** A list of integers; `dflt` may depend on the input ranks (one entry per spatial axis). */
  ints(dflt?: readonly number[] | ((rank: RankOf) => readonly number[]),
    range: IntRange = {}): AttrSpec<readonly number[]> {
    return { onnx: 'ints', dflt: typeof dflt === 'function' ? dflt : constant(dflt),
      parse: (v, _r, fail) => {
        const xs = numList(v, fail);
        for (const x of xs) inRange(x, range, (m) => fail(`entries ${m}`));
        return xs;
      } };
  },
  floats(dflt?: readonly number[]): AttrSpec<readonly number[]> {
    return { onnx: 'floats', dflt: constant(dflt), parse: (v, _r, fail) => numList(v, fail) };
  },
  /**
   * An axis of input `input` (plus `extra` positions, e.g. 1 for an axis of the output of an
   * unsqueeze), normalised to [0, rank). The default may be negative (-1: the last axis).
   */
  axis(dflt?: number, input = 0, extra = 0): AttrSpec<number> {
    const parse = (v: AttrValue, rank: RankOf, fail: (m: string) => never): number => {
      const r = rank(input);
      const a = num(v, fail);
      return r === undefined ? a : normaliseAxis(a, r + extra, fail);
    };
    const d = dflt;
    return { onnx: 'int', parse, dflt: d === undefined ? undefined
      : (rank) => parse(d, rank, (m) => { throw new Error(`internal: default axis ${d} ${m}`); }) };
  },
  /** Distinct axes of input `input`, normalised to [0, rank) and sorted (reductions). */
  axes(dflt: readonly number[] = [], input = 0): AttrSpec<readonly number[]> {
    const parse = (v: AttrValue, rank: RankOf, fail: (m: string) => never): readonly number[] => {
      const r = rank(input), xs = numList(v, fail);
      const out = r === undefined ? [...xs] : xs.map((a) => normaliseAxis(a, r, fail));
      if (new Set(out).size !== out.length) fail(`repeats an axis [${xs.join(', ')}]`);
      return out.sort((a, b) => a - b);
    };
    return { onnx: 'ints', parse, dflt: () => dflt };
  },
  /**
   * Distinct axes of input `input`, normalised to [0, rank) in the order given (a slice's axes,
   * paired with its starts); no default: required.
   */
  axisList(input = 0): AttrSpec<readonly number[]> {
    return { onnx: 'ints', parse: (v, rank, fail) => {
      const r = rank(input), xs = numList(v, fail);
      const out = r === undefined ? [...xs] : xs.map((a) => normaliseAxis(a, r, fail));
      if (new Set(out).size !== out.length) fail(`repeats an axis [${xs.join(', ')}]`);
      return out;
    } };
  },
  /** `spec` without a default: absent stays absent (undefined). */
  optional<T>(spec: AttrSpec<T>): AttrSpec<T | undefined> {
    return { onnx: spec.onnx, dflt: () => undefined, parse: spec.parse };
  },
  /** An attribute only the compiler sets (a computed flag, a body, constant data). */
  internal<T extends AttrValue>(dflt?: T): AttrSpec<T> {
    return { onnx: 'internal', dflt: constant(dflt), parse: (v) => v as T };
  },
});

/** True for a body (Func) or constant data: attributes the schema passes through untouched. */
const opaque = (v: AttrValue): boolean => isFunc(v) || (typeof v === 'object' && !Array.isArray(v));

function readOne(name: string, spec: AttrSpec<unknown>, attrs: Attrs, rank: RankOf,
  fail: AttrFail): unknown {
  const v = Object.hasOwn(attrs, name) ? attrs[name] : undefined;
  const f = (m: string): never => fail(name, m);
  if (v === undefined) return spec.dflt ? spec.dflt(rank) : f('is required');
  return opaque(v) && spec.onnx !== 'internal' ? f('has the wrong kind') : spec.parse(v, rank, f);
}

/** Fails for an attribute the schema does not declare (a misspelled name). */
function checkKnown(schema: AttrSchema, attrs: Attrs, fail: AttrFail): void {
  for (const k of Object.keys(attrs)) {
    if (!Object.hasOwn(schema, k)) {
      fail(k, `is not an attribute of this op (declared: ${Object.keys(schema).join(', ')})`);
    }
  }
}

/** Typed, validated attribute values with defaults applied and axes normalised. */
export function readAttrs<S extends AttrSchema>(schema: S, attrs: Attrs, rank: RankOf,
  fail: AttrFail): AttrValues<S> {
  checkKnown(schema, attrs, fail);
  const out: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(schema)) out[name] = readOne(name, spec, attrs, rank, fail);
  return Object.freeze(out) as AttrValues<S>;
}

/** The record a node stores: every declared attribute, in declaration order, validated. */
export function canonicalAttrs(schema: AttrSchema, attrs: Attrs, rank: RankOf, fail: AttrFail): Attrs {
  const read: Readonly<Record<string, unknown>> = readAttrs(schema, attrs, rank, fail);
  return Object.freeze(Object.fromEntries(Object.entries(read).filter(([, v]) => v !== undefined))) as Attrs;
}
