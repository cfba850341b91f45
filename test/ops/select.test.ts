// nonzero / compress / top_k / unique (ir/ops/select.ts) vs JS references. The counting kernels
// run through test/ops/harness.ts (float inputs, bounds-checked interpreter); the ops that take a
// count (a data symbol at compile time) and have int64/bool inputs run through `runTyped` below,
// which binds each count input's symbol to the value the counting kernel produced and executes
// with ir/tir-interp.ts (typed arrays, bounds-checked, assert status returned).

import { describe, expect, it } from 'vitest';
import '../../ir/ops/select.js';
import { type Dim, dimKey, evalDim, isStatic, sym } from '../../ir/dim.js';
import type { DType, TypedArrayOf } from '../../ir/dtype.js';
import type { Attrs, TensorType } from '../../ir/graph.js';
import { NOT_A_SCALAR, TOPK_K_OUT_OF_RANGE } from '../../ir/ops/select.js';
import { getOp } from '../../ir/ops/index.js';
import { newTypedArray, runKernel } from '../../ir/tir-interp.js';
import { inferOp, rand, runOp } from './harness.js';
import { bufferRoles, lowerNode } from './lower-node.js';

interface TIn { dtype: DType; data: TypedArrayOf; shape: number[]; dims?: Dim[] }
interface TOut { outs: TypedArrayOf[]; shapes: number[][]; status: number }

const f32 = (shape: number[], data: ArrayLike<number>, dims?: Dim[]): TIn =>
  ({ dtype: 'float32', data: Float32Array.from(data), shape, dims });
const i64 = (shape: number[], data: ArrayLike<number>): TIn =>
  ({ dtype: 'int64', data: BigInt64Array.from(Array.from(data, (v) => BigInt(v))), shape });
const bool = (data: boolean[]): TIn =>
  ({ dtype: 'bool', data: Uint8Array.from(data.map(Number)), shape: [data.length] });
const nums = (a: TypedArrayOf): number[] => Array.from(a as ArrayLike<number | bigint>, Number);

/**
 * Runs `op` with typed inputs through the compiler's kernel lowering (lower-node.ts); `counts[i]`
 * is the run-time value of count input i (a symbol, as a data symbol is in a compiled model).
 */
function runTyped(op: string, ins: readonly TIn[], attrs: Attrs, counts: Record<number, number> = {}): TOut {
  const env = new Map<string, number>();
  ins.forEach((s) => s.dims?.forEach((d, i) => { if (!isStatic(d)) env.set(d.key, s.shape[i]); }));
  const inTypes: TensorType[] = ins.map((s) => ({ dtype: s.dtype, shape: s.dims ?? s.shape }));
  const outTypes = getOp(op)!.infer(inTypes, attrs, {
    fail(code, message): never { throw new Error(`${code}: ${message}`); },
    constant: () => undefined,
    values: (i) => {
      if (counts[i] === undefined) return undefined;
      env.set(`count${i}`, counts[i]);
      return [sym(`count${i}`)];
    },
    fresh: (h) => sym(h),
    require: () => undefined,
  });
  const low = lowerNode(op, inTypes.map((type) => ({ type })), attrs, outTypes,
    { target: { arch: 'x86_64', vectorLanes: 8, threads: 2 } });
  const shapes = outTypes.map((ty) => ty.shape.map((d) => evalDim(d, env)));
  const outs =
    outTypes.map((ty, i) => newTypedArray(ty.dtype, Math.max(0, shapes[i].reduce((a, b) => a * b, 1))));
  const arrays = bufferRoles(low).map((b) => (b.kind === 'in' ? ins[b.index].data : outs[b.index]));
  const status = runKernel(low.kernel, arrays, low.symbols.map((k) => env.get(k)!));
  return { outs, shapes, status };
}

/** Random small integers (many ties) as floats, with about `zeros` of them zero. */
function ints(n: number, seed: number, range = 5): number[] {
  return Array.from(rand(n, seed), (v) => Math.floor((v + 1) * range) - Math.floor(range / 2));
}
const prod = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

