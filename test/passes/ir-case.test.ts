// The Before/Expected helper itself (test/passes/ir-case.ts) must be able to fail: a result that
// differs from Expected, a pass result that does not type-check through the op registry, and an
// origin that differs when Expected states origins all fail; whitespace, declared defaults and
// left-out origins do not matter.
import { describe, expect, it } from 'vitest';
import { type Func, type IdGen, makeValue } from '../../ir/graph.js';
import { passCase, unchangedCase } from './ir-case.js';

const BEFORE = `
  func @g(%x: float32[n, 4]) {
    %y: float32[n, 4] = relu(%x)  // Relu 'r'
    return %y
  }`;

const same = (f: Func): Func => f;

describe('passCase', () => {
  it('accepts the same graph written with other whitespace and without origins', () => {
    passCase(same, BEFORE, 'func @g(%x: float32[n, 4]) { %y: float32[n, 4] = relu(%x) return %y }');
    unchangedCase(same, BEFORE);
  });
  it('fails when the result differs from Expected', () => {
    expect(() => passCase(same, BEFORE, BEFORE.replace('relu', 'sigmoid'))).toThrow(/expected/);
  });
  it('fails when Expected states another origin', () => {
    expect(() => passCase(same, BEFORE, BEFORE.replace("'r'", "'q'"))).toThrow(/expected/);
  });
  it('fails when the pass makes a node whose type the op does not infer', () => {
    const wrong = (f: Func, ids: IdGen): Func => {
      const n = f.nodes[0], y = makeValue(ids, 'y', { dtype: 'float32', shape: [4, 4] });
      return Object.freeze({ ...f, nodes: [Object.freeze({ ...n, outputs: [y] })], outputs: [y] });
    };
    expect(() => passCase(wrong, BEFORE, BEFORE)).toThrow(/%y is written float32\[4, 4\] but relu infers/);
  });
});
