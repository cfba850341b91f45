// eliminate-identity in the IR text: an identity between two nodes disappears (its reader reads the
// input); one that produces a graph output stays.
import { describe, it } from 'vitest';
import { eliminateIdentity } from '../../compiler/passes/eliminate-identity.js';
import { passCase, unchangedCase } from './ir-case.js';

describe('eliminate-identity (IR text)', () => {
  it('makes the reader of an identity read its input', () => {
    passCase(eliminateIdentity, `
      func @g(%x: float32[n, 4]) {
        %a: float32[n, 4] = relu(%x)
        %b: float32[n, 4] = identity(%a)
        %c: float32[n, 4] = sigmoid(%b)
        return %c
      }`, `
      func @g(%x: float32[n, 4]) {
        %a: float32[n, 4] = relu(%x)
        %c: float32[n, 4] = sigmoid(%a)
        return %c
      }`);
  });
  it('keeps an identity that produces a graph output', () => {
    unchangedCase(eliminateIdentity, `
      func @g(%x: float32[n, 4]) {
        %a: float32[n, 4] = relu(%x)
        %b: float32[n, 4] = identity(%a)
        return %a, %b
      }`);
  });
});
