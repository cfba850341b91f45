// Numerics at the edges, end to end (compiled artifacts, so vector bodies and their tails run):
// - TopK with NaN keys: NaN orders above every number (ir/ops/select.ts keyAbove), in all four
//   modes (largest / smallest, sorted or not), checked against a JS reference of that order and
//   against onnxruntime-node on the input of the original report and on NaN-free inputs
//   (onnxruntime has no consistent NaN order to compare with beyond that).
// - Integer Div and Mod (fmod 0 and 1) by zero and INT_MIN / -1, int32 and int64, at lengths
//   below, at and past a vector: the values README.md documents ("Integer arithmetic"), checked
//   against a BigInt reference, and against onnxruntime-node wherever it defines a result
//   (it fails the run on a zero divisor). Float Mod by zero is NaN.
// - Integer Add, Sub, Mul, Neg, Abs wrap on overflow; float -> integer Cast saturates.
// - Integer arithmetic on shape values, which the VM computes, fails the run instead (KR0203).

import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { KestrelError } from '../../runtime-vm/errors.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { attrInt, encodeModel, FLOAT, INT32, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, type ModelSpec } from '../helpers/models.js';

const show = (xs: ArrayLike<number | bigint>): string[] => Array.from(xs as ArrayLike<number>, String);

/** kestrel and onnxruntime sessions of one model. */
async function both(name: string, spec: ModelSpec): Promise<{ k: Session; o: ort.InferenceSession }> {
  return { k: await buildModel(name, spec), o: await ort.InferenceSession.create(encodeModel(spec)) };
}

describe('TopK with NaN keys', () => {
  const modes = [[1, 1], [0, 1], [1, 0], [0, 0]] as const;
  const sessions = new Map<string, { k: Session; o: ort.InferenceSession }>();
  beforeAll(async () => {
    for (const [largest, sorted] of modes) {
      sessions.set(`${largest}${sorted}`, await both(`topk_${largest}${sorted}`, {
        nodes: [node('TopK', ['x', 'k'], ['v', 'i'],
          [attrInt('largest', largest), attrInt('sorted', sorted)])],
        inputs: [vi('x', FLOAT, [1, 'n']), vi('k', INT64, [1])],
        outputs: [vi('v', FLOAT, [1, null]), vi('i', INT64, [1, null])],
        opset: 11,
      }));
    }
  }, 300_000);
  afterAll(() => sessions.forEach((s) => s.k.dispose()));

  /** Indices of the top k under "NaN above every number, ties by index". */
  function ref(x: number[], k: number, largest: boolean): number[] {
    const rank = (v: number) => (Number.isNaN(v) ? Infinity : v);
    const above = (a: number, b: number) => (Number.isNaN(a) ? !Number.isNaN(b) : rank(a) > rank(b));
    const better = (i: number, j: number) => {
      const [a, b] = [x[i], x[j]];
      if (above(a, b)) return largest ? -1 : 1;
      if (above(b, a)) return largest ? 1 : -1;
      return i - j;
    };
    return x.map((_, i) => i).sort(better).slice(0, k);
  }

  type Pair = { k: Session; o: ort.InferenceSession };
  async function run(s: Pair, x: number[], k: number, onnxruntime: boolean) {
    const kx = { x: new Tensor('float32', Float32Array.from(x), [1, x.length]),
      k: new Tensor('int64', BigInt64Array.from([BigInt(k)]), [1]) };
    const ko = await s.k.run(kx);
    const kOut = { v: show(ko.v.data as Float32Array), i: Array.from(ko.i.data as BigInt64Array, Number) };
    if (!onnxruntime) return { kOut };
    const oo = await s.o.run({ x: new ort.Tensor('float32', Float32Array.from(x), [1, x.length]),
      k: new ort.Tensor('int64', BigInt64Array.from([BigInt(k)]), [1]) });
    const oOut = { v: show(oo.v.data as Float32Array), i: Array.from(oo.i.data as BigInt64Array, Number) };
    return { kOut, oOut };
  }

  it('reported case: the top 3 of [1, NaN, 3, 2, 5, 4, 0, 0] are [NaN, 5, 4], as onnxruntime', async () => {
    const { kOut, oOut } = await run(sessions.get('11')!, [1, NaN, 3, 2, 5, 4, 0, 0], 3, true);
    expect(kOut).toEqual({ v: ['NaN', '5', '4'], i: [1, 4, 5] });
    expect(kOut).toEqual(oOut);
  });

  const nanInputs: number[][] = [
    [1, NaN, 3, 2, 5, 4, 0, 0],
    [NaN, NaN, 3, NaN, 5, 4, 0, 0],
    [1, 2, NaN, NaN, NaN, NaN, NaN, 0],
    [-Infinity, NaN, Infinity, 2, -0, 0, NaN, 7, 7, -3, Infinity, 1, NaN],
    [NaN, NaN, NaN],
  ];
  for (const [largest, sorted] of modes) {
    it(`largest=${largest} sorted=${sorted}: NaN above every number, ties by index`, async () => {
      const s = sessions.get(`${largest}${sorted}`)!;
      for (const x of nanInputs) {
        for (const k of [1, 3, x.length]) {
          const want = ref(x, k, largest === 1);
          const { kOut } = await run(s, x, k, false);
          // kestrel always returns the sorted order (allowed for sorted=0), so one check serves both.
          expect(kOut.i, `x=${show(x)} k=${k}`).toEqual(want);
          expect(kOut.v).toEqual(show(want.map((j) => Math.fround(x[j]))));
        }
      }
    });
    it(`largest=${largest} sorted=${sorted}: NaN-free inputs agree with onnxruntime`, async () => {
      const s = sessions.get(`${largest}${sorted}`)!;
      const x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8, 9, 7, -9, 0, -0, 2];
      for (const k of [1, 2, 5, x.length]) {
        const { kOut, oOut } = await run(s, x, k, true);
        // Unsorted results may come in any order: compare the selected (index, value) pairs as sets.
        const pairs = (o: { v: string[]; i: number[] }) => o.i.map((j, p) => `${j}:${o.v[p]}`);
        if (sorted) expect(kOut).toEqual(oOut);
        else expect(pairs(kOut).sort()).toEqual(pairs(oOut!).sort());
      }
    });
  }
});

