// Attribute schemas (ir/ops/attr-schema.ts, ir/ops/declare.ts): defaults declared once, axes
// normalised one way, undeclared (misspelled) and invalid attributes rejected with KC0401, and the
// canonical record a node stores (every attribute, declaration order).

import { describe, expect, it } from 'vitest';
import { attr, canonicalAttrs, readAttrs, type AttrFail } from '../../ir/ops/attr-schema.js';
import { getOp } from '../../ir/ops/index.js';
import { inferOp } from '../ops/harness.js';

const fail: AttrFail = (name, m) => { throw new Error(`KC0401 ${name} ${m}`); };
const rank3 = (i: number) => (i === 0 ? 3 : undefined);
const SCHEMA = { axis: attr.axis(-1), eps: attr.float(1e-5), mode: attr.oneOf(['a', 'b']),
  k: attr.ints((r) => new Array<number>(r(0)! - 2).fill(1), { min: 1 }) };

describe('readAttrs', () => {
  it('applies declared defaults, rank-dependent ones included', () => {
    expect(readAttrs(SCHEMA, {}, rank3, fail)).toEqual({ axis: 2, eps: 1e-5, mode: 'a', k: [1] });
  });
  it('normalises a negative axis and rejects one out of range', () => {
    expect(readAttrs(SCHEMA, { axis: -3 }, rank3, fail).axis).toBe(0);
    expect(() => readAttrs(SCHEMA, { axis: 3 }, rank3, fail)).toThrow(/KC0401 axis value 3 is out of range/);
  });
  it('rejects a misspelled attribute, an unknown string and an entry below its minimum', () => {
    expect(() => readAttrs(SCHEMA, { epsilon: 1 }, rank3, fail))
      .toThrow(/KC0401 epsilon is not an attribute/);
    expect(() => readAttrs(SCHEMA, { mode: 'c' }, rank3, fail)).toThrow(/KC0401 mode has unknown value 'c'/);
    expect(() => readAttrs(SCHEMA, { k: [0] }, rank3, fail)).toThrow(/KC0401 k entries must be >= 1/);
  });
  it('normalises and sorts reduction axes, and rejects a repeated one', () => {
    const axes = { axes: attr.axes() };
    expect(readAttrs(axes, { axes: [-1, 0] }, rank3, fail).axes).toEqual([0, 2]);
    expect(readAttrs(axes, {}, rank3, fail).axes).toEqual([]);
    expect(() => readAttrs(axes, { axes: [1, -2] }, rank3, fail)).toThrow(/KC0401 axes repeats an axis/);
  });
  it('fails for a required attribute that is absent', () => {
    expect(() => readAttrs({ size: attr.int() }, {}, rank3, fail)).toThrow(/KC0401 size is required/);
  });
  it('stores every attribute in declaration order, and is idempotent', () => {
    const c = canonicalAttrs(SCHEMA, { mode: 'b', axis: -1 }, rank3, fail);
    expect(Object.keys(c)).toEqual(['axis', 'eps', 'mode', 'k']);
    expect(canonicalAttrs(SCHEMA, c, rank3, fail)).toEqual(c);
  });
});

describe('declared ops', () => {
  it('layer_norm reads its epsilon and axis defaults from the declaration', () => {
    const def = getOp('layer_norm')!;
    expect(def.attrSchema).toBeDefined();
    const c = def.canonicalAttrs!({}, () => 2, fail);
    expect(c).toEqual({ axis: 1, epsilon: 1e-5, stats: 0 });
  });
  it('infer rejects an undeclared attribute with KC0401', () => {
    expect(() => inferOp('softmax', [{ dtype: 'float32', shape: [2, 3] }], { axes: 1 })).toThrow(/KC0401/);
  });
});
