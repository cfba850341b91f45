// fuse-swish in the IR text: x * sigmoid(x) becomes swish(x); a product with the sigmoid of another
// value, or a sigmoid read twice, stays.
import { describe, it } from 'vitest';
import { fuseSwish } from '../../compiler/passes/fuse-swish.js';
import { passCase, unchangedCase } from './ir-case.js';

describe('fuse-swish (IR text)', () => {
  it("rewrites sigmoid(x) * x into one swish node keeping the mul's output", () => {
    passCase(fuseSwish, `
      func @g(%x: float32[n, 8]) {
        %s: float32[n, 8] = sigmoid(%x)  // Sigmoid 'sig'
        %y: float32[n, 8] = mul(%s, %x)  // Mul 'silu'
        return %y
      }`, `
      func @g(%x: float32[n, 8]) {
        %y: float32[n, 8] = swish(%x) {alpha=1}  // Mul 'silu'
        return %y
      }`);
  });
  it('leaves r * sigmoid(x) and a sigmoid with a second reader alone', () => {
    unchangedCase(fuseSwish, `
      func @g(%x: float32[n, 8]) {
        %r: float32[n, 8] = relu(%x)
        %s: float32[n, 8] = sigmoid(%x)
        %y: float32[n, 8] = mul(%r, %s)
        return %y
      }`);
    unchangedCase(fuseSwish, `
      func @g(%x: float32[n, 8]) {
        %s: float32[n, 8] = sigmoid(%x)
        %y: float32[n, 8] = mul(%x, %s)
        %z: float32[n, 8] = add(%y, %s)
        return %z
      }`);
  });
});