function coordsOf(i: number, shape: readonly number[]): number[] {
  const c: number[] = [];
  for (let d = shape.length - 1; d >= 0; d--) { c[d] = i % shape[d]; i = Math.floor(i / shape[d]); }
  return c;
}

describe('nonzero_count / nonzero', () => {
  for (const shape of [[7], [3, 4], [2, 3, 5], [1, 1]]) {
    it(JSON.stringify(shape), () => {
      const x = ints(prod(shape), shape.length + 3, 3);
      const c = runOp('nonzero_count', [{ data: Float32Array.from(x), shape }], {});
      const count = x.filter((v) => v !== 0).length;
      expect(Array.from(c.outputs[0])).toEqual([count]);
      const r = runTyped('nonzero', [f32(shape, x), i64([], [count])], {}, { 1: count });
      expect(r.shapes[0]).toEqual([shape.length, count]);
      const nz = x.map((v, i) => [v, i] as const).filter(([v]) => v !== 0).map(([, i]) => coordsOf(i, shape));
      expect(nums(r.outs[0])).toEqual(shape.flatMap((_, d) => nz.map((c2) => c2[d])));
    });
  }
  it('symbolic input dims', () => {
    const x = [0, 1, 2, 0, 0, 3];
    const r = runTyped('nonzero', [f32([2, 3], x, [sym('a'), sym('b')]), i64([], [3])], {}, { 1: 3 });
    expect(nums(r.outs[0])).toEqual([0, 0, 1, 1, 2, 2]);
  });
  it('writes no more than the count says', () => {
    const r = runTyped('nonzero', [f32([4], [1, 1, 1, 1]), i64([], [2])], {}, { 1: 2 });
    expect(nums(r.outs[0])).toEqual([0, 1]);
  });
});

/** The declared attributes of compress/unique: no axis for x flattened (written -1 in the cases). */
const ax = (axis: number): Attrs => (axis < 0 ? {} : { axis });

describe('compress_count / compress', () => {
  const cases: [number[], number, boolean[]][] = [
    [[3, 4], 1, [true, false, true, true]],
    [[3, 4], 0, [false, true]], // shorter than the axis: the rest is dropped
    [[2, 3, 2], 1, [true, false, true]],
    [[2, 3], -1, [true, false, false, true, true]], // flattened
    [[2, 3], 0, [false, false, false]],
  ];
  for (const [shape, axis, cond] of cases) {
    it(`${JSON.stringify(shape)} axis=${axis} cond=${cond.map(Number).join('')}`, () => {
      const x = Array.from({ length: prod(shape) }, (_, i) => i + 1);
      const L = axis < 0 ? x.length : shape[axis];
      const keep = cond.map((b, i) => (b && i < L ? i : -1)).filter((i) => i >= 0);
      const c = runOp('compress_count', [{ data: Float32Array.from(x), shape },
        { data: Float32Array.from(cond.map(Number)), shape: [cond.length] }], ax(axis));
      expect(Array.from(c.outputs[0])).toEqual([keep.length]);
      const r = runTyped('compress', [f32(shape, x), bool(cond), i64([], [keep.length])], ax(axis),
        { 2: keep.length });
      let ref: number[];
      if (axis < 0) ref = keep.map((i) => x[i]);
      else {
        const outer = prod(shape.slice(0, axis)), inner = prod(shape.slice(axis + 1));
        ref = [];
        for (let o = 0; o < outer; o++) for (const i of keep) {
          for (let j = 0; j < inner; j++) ref.push(x[(o * L + i) * inner + j]);
        }
        expect(r.shapes[0]).toEqual(shape.map((d, k) => (k === axis ? keep.length : d)));
      }
      expect(nums(r.outs[0])).toEqual(ref);
    });
  }
});

