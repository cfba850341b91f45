// Fuzzes run-time inputs of compiled models: feeds of random dtypes and shapes (ranks 0-3, dims
// 0-5, some inconsistent between inputs), float data full of NaN, +-Inf, -0 and denormals, and
// index data anywhere in int64. The property, per run: the result equals a reference computed here
// (Gather: rows picked with negative indices wrapped; Add+Relu: IEEE float32; integer Div: the
// documented values for zero divisors and INT_MIN / -1), or the run fails with the KR code the
// reference expects (an index out of range: KR0202; bad feeds: KR01xx) — and the session keeps
// working. The corpus holds JSON feeds replayed first.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { load, type Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import type { TensorType as DType } from '../../runtime-vm/dtypes.js';
import { attrInt, FLOAT, floatTensor, INT32, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { compileSpec } from '../reliability/helpers.js';
import { corpus, fuzz, saveCrash } from './harness.js';

let gather: Session, addRelu: Session, div: Session;
beforeAll(async () => {
  gather = await load(await compileSpec('fz_gather', {
    nodes: [node('Gather', ['x', 'idx'], ['y'], [attrInt('axis', 0)], 'gather_1')],
    inputs: [vi('x', FLOAT, ['n', 3]), vi('idx', INT64, ['m'])], outputs: [vi('y', FLOAT, ['m', 3])],
  }));
  addRelu = await load(await compileSpec('fz_add_relu', {
    nodes: [node('Add', ['x', 'w'], ['s']), node('Relu', ['s'], ['y'])],
    inputs: [vi('x', FLOAT, ['batch', 4])], outputs: [vi('y', FLOAT, ['batch', 4])],
    initializers: [floatTensor('w', [4], [1, -2, 1e-40, 3e38])],
  }));
  div = await load(await compileSpec('fz_div', {
    nodes: [node('Div', ['a', 'b'], ['y'], [], 'div_1')],
    inputs: [vi('a', INT32, ['n']), vi('b', INT32, ['n'])], outputs: [vi('y', INT32, ['n'])],
  }));
}, 300_000);
afterAll(() => { gather?.dispose(); addRelu?.dispose(); div?.dispose(); });

const SPECIAL = [Number.NaN, Infinity, -Infinity, -0, 0, 1e-40, -1e-45, 3.4e38, -3.4e38, 1, -1];
const floatArb = fc.oneof(fc.constantFrom(...SPECIAL), fc.float({ noDefaultInfinity: false }));
const floatsArb = (n: number) => fc.array(floatArb, { minLength: n, maxLength: n });
const I32 = [0, 1, -1, 2, -2, 7, -(2 ** 31), 2 ** 31 - 1];
const i32Arb = fc.oneof(fc.constantFrom(...I32), fc.integer({ min: -(2 ** 31), max: 2 ** 31 - 1 }));

/** One fuzz case: which model, its feeds as plain JSON (so it can join the corpus). */
type Case =
  | { model: 'gather'; n: number; x: number[]; idx: string[] }
  | { model: 'addRelu'; batch: number; x: number[] }
  | { model: 'div'; a: number[]; b: number[] }
  | { model: 'anyFeed'; dtype: DType; dims: number[]; name: string };

const caseArb: fc.Arbitrary<Case> = fc.oneof(
  fc.nat(5).chain((n) => fc.record({
    model: fc.constant('gather' as const), n: fc.constant(n), x: floatsArb(n * 3),
    idx: fc.array(fc.oneof(fc.integer({ min: -n - 2, max: n + 2 }).map(BigInt),
      fc.bigInt({ min: -(2n ** 63n), max: 2n ** 63n - 1n })).map(String), { maxLength: 6 }),
  })),
  fc.nat(5).chain((batch) => fc.record({
    model: fc.constant('addRelu' as const), batch: fc.constant(batch), x: floatsArb(batch * 4) })),
  fc.nat(8).chain((n) => fc.record({ model: fc.constant('div' as const),
    a: fc.array(i32Arb, { minLength: n, maxLength: n }),
    b: fc.array(i32Arb, { minLength: n, maxLength: n }) })),
  fc.record({ model: fc.constant('anyFeed' as const),
    dtype: fc.constantFrom<DType>('float32', 'int64', 'int32', 'uint8', 'bool', 'float64'),
    dims: fc.array(fc.nat(5), { maxLength: 3 }), name: fc.constantFrom('x', 'idx', 'w', '') }),
);

const dataOf = (dtype: DType, n: number): Tensor['data'] => {
  switch (dtype) {
    case 'int64': case 'uint64': return new BigInt64Array(n);
    case 'float64': return new Float64Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint8': case 'bool': return new Uint8Array(n);
    default: return new Float32Array(n);
  }
};

/** Runs the case; returns a description of any disagreement with the reference, or undefined. */
async function check(c: Case): Promise<string | undefined> {
  switch (c.model) {
    case 'gather': {
      const idx = c.idx.map(BigInt);
      const ok = idx.every((i) => i >= BigInt(-c.n) && i < BigInt(c.n));
      const run = gather.run({ x: new Tensor('float32', Float32Array.from(c.x), [c.n, 3]),
        idx: new Tensor('int64', BigInt64Array.from(idx), [idx.length]) });
      const ref = ok ? idx.flatMap((i) => { const r = Number(i < 0n ? i + BigInt(c.n) : i);
        return Array.from(Float32Array.from(c.x.slice(r * 3, r * 3 + 3))); }) : 'KR0202';
      return compare(run, ref);
    }
    case 'addRelu': {
      const w = Float32Array.from([1, -2, 1e-40, 3e38]);
      const x = Float32Array.from(c.x);
      const ref = Array.from(x, (v, i) => { const s = Math.fround(v + w[i % 4]!);
        return Number.isNaN(s) ? Number.NaN : Math.max(0, s); });
      return compare(addRelu.run({ x: new Tensor('float32', x, [c.batch, 4]) }), ref);
    }
    case 'div': {
      const ref = c.a.map((a, i) => { const b = c.b[i]!;
        return b === 0 ? 0 : a === -(2 ** 31) && b === -1 ? a : Math.trunc(a / b); });
      const n = c.a.length;
      return compare(div.run({ a: new Tensor('int32', Int32Array.from(c.a), [n]),
        b: new Tensor('int32', Int32Array.from(c.b), [n]) }), ref);
    }
    case 'anyFeed': {
      const n = c.dims.reduce((a, b) => a * b, 1);
      const t = new Tensor(c.dtype, dataOf(c.dtype, n), c.dims);
      const feeds = { x: new Tensor('float32', new Float32Array(6), [2, 3]), [c.name]: t };
      const r = await gather.run(feeds).then(() => 'ok', (e: { code?: string }) => e.code ?? String(e));
      return r === 'ok' || /^KR0[12]\d\d$/.test(r) ? undefined : `feed ${JSON.stringify(c)}: ${r}`;
    }
    default: { const never: never = c; return `unknown case ${JSON.stringify(never)}`; }
  }
}

async function compare(run: Promise<Record<string, Tensor>>,
  ref: number[] | string): Promise<string | undefined> {
  const got = await run.then((o) => Array.from(o['y']!.data as ArrayLike<number>, Number),
    (e: { code?: string; message?: string }) => e.code ?? `${e.message}`);
  const same = typeof ref === 'string' ? got === ref
    : Array.isArray(got) && got.length === ref.length && got.every((v, i) => Object.is(v, ref[i])
      || (v === 0 && ref[i] === 0));
  return same ? undefined : `expected ${JSON.stringify(ref)}, got ${JSON.stringify(got)}`;
}

describe('fuzz: run-time inputs', () => {
  it('every corpus entry matches its reference (the regression replay)', async () => {
    const entries = corpus('run-inputs').flatMap(([, b]) => JSON.parse(Buffer.from(b).toString()) as Case[]);
    expect(entries.length).toBeGreaterThan(0);
    for (const c of entries) expect(await check(c), JSON.stringify(c)).toBeUndefined();
  });

  it('matches the references or fails with the expected code for its time budget', async () => {
    const report = await fuzz('run-inputs', fc.asyncProperty(caseArb, async (c) => {
      const fault = await check(c);
      if (fault !== undefined) throw new Error(fault);
    }), (c) => { saveCrash('run-inputs', Buffer.from(JSON.stringify([c])), 'json'); });
    expect(report.executions).toBeGreaterThan(0);
  }, 600_000);
});
