// integer-max-pool in the IR text: quantize(max_pool(dequantize(xq, s, z)), s, z) becomes a max
// pool of xq; with a different requantisation scale the float form stays.
import { describe, it } from 'vitest';
import { integerMaxPool } from '../../compiler/passes/integer-max-pool.js';
import { passCase, unchangedCase } from './ir-case.js';

const qdqPool = (sy: string) => `
      func @g(%xq: uint8[1, 2, 4, 4]) {
        $s: float32[] = const [0.5]
        $sy: float32[] = const [${sy}]
        $z: uint8[] = const [3]
        %x: float32[1, 2, 4, 4] = dequantize_linear(%xq, $s, $z) {axis=1, block=0}
        %p: float32[1, 2, 2, 2] = max_pool(%x) {kernel=[2, 2], strides=[2, 2]}  // MaxPool 'pool'
        %q: uint8[1, 2, 2, 2] = quantize_linear(%p, $sy, $z) {axis=1, block=0}  // QuantizeLinear 'q'
        return %q
      }`;

describe('integer-max-pool (IR text)', () => {
  it('pools the 8-bit integers directly', () => {
    passCase(integerMaxPool, qdqPool('0.5'), `
      func @g(%xq: uint8[1, 2, 4, 4]) {
        %q: uint8[1, 2, 2, 2] = max_pool(%xq) {kernel=[2, 2], strides=[2, 2]}  // MaxPool 'pool'
        return %q
      }`);
  });
  it('leaves a pool requantised with another scale', () => {
    unchangedCase(integerMaxPool, qdqPool('0.25'));
  });
});