const INT = { int32: { onnx: INT32, bits: 32 }, int64: { onnx: INT64, bits: 64 } } as const;
type IntT = keyof typeof INT;
const intTensor = (d: IntT, xs: bigint[]): Tensor => (d === 'int64'
  ? new Tensor('int64', BigInt64Array.from(xs), [xs.length])
  : new Tensor('int32', Int32Array.from(xs, Number), [xs.length]));

describe('integer Div and Mod: zero divisors and INT_MIN / -1 (README.md, "Integer arithmetic")', () => {
  const OPS = [
    ['Div', 'div', []], ['Mod', 'mod', [attrInt('fmod', 0)]], ['Mod', 'fmod', [attrInt('fmod', 1)]],
  ] as const;
  const spec = (d: IntT): ModelSpec => ({
    nodes: OPS.map(([op, out, attrs]) => node(op, ['a', 'b'], [out], [...attrs])),
    inputs: [vi('a', INT[d].onnx, ['n']), vi('b', INT[d].onnx, ['n'])],
    outputs: OPS.map(([, out]) => vi(out, INT[d].onnx, ['n'])),
    opset: 13,
  });

  /** The documented results: a / 0 = 0, a mod 0 = a (both fmods), quotients wrap (INT_MIN / -1). */
  function ref(op: string, a: bigint, b: bigint, bits: number): bigint {
    if (b === 0n) return op === 'div' ? 0n : a;
    const r = a % b; // BigInt division truncates, like C
    if (op === 'div') return BigInt.asIntN(bits, a / b);
    if (op === 'fmod' || r === 0n || (r < 0n) === (b < 0n)) return r;
    return r + b;
  }

  const pairs = (bits: number): [bigint, bigint][] => {
    const min = -(1n << BigInt(bits - 1)), max = -min - 1n;
    return [[min, -1n], [min, 0n], [7n, 0n], [-7n, 0n], [0n, 0n], [max, -1n], [-7n, 3n], [7n, -3n],
      [-7n, -3n], [min, 3n], [max, -2n], [5n, 1n], [-1n, 2n]];
  };
  // onnxruntime fails the run on a zero divisor, INT_MIN / -1 is undefined in its C++, and it
  // computes integer fmod in double precision (INT64_MAX fmod -2 gives 0): compare small values only.
  const safe = ([a, b]: [bigint, bigint]) => b !== 0n && b !== -1n && a < 1n << 53n && a > -(1n << 53n);
  const tensors = (d: IntT, ps: [bigint, bigint][]) =>
    ({ a: intTensor(d, ps.map((p) => p[0])), b: intTensor(d, ps.map((p) => p[1])) });

  const sessions = new Map<IntT, { k: Session; o: ort.InferenceSession }>();
  beforeAll(async () => {
    for (const d of Object.keys(INT) as IntT[]) sessions.set(d, await both(`intdiv_${d}`, spec(d)));
  }, 300_000);
  afterAll(() => sessions.forEach((s) => s.k.dispose()));

  for (const d of Object.keys(INT) as IntT[]) {
    // Lengths below, at and past one vector (16 int32 or 8 int64 lanes on AVX-512), with tails; the
    // offsets put every case of `pairs` into the short inputs too.
    for (const n of [5, 8, 16, 37, 67]) {
      it(`${d}, length ${n}: Div, Mod fmod=0, Mod fmod=1 give the documented values`, async () => {
        const P = pairs(INT[d].bits);
        for (const off of [0, 5, 9]) {
          const ps = Array.from({ length: n }, (_, i) => P[(i + off) % P.length]);
          const out = await sessions.get(d)!.k.run(tensors(d, ps));
          for (const [, name] of OPS) {
            const want = ps.map(([a, b]) => String(ref(name, a, b, INT[d].bits)));
            expect(show(out[name].data as Int32Array), `${name} offset ${off}`).toEqual(want);
          }
        }
      });
    }
    it(`${d}: where onnxruntime defines the result (no zero divisor, no INT_MIN / -1), agrees`, async () => {
      const P = pairs(INT[d].bits).filter(safe);
      const ps = Array.from({ length: 37 }, (_, i) => P[i % P.length]);
      const { a, b } = tensors(d, ps);
      const s = sessions.get(d)!;
      const k = await s.k.run({ a, b });
      const ortType = a.type as ort.Tensor.Type;
      const o = await s.o.run({ a: new ort.Tensor(ortType, a.data, a.dims),
        b: new ort.Tensor(ortType, b.data, b.dims) });
      for (const [, name] of OPS) {
        expect(show(k[name].data as Int32Array), name).toEqual(show(o[name].data as Int32Array));
      }
    });
  }

  it('float Mod by zero is NaN (fmod 0 and 1); Div and fmod agree with onnxruntime', async () => {
    // onnxruntime accepts float Mod with fmod=1 only.
    const floatSpec = (ops: typeof OPS[number][]): ModelSpec => ({
      nodes: ops.map(([op, out, attrs]) => node(op, ['a', 'b'], [out], [...attrs])),
      inputs: [vi('a', FLOAT, ['n']), vi('b', FLOAT, ['n'])],
      outputs: ops.map(([, out]) => vi(out, FLOAT, ['n'])),
      opset: 13,
    });
    const s = { k: await buildModel('floatmod', floatSpec([...OPS])),
      o: await ort.InferenceSession.create(encodeModel(floatSpec(OPS.filter(([, n]) => n !== 'mod')))) };
    const A = [7, -7, 0, 5, 1.5, -2.5, Infinity, NaN], B = [0, 0, 0, -0, -0, 0, 0, 0];
    for (const n of [8, 37]) {
      const a = Float32Array.from({ length: n }, (_, i) => A[i % A.length]);
      const b = Float32Array.from({ length: n }, (_, i) => B[(i * 3) % B.length]);
      const k = await s.k.run({ a: new Tensor('float32', a, [n]), b: new Tensor('float32', b, [n]) });
      const o = await s.o.run({ a: new ort.Tensor('float32', a, [n]), b: new ort.Tensor('float32', b, [n]) });
      for (const name of ['mod', 'fmod']) {
        expect(show(k[name].data as Float32Array), name).toEqual(Array(n).fill('NaN'));
      }
      for (const name of ['div', 'fmod']) {
        expect(show(k[name].data as Float32Array), name).toEqual(show(o[name].data as Float32Array));
      }
    }
    s.k.dispose();
  });
});

