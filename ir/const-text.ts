// Constant data in the graph-IR text (ir/print.ts writes it, ir/parse.ts reads it back). A
// constant is written after `const` in one of these forms:
//   [1, 2.5, -inf, nan]   every element, row-major (at most INLINE_MAX of them); integers exact
//                         (int64 too), float32 in the shortest text that reads back to the same
//                         float; float16, bfloat16 and the float8/float4 types as `bits [0x3c00]`
//   splat 0.5             every element equal
//   iota 0 1              element i is start + i * step (start, step as in the inline form)
//   seed 7                the deterministic pseudo-random data `seededConst` makes: floats are
//                         multiples of 1/8 in [-1, 1), integers small (0..15, or -8..7 signed)
//   digest 0x1a2b3c4d     data the printer elides (too long, no generator reproduces it): an
//                         FNV-1a hash of the bytes, to tell constants apart; it cannot be parsed
// Guarantees: every form but digest reads back to the same bytes; `seededConst` data remembers
// its seed, so a parsed `seed 7` prints as `seed 7` again (a weak map keyed by the byte array).

import { type DType, isFloat, typedView } from './dtype.js';
import { type ConstData, numel } from './graph.js';

/** Longest constant printed element by element. */
export const INLINE_MAX = 32;

/** Dtypes whose elements the text shows as raw bits (no JS number type holds them exactly). */
export const BITS_DTYPES: ReadonlySet<DType> = new Set<DType>(['float16', 'bfloat16', 'float8e4m3fn',
  'float8e4m3fnuz', 'float8e5m2', 'float8e5m2fnuz', 'float4e2m1']);

export type Elem = number | bigint;

const seeds = new WeakMap<Uint8Array, number>();

/** A typed view of a copy of `bytes` (aligned whatever the source's offset). */
function view(dtype: DType, bytes: Uint8Array) {
  const copy = new Uint8Array(bytes.byteLength);
  copy.set(bytes);
  const size = typedView(dtype, new ArrayBuffer(8), 0, 1).BYTES_PER_ELEMENT;
  return typedView(dtype, copy.buffer, 0, copy.byteLength / size);
}

/** The elements of `c` as numbers (bigints for 64-bit integers, raw bits for BITS_DTYPES). */
export function constElems(c: ConstData): Elem[] {
  return Array.from(view(c.dtype, c.bytes) as ArrayLike<Elem>);
}

/** Constant data from elements (the inverse of constElems; floats rounded to the dtype). */
export function constFromElems(dtype: DType, shape: readonly number[], elems: readonly Elem[]): ConstData {
  const n = numel(shape);
  const probe = typedView(dtype, new ArrayBuffer(8), 0, 1);
  const bytes = new Uint8Array(n * probe.BYTES_PER_ELEMENT);
  const v = typedView(dtype, bytes.buffer, 0, n) as unknown as Elem[];
  const big = v instanceof BigInt64Array || v instanceof BigUint64Array;
  for (let i = 0; i < n; i++) {
    const e = elems[i];
    v[i] = big ? BigInt.asIntN(64, BigInt(e)) : Number(e);
  }
  return Object.freeze({ dtype, shape: Object.freeze([...shape]), bytes });
}

/** One element as the text writes it. */
export function elemText(dtype: DType, e: Elem): string {
  if (typeof e === 'bigint') return String(e);
  if (BITS_DTYPES.has(dtype)) return `0x${e.toString(16)}`;
  if (Number.isNaN(e)) return 'nan';
  if (e === Infinity) return 'inf';
  if (e === -Infinity) return '-inf';
  if (Object.is(e, -0)) return '-0';
  if (dtype !== 'float32') return String(e);
  for (let p = 1; p < 9; p++) {
    const s = String(Number(e.toPrecision(p)));
    if (Math.fround(Number(s)) === e) return s;
  }
  return String(e);
}

/** All elements equal to `value`. */
export function splatConst(dtype: DType, shape: readonly number[], value: Elem): ConstData {
  return constFromElems(dtype, shape, new Array<Elem>(numel(shape)).fill(value));
}

/** Element i is start + i * step. */
export function iotaConst(dtype: DType, shape: readonly number[], start: Elem, step: Elem): ConstData {
  const big = typeof start === 'bigint' || typeof step === 'bigint';
  const elems = Array.from({ length: numel(shape) }, (_, i) =>
    (big ? BigInt(start) + BigInt(i) * BigInt(step) : Number(start) + i * Number(step)));
  return constFromElems(dtype, shape, elems);
}

/** Deterministic pseudo-random data (xorshift32 from `seed`); remembered, so it prints as `seed`. */
export function seededConst(dtype: DType, shape: readonly number[], seed: number): ConstData {
  let s = (seed * 2654435761 + 1) >>> 0 || 1;
  const next = () => {
    s ^= s << 13; s >>>= 0; s ^= s >>> 17; s ^= s << 5; s >>>= 0;
    return s;
  };
  const signed = dtype.startsWith('int');
  const elems = Array.from({ length: numel(shape) }, () => {
    const r = next() % 16;
    if (dtype === 'bool') return r & 1;
    if (isFloat(dtype) && !BITS_DTYPES.has(dtype)) return (r - 8) / 8;
    return signed ? r - 8 : BITS_DTYPES.has(dtype) ? 0 : r;
  });
  const c = constFromElems(dtype, shape, elems);
  seeds.set(c.bytes, seed);
  return c;
}

function fnv1a(b: Uint8Array): number {
  let h = 0x811c9dc5;
  for (const x of b) h = Math.imul(h ^ x, 0x01000193) >>> 0;
  return h;
}

/** Whether element i of `v` is start + i * step, as iotaConst makes it (float32 rounded). */
function isIota(dtype: DType, v: ArrayLike<Elem>, start: Elem, step: Elem): boolean {
  for (let i = 0; i < v.length; i++) {
    const e = typeof start === 'bigint' ? start + BigInt(i) * (step as bigint) : start + i * (step as number);
    if (!Object.is(v[i], typeof e === 'number' && dtype === 'float32' ? Math.fround(e) : e)) return false;
  }
  return true;
}

/** The text of constant data after `const`: inline, a generator, or a digest (file header). */
export function constText(c: ConstData): string {
  const seed = seeds.get(c.bytes);
  if (seed !== undefined) return `seed ${seed}`;
  const v = view(c.dtype, c.bytes) as ArrayLike<Elem>;
  const t = (e: Elem) => elemText(c.dtype, e);
  const bits = BITS_DTYPES.has(c.dtype);
  if (v.length <= INLINE_MAX) return `${bits ? 'bits ' : ''}[${Array.from(v, t).join(', ')}]`;
  if (!bits) {
    let splat = true;
    for (let i = 1; i < v.length && splat; i++) splat = Object.is(v[i], v[0]);
    if (splat) return `splat ${t(v[0])}`;
    const step = typeof v[0] === 'bigint' ? (v[1] as bigint) - v[0] : (v[1] as number) - v[0];
    if (isIota(c.dtype, v, v[0], step)) return `iota ${t(v[0])} ${t(step)}`;
  }
  return `digest 0x${fnv1a(c.bytes).toString(16).padStart(8, '0')}`;
}
