// einsum (ir/ops/einsum.ts) through the reference interpreter vs a JS einsum that enumerates
// every assignment of the letters (the ellipsis expanded into named letters first): matmul,
// broadcast batch dims, diagonals and traces, implicit outputs, three operands, reductions to a
// scalar; equation parsing and the failures.
import { describe, expect, it } from 'vitest';
import { dimKey, sym } from '../../ir/dim.js';
import { parseEquation } from '../../ir/ops/einsum.js';
import { forEachIndex, prod, strides } from './ref.js';
import { inferTyped, runTyped, tin } from './typed-run.js';

/** Reference einsum: the ellipsis becomes letters '0', '1', ... right-aligned. */
function einsumRef(equation: string, xs: number[][],
  shapes: number[][]): { shape: number[]; out: number[] } {
  const eqn = parseEquation(equation, (m) => { throw new Error(m); });
  const ell = Math.max(0,
    ...eqn.inputs.map((t, i) => (t.includes('.') ? shapes[i].length - t.length + 1 : 0)));
  const expand = (t: readonly string[], rank: number): string[] => t.flatMap((l) => (l !== '.' ? [l]
    : Array.from({ length: rank - t.length + 1 },
      (_, q) => String(ell - (rank - t.length + 1) + q))));
  const terms = eqn.inputs.map((t, i) => expand(t, shapes[i].length));
  const ellLetters = Array.from({ length: ell }, (_, q) => String(q));
  const outT = eqn.output.flatMap((l) => (l === '.' ? ellLetters : [l]));
  const size = new Map<string, number>();
  terms.forEach((t, i) => t.forEach((l, k) => size.set(l, Math.max(size.get(l) ?? 1, shapes[i][k]))));
  const all = [...size.keys()], shape = outT.map((l) => size.get(l)!);
  const out = new Array<number>(prod(shape)).fill(0), ost = strides(shape);
  forEachIndex(all.map((l) => size.get(l)!), (v) => {
    const at = new Map(all.map((l, q) => [l, v[q]]));
    let term = 1;
    terms.forEach((t, i) => {
      const st = strides(shapes[i]);
      term *= xs[i][t.reduce((a, l, k) => a + (shapes[i][k] === 1 ? 0 : at.get(l)!) * st[k], 0)];
    });
    out[outT.reduce((a, l, k) => a + at.get(l)! * ost[k], 0)] += term;
  });
  return { shape, out };
}

const data = (n: number, seed: number) => Array.from({ length: n }, (_, i) => ((i * 5 + seed) % 9) - 4 + 0.5);

function check(equation: string, shapes: number[][]): void {
  const xs = shapes.map((s, i) => data(prod(s), i + 1));
  const r = runTyped('einsum', shapes.map((s, i) => tin('float32', s, xs[i])), { equation });
  expect(r.status).toBe(0);
  const want = einsumRef(equation, xs, shapes);
  expect(r.types[0].shape).toEqual(want.shape);
  r.outputs[0].forEach((v, i) => expect(v).toBeCloseTo(want.out[i], 3));
}

describe('einsum', () => {
  const cases: [string, number[][]][] = [
    ['ij,jk->ik', [[3, 4], [4, 5]]],
    ['bij,bjk->bik', [[2, 3, 4], [2, 4, 2]]],
    ['...ij,...jk->...ik', [[2, 1, 3, 4], [3, 4, 2]]],
    ['...ii->...i', [[2, 3, 3]]],
    ['ii', [[4, 4]]],
    ['ij,jk', [[2, 3], [3, 2]]],
    ['i,j->ij', [[3], [4]]],
    ['ij,jk,kl->il', [[2, 3], [3, 2], [2, 4]]],
    ['ij->', [[3, 5]]],
    [',->', [[], []]],
    ['AbC->CAb', [[2, 3, 4]]],
    ['ba', [[3, 2]]],
  ];
  for (const [eqn, shapes] of cases) it(eqn, () => check(eqn, shapes));
  it('implicit output: ellipsis, then letters seen once, in code order', () => {
    expect(parseEquation('...ba,ac', () => { throw new Error(); }).output).toEqual(['.', 'b', 'c']);
    expect(parseEquation('bA', () => { throw new Error(); }).output).toEqual(['A', 'b']);
  });
  it('symbolic dims carry through', () => {
    const a = tin('float32', [2, 3], [], false, [sym('m'), sym('k')]);
    const b = tin('float32', [3, 4], [], false, [sym('k'), 4]);
    const [y] = inferTyped('einsum', [a, b], { equation: 'mk,kn->nm' });
    expect(y.shape.map(dimKey)).toEqual(['4', 'm']);
  });
  it('rejects bad equations and disagreeing dims', () => {
    const x = tin('float32', [2, 3], data(6, 1));
    expect(() => inferTyped('einsum', [x], { equation: 'ij->k' })).toThrow(/KC0401/);
    expect(() => inferTyped('einsum', [x], { equation: 'ij,jk->ik' })).toThrow(/KC0401/);
    expect(() => inferTyped('einsum', [x], { equation: 'i1->i' })).toThrow(/KC0401/);
    expect(() => inferTyped('einsum', [x], { equation: 'ijk->i' })).toThrow(/KC0402/);
    expect(() => inferTyped('einsum', [x, tin('float32', [4, 2], data(8, 2))], { equation: 'ij,jk->ik' }))
      .toThrow(/KC0402/);
  });
});