describe('integer Div of shape values (computed by the VM) is checked instead', () => {
  let s: Session;
  beforeAll(async () => {
    s = await buildModel('shape_div', {
      nodes: [node('Shape', ['x'], ['sx']), node('Shape', ['y'], ['sy']), node('Div', ['sx', 'sy'], ['q'])],
      inputs: [vi('x', FLOAT, ['n']), vi('y', FLOAT, ['m'])],
      outputs: [vi('q', INT64, [1])],
      opset: 13,
    });
  }, 300_000);
  afterAll(() => s?.dispose());
  const run = (n: number, m: number) => s.run({ x: new Tensor('float32', new Float32Array(n), [n]),
    y: new Tensor('float32', new Float32Array(m), [m]) });

  it('a zero divisor fails the run with KR0203, and the session still works', async () => {
    expect(show((await run(7, 2)).q.data as BigInt64Array)).toEqual(['3']);
    const err = await run(7, 0).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(KestrelError);
    expect((err as KestrelError).code).toBe('KR0203');
    expect((err as KestrelError).message).toMatch(/divides by zero/);
    expect(show((await run(9, 3)).q.data as BigInt64Array)).toEqual(['3']);
  });
});

describe('integer overflow wraps; float -> integer Cast saturates (README.md, "Integer arithmetic")', () => {
  const BIN = [
    ['Add', 'add', (a: bigint, b: bigint) => a + b], ['Sub', 'sub', (a: bigint, b: bigint) => a - b],
    ['Mul', 'mul', (a: bigint, b: bigint) => a * b],
  ] as const;
  const UN = [['Neg', 'neg', (a: bigint) => -a], ['Abs', 'abs', (a: bigint) => (a < 0n ? -a : a)]] as const;
  const sessions = new Map<IntT, Session>();
  beforeAll(async () => {
    for (const d of Object.keys(INT) as IntT[]) {
      const T = INT[d].onnx;
      sessions.set(d, await buildModel(`wrap_${d}`, {
        nodes: [...BIN.map(([op, out]) => node(op, ['a', 'b'], [out])),
          ...UN.map(([op, out]) => node(op, ['a'], [out])),
          node('Cast', ['f'], ['cast'], [attrInt('to', T)])],
        inputs: [vi('a', T, ['n']), vi('b', T, ['n']), vi('f', FLOAT, ['n'])],
        outputs: [...[...BIN, ...UN].map(([, out]) => vi(out, T, ['n'])), vi('cast', T, ['n'])],
        opset: 13,
      }));
    }
  }, 300_000);
  afterAll(() => sessions.forEach((s) => s.dispose()));

  for (const d of Object.keys(INT) as IntT[]) {
    for (const n of [5, 16, 37]) {
      it(`${d}, length ${n}: Add, Sub, Mul, Neg, Abs wrap; Cast truncates, saturates, NaN -> 0`, async () => {
        const bits = INT[d].bits, min = -(1n << BigInt(bits - 1)), max = -min - 1n;
        const A = [max, min, min, max, 3n, -5n, min + 1n, 0n], B = [1n, -1n, min, max, max, min, -2n, min];
        const F = [NaN, 1e20, -1e20, 2.7, -2.7, Infinity, -Infinity, -0.5];
        const FW = [0n, max, min, 2n, -2n, max, min, 0n];
        const at = <T>(xs: readonly T[], i: number, s: number) => xs[(i * s) % xs.length];
        const a = Array.from({ length: n }, (_, i) => at(A, i, 1));
        const b = Array.from({ length: n }, (_, i) => at(B, i, 3));
        const f = Float32Array.from({ length: n }, (_, i) => at(F, i, 1));
        const feeds = { a: intTensor(d, a), b: intTensor(d, b), f: new Tensor('float32', f, [n]) };
        const out = await sessions.get(d)!.run(feeds);
        const wrap = (v: bigint) => String(BigInt.asIntN(bits, v));
        const got = (name: string) => show(out[name].data as Int32Array);
        for (const [, name, fn] of BIN) expect(got(name), name).toEqual(a.map((x, i) => wrap(fn(x, b[i]))));
        for (const [, name, fn] of UN) expect(got(name), name).toEqual(a.map((x) => wrap(fn(x))));
        expect(got('cast'), 'cast').toEqual(Array.from({ length: n }, (_, i) => String(at(FW, i, 1))));
      });
    }
  }
});
