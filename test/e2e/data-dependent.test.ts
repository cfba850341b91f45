// Ops whose output shapes depend on data (NonZero, Compress, TopK with a run-time k, Unique),
// end to end: small ONNX models built here, compiled once each, and run from that one artifact
// on inputs whose data give different output sizes (count kernel -> load_int -> exact
// allocation -> fill kernel; see ir/ops/select.ts). A k outside [0, extent] fails the run cleanly.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { KestrelError } from '../../runtime-vm/errors.js';
import { attrInt, BOOL, FLOAT, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats, i64, ints } from '../helpers/models.js';

const build = buildModel;

function nonzeroRef(x: number[], dims: number[]): number[][] {
  const rows: number[][] = dims.map(() => []);
  x.forEach((v, i) => {
    if (v === 0) return;
    let rest = i;
    for (let d = dims.length - 1; d >= 0; d--) {
      rows[d].push(rest % dims[d]); rest = Math.floor(rest / dims[d]);
    }
  });
  return rows;
}

describe('e2e: data-dependent output shapes', () => {
  describe('NonZero (then Transpose, whose kernel extent is the count)', () => {
    let s: Session;
    beforeAll(async () => {
      s = await build('nonzero', {
        nodes: [node('NonZero', ['x'], ['y']),
          node('Transpose', ['y'], ['t'], [{ name: 'perm', type: 7, ints: [1, 0] }])],
        inputs: [vi('x', FLOAT, ['a', 'b'])],
        outputs: [vi('y', INT64, [2, null]), vi('t', INT64, [null, 2])],
      });
    }, 120_000);
    afterAll(() => s?.dispose());

    const cases: [number[], number[]][] = [
      [[2, 3], [0, 1, 0, 2, 0, 3]],
      [[2, 3], [1, 1, 1, 1, 1, 1]],
      [[2, 3], [0, 0, 0, 0, 0, 0]],
      [[3, 5], [0, 0, 4, 0, 0, 0, 7, 0, 0, 0, 0, 0, 0, 0, -1]],
    ];
    for (const [dims, x] of cases) {
      it(`${JSON.stringify(dims)} with ${x.filter((v) => v !== 0).length} non-zeros`, async () => {
        const out = await s.run({ x: f32(dims, x) });
        const ref = nonzeroRef(x, dims), n = ref[0].length;
        expect(out.y.dims).toEqual([2, n]);
        expect(ints(out.y)).toEqual(ref.flat());
        expect(out.t.dims).toEqual([n, 2]);
        expect(ints(out.t)).toEqual(Array.from({ length: n }, (_, i) => [ref[0][i], ref[1][i]]).flat());
      });
    }
  });

  describe('TopK with k as a run-time input', () => {
    let s: Session;
    beforeAll(async () => {
      s = await build('topk', {
        nodes: [node('TopK', ['x', 'k'], ['v', 'i'], [attrInt('axis', 1), attrInt('largest', 1)])],
        inputs: [vi('x', FLOAT, [2, 'n']), vi('k', INT64, [1])],
        outputs: [vi('v', FLOAT, [2, null]), vi('i', INT64, [2, null])],
        opset: 11,
      });
    }, 120_000);
    afterAll(() => s?.dispose());

    const x = [3, 1, 4, 1, 5, 9, 2, 6, 5, 3, 5, 8];
    function ref(k: number, n: number): { v: number[]; i: number[] } {
      const v: number[] = [], i: number[] = [];
      for (let r = 0; r < 2; r++) {
        const row = x.slice(r * n, r * n + n).map((val, j) => ({ val, j }));
        row.sort((a, b) => b.val - a.val || a.j - b.j);
        row.slice(0, k).forEach((e) => { v.push(e.val); i.push(e.j); });
      }
      return { v, i };
    }
    for (const [k, n] of [[1, 6], [3, 6], [6, 6], [0, 6], [2, 4], [4, 4]]) {
      it(`k=${k}, n=${n}`, async () => {
        const out = await s.run({ x: f32([2, n], x.slice(0, 2 * n)), k: i64([1], [k]) });
        const r = ref(k, n);
        expect(out.v.dims).toEqual([2, k]);
        expect(floats(out.v)).toEqual(r.v);
        expect(ints(out.i)).toEqual(r.i);
      });
    }
    it('k > extent fails the run with a KestrelError, and the session still works', async () => {
      const err = await s.run({ x: f32([2, 6], x), k: i64([1], [7]) }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(KestrelError);
      expect((err as KestrelError).code).toBe('KR0202');
      const err2 = await s.run({ x: f32([2, 6], x), k: i64([1], [-1]) }).catch((e: unknown) => e);
      expect(err2).toBeInstanceOf(KestrelError);
      const out = await s.run({ x: f32([2, 6], x), k: i64([1], [2]) });
      expect(floats(out.v)).toEqual(ref(2, 6).v);
    });
  });

  describe('Unique (sorted=0, all four outputs) and Compress (axis 1)', () => {
    let s: Session;
    beforeAll(async () => {
      s = await build('unique_compress', {
        nodes: [
          node('Unique', ['x'], ['y', 'idx', 'inv', 'cnt'], [attrInt('sorted', 0)]),
          node('Compress', ['m', 'c'], ['z'], [attrInt('axis', 1)]),
        ],
        inputs: [vi('x', FLOAT, ['n']), vi('m', FLOAT, [2, 'w']), vi('c', BOOL, ['cw'])],
        outputs: [vi('y', FLOAT, [null]), vi('idx', INT64, [null]), vi('inv', INT64, ['n']),
          vi('cnt', INT64, [null]),
          vi('z', FLOAT, [2, null])],
      });
    }, 120_000);
    afterAll(() => s?.dispose());

    function uniqueRef(x: number[]) {
      const y: number[] = [], idx: number[] = [], cnt: number[] = [];
      const inv = x.map((v, i) => {
        let u = y.indexOf(v);
        if (u < 0) { u = y.length; y.push(v); idx.push(i); cnt.push(0); }
        cnt[u]++;
        return u;
      });
      return { y, idx, inv, cnt };
    }
    const inputs: [number[], number[], boolean[]][] = [
      [[2, 1, 1, 3, 4, 3], [1, 2, 3, 4, 5, 6], [true, false, true]],
      [[5, 5, 5], [1, 2, 3, 4], [false, false]],
      [[7, -1, 0, 2, -1, 7, 0, 9, 9, 1], [1, 2, 3, 4, 5, 6, 7, 8, 9, 10], [true, true, false, true, true]],
    ];
    for (const [x, m, c] of inputs) {
      it(`unique of ${x.length} values, compress keeping ${c.filter(Boolean).length}`, async () => {
        const w = m.length / 2;
        const out = await s.run({ x: f32([x.length], x), m: f32([2, w], m),
          c: new Tensor('bool', Uint8Array.from(c.map(Number)), [c.length]) });
        const r = uniqueRef(x);
        expect(floats(out.y)).toEqual(r.y);
        expect(ints(out.idx)).toEqual(r.idx);
        expect(ints(out.inv)).toEqual(r.inv);
        expect(ints(out.cnt)).toEqual(r.cnt);
        const keep = c.map((b, j) => (b && j < w ? j : -1)).filter((j) => j >= 0);
        expect(out.z.dims).toEqual([2, keep.length]);
        expect(floats(out.z)).toEqual([0, 1].flatMap((rw) => keep.map((j) => m[rw * w + j])));
      });
    }
  });
});
