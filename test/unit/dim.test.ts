import { describe, expect, it } from 'vitest';
import {
  dimAdd, dimCeilDiv, dimEq, dimFloorDiv, dimKey, dimMod, dimMul, dimProduct, dimSub, dimVars, evalDim,
  substDim, sym,
} from '../../ir/dim.js';

const batch = sym('batch');
const seq = sym('seq');

describe('symbolic dims', () => {
  it('folds constants to plain numbers', () => {
    expect(dimAdd(2, 3)).toBe(5);
    expect(dimMul(dimAdd(batch, 1), 0)).toBe(0);
    expect(dimSub(batch, batch)).toBe(0);
  });

  it('normalises commutative and distributive forms', () => {
    expect(dimEq(dimMul(batch, 4), dimMul(4, batch))).toBe(true);
    expect(dimEq(dimMul(dimAdd(batch, seq), 2), dimAdd(dimMul(seq, 2), dimMul(batch, 2)))).toBe(true);
    expect(dimEq(dimMul(batch, seq), dimMul(seq, batch))).toBe(true);
    expect(dimEq(batch, seq)).toBe(false);
  });

  it('divides exactly when every coefficient divides', () => {
    expect(dimKey(dimFloorDiv(dimMul(batch, 6), 3))).toBe(dimKey(dimMul(batch, 2)));
    expect(dimFloorDiv(batch, batch)).toBe(1);
    expect(dimMod(dimMul(batch, 4), 2)).toBe(0);
  });

  it('divides by a monomial that divides every term', () => {
    expect(dimFloorDiv(dimMul(dimMul(batch, seq), 256), dimMul(dimMul(batch, seq), 64))).toBe(4);
    expect(dimKey(dimFloorDiv(dimAdd(dimMul(batch, 6), dimMul(dimMul(batch, seq), 3)), dimMul(batch, 3))))
      .toBe(dimKey(dimAdd(2, seq)));
    expect(typeof dimFloorDiv(dimAdd(dimMul(batch, 6), 1), batch)).toBe('object');
  });

  it('keeps inexact division symbolic and evaluates it with floor semantics', () => {
    const out = dimAdd(dimFloorDiv(dimSub(seq, 3), 2), 1); // conv output length, k=3 s=2
    expect(typeof out).toBe('object');
    expect(evalDim(out, new Map([['seq', 10]]))).toBe(4);
    expect(evalDim(dimCeilDiv(seq, 4), new Map([['seq', 9]]))).toBe(3);
    expect(evalDim(dimFloorDiv(dimNegTest(), 4), new Map([['seq', 5]]))).toBe(-2);
  });

  it('lists variables and substitutes them', () => {
    const d = dimProduct([batch, seq, 64]);
    expect(dimVars(d)).toEqual(['batch', 'seq']);
    expect(substDim(d, new Map([['batch', 2]]))).toEqual(dimMul(seq, 128));
    expect(substDim(d, new Map([['batch', 2], ['seq', 3]]))).toBe(384);
  });

  it('throws on an unbound variable', () => {
    expect(() => evalDim(batch, new Map())).toThrow(/batch/);
  });
});

function dimNegTest() {
  return dimSub(0, seq);
}