function topkRef(x: number[], shape: number[], axis: number, k: number, largest: boolean) {
  const outer = prod(shape.slice(0, axis)), L = shape[axis], inner = prod(shape.slice(axis + 1));
  const v = new Array<number>(outer * k * inner), ix = new Array<number>(outer * k * inner);
  for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) {
    const row = Array.from({ length: L }, (_, l) => ({ val: x[(o * L + l) * inner + j], l }));
    row.sort((a, b) => (largest ? b.val - a.val : a.val - b.val) || a.l - b.l);
    for (let r = 0; r < k; r++) {
      v[(o * k + r) * inner + j] = row[r].val; ix[(o * k + r) * inner + j] = row[r].l;
    }
  }
  return { v, ix };
}

describe('top_k', () => {
  const cases: [number[], number, number, boolean][] = [
    [[2, 9], 1, 3, true], [[2, 9], 1, 9, false], [[3, 1], 1, 1, true], [[4, 5, 3], 1, 2, true],
    [[4, 5, 3], 0, 4, false], [[2, 33], 1, 5, true], [[2, 17], 1, 0, true], [[1, 100], 1, 100, false],
  ];
  for (const [shape, axis, k, largest] of cases) {
    const order = largest ? 'largest' : 'smallest';
    it(`${JSON.stringify(shape)} axis=${axis} k=${k} ${order} (ties by index)`, () => {
      const x = ints(prod(shape), shape[axis] + k, 4);
      const r = runTyped('top_k', [f32(shape, x), i64([1], [k])],
        { axis, largest: Number(largest) }, { 1: k });
      expect(r.status).toBe(0);
      const ref = topkRef(x, shape, axis, k, largest);
      expect(nums(r.outs[0])).toEqual(ref.v);
      expect(nums(r.outs[1])).toEqual(ref.ix);
    });
  }
  for (const [name, gen] of [['ascending', (i: number) => i], ['descending', (i: number) => -i],
    ['all equal', () => 2],
    ['sawtooth', (i: number) => i % 7]] as [string, (i: number) => number][]) {
    const ks = [[1, true], [13, true], [13, false], [40, false], [64, true]] as [number, boolean][];
    for (const [k, largest] of ks) {
      it(`${name} row of 64, k=${k} ${largest ? 'largest' : 'smallest'} (heap worst cases)`, () => {
        const x = Array.from({ length: 128 }, (_, i) => gen(i % 64));
        const r = runTyped('top_k', [f32([2, 64], x), i64([1], [k])],
          { axis: 1, largest: Number(largest) }, { 1: k });
        const ref = topkRef(x, [2, 64], 1, k, largest);
        expect(nums(r.outs[0])).toEqual(ref.v);
        expect(nums(r.outs[1])).toEqual(ref.ix);
      });
    }
  }
  it('distinct floats, symbolic row length', () => {
    const shape = [3, 20], x = Array.from(rand(60, 7));
    const r = runTyped('top_k', [f32(shape, x, [3, sym('n')]), i64([1], [6])],
      { axis: 1, largest: 1 }, { 1: 6 });
    const ref = topkRef(Array.from(Float32Array.from(x)), shape, 1, 6, true);
    expect(nums(r.outs[0])).toEqual(ref.v);
    expect(nums(r.outs[1])).toEqual(ref.ix);
  });
  it(`k > extent and k < 0 fail with status ${TOPK_K_OUT_OF_RANGE}, writing nothing out of bounds`, () => {
    expect(runTyped('top_k', [f32([2, 4], ints(8, 1)), i64([1], [5])], { axis: 1 },
      { 1: 5 }).status).toBe(TOPK_K_OUT_OF_RANGE);
    expect(runTyped('top_k', [f32([2, 4], ints(8, 1)), i64([1], [-1])], { axis: 1 },
      { 1: -1 }).status).toBe(TOPK_K_OUT_OF_RANGE);
  });
  it('static k > static extent is a compile-time error', () => {
    const values = () => [7];
    expect(() => getOp('top_k')!.infer([{ dtype: 'float32', shape: [2, 4] }, { dtype: 'int64', shape: [1] }],
      { axis: 1 },
      { fail: (c, m) => { throw new Error(`${c}: ${m}`); }, constant: () => undefined, values,
        fresh: sym, require: () => undefined })).toThrow(/KC0401/);
  });
});

describe('to_scalar_int', () => {
  it('copies the one element; fails on two', () => {
    expect(nums(runTyped('to_scalar_int', [i64([1], [42])], {}).outs[0])).toEqual([42]);
    expect(runTyped('to_scalar_int', [i64([2], [1, 2])], {}).status).toBe(NOT_A_SCALAR);
  });
});

function uniqueRef(x: number[], shape: number[], axis: number, sorted: boolean) {
  const n = axis < 0 ? x.length : shape[axis];
  const outer = axis < 0 ? 1 : prod(shape.slice(0, axis)), inner = axis < 0 ? 1 : prod(shape.slice(axis + 1));
  const L = n;
  const slice = (i: number) => {
    const s: number[] = [];
    for (let o = 0; o < outer; o++) for (let j = 0; j < inner; j++) s.push(x[(o * L + i) * inner + j]);
    return s;
  };
  const cmp = (a: number[], b: number[]) =>
    { for (let e = 0; e < a.length; e++) if (a[e] !== b[e]) return a[e] - b[e]; return 0; };
  const firsts: number[] = [];
  for (let i = 0; i < n; i++) if (!firsts.some((f) => cmp(slice(f), slice(i)) === 0)) firsts.push(i);
  if (sorted) firsts.sort((a, b) => cmp(slice(a), slice(b)));
  const inv = Array.from({ length: n }, (_, i) => firsts.findIndex((f) => cmp(slice(f), slice(i)) === 0));
  const counts = firsts.map((_, u) => inv.filter((v) => v === u).length);
  const U = firsts.length;
  const y: number[] = [];
  if (axis < 0) firsts.forEach((f) => y.push(x[f]));
  else for (let o = 0; o < outer; o++) for (let u = 0; u < U; u++) {
    for (let j = 0; j < inner; j++) y.push(x[(o * L + firsts[u]) * inner + j]);
  }
  return { y, idx: firsts, inv, counts, U };
}

describe('unique_sort / unique_count / unique', () => {
  const cases: [number[], number, number][] = [
    [[12], -1, 3], [[12], -1, 50], [[3, 4], -1, 2], [[1], -1, 2], [[4, 2], 0, 2], [[2, 5], 1, 2],
    [[2, 4, 2], 1, 2], [[17], -1, 4], [[6, 3], 0, 2],
  ];
  for (const [shape, axis, range] of cases) {
    for (const sorted of [1, 0]) {
      it(`${JSON.stringify(shape)} axis=${axis} sorted=${sorted}`, () => {
        const x = ints(prod(shape), prod(shape) + range, range);
        // a repeated row
        if (axis === 0 && shape[0] >= 4) for (let j = 0; j < shape[1]; j++) x[3 * shape[1] + j] = x[j];
        const sortOut = runOp('unique_sort', [{ data: Float32Array.from(x), shape }], ax(axis));
        const perm = Array.from(sortOut.outputs[0]);
        const n = perm.length;
        expect([...perm].sort((a, b) => a - b)).toEqual([...Array(n).keys()]);
        const count = runTyped('unique_count', [f32(shape, x), i64([n], perm)], ax(axis));
        const ref = uniqueRef(x, shape, axis, sorted === 1);
        expect(nums(count.outs[0])).toEqual([ref.U]);
        const r = runTyped('unique', [f32(shape, x), i64([n], perm), i64([], [ref.U])],
          { ...ax(axis), sorted }, { 2: ref.U });
        expect(r.status).toBe(0);
        expect(nums(r.outs[0])).toEqual(ref.y);
        expect(nums(r.outs[1])).toEqual(ref.idx);
        expect(nums(r.outs[2])).toEqual(ref.inv);
        expect(nums(r.outs[3])).toEqual(ref.counts);
      });
    }
  }
  it('infer: Y keeps the other dims and takes the count on the axis', () => {
    const [y] = inferOp('unique_sort', [{ dtype: 'float32', shape: [sym('b'), 3] }], { axis: 0 });
    expect(y.shape.map(dimKey)).toEqual(['b']);
  });
});
