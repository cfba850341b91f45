// fold-batchnorm in the IR text: batch_norm(conv(x, w, b)) becomes conv(x, w * s, (b - mean) * s +
// beta), s = gamma / sqrt(var + eps), with the numbers worked out below; a conv whose result is
// also read elsewhere keeps its batch_norm.
import { describe, it } from 'vitest';
import { foldBatchNorm } from '../../compiler/passes/fold-batchnorm.js';
import { passCase, unchangedCase } from './ir-case.js';

const BN = `
        $gamma: float32[2] = const [1, 1]
        $beta: float32[2] = const [0, 1]
        $mean: float32[2] = const [1, 2]
        $var: float32[2] = const [1, 4]`;

/** The per-channel folding, written out: s = gamma / sqrt(var + 0). */
function folded(w: number[], b: number[]) {
  const [gamma, beta, mean, variance] = [[1, 1], [0, 1], [1, 2], [1, 4]];
  const s = gamma.map((g, o) => g / Math.sqrt(variance[o]));
  return { w: w.map((v, i) => v * s[Math.floor(i / 2)]), b: b.map((v, o) => (v - mean[o]) * s[o] + beta[o]) };
}

describe('fold-batchnorm (IR text)', () => {
  it('folds the batch norm into the conv weights and bias', () => {
    const f = folded([0, 1, 2, 3], [1, -1]);
    passCase(foldBatchNorm, `
      func @g(%x: float32[1, 2, 4, 4]) {
        $w: float32[2, 2, 1, 1] = const iota 0 1
        $b: float32[2] = const [1, -1]${BN}
        %c: float32[1, 2, 4, 4] = conv(%x, $w, $b) {kernel=[1, 1]}  // Conv 'conv'
        %z: float32[1, 2, 4, 4] = batch_norm(%c, $gamma, $beta, $mean, $var) {epsilon=0}  // BN 'bn'
        return %z
      }`, `
      func @g(%x: float32[1, 2, 4, 4]) {
        $w_bnfold: float32[2, 2, 1, 1] = const [${f.w.join(', ')}]
        $bn_bias: float32[2] = const [${f.b.join(', ')}]
        %c: float32[1, 2, 4, 4] = conv(%x, $w_bnfold, $bn_bias) {kernel=[1, 1]}  // Conv 'conv'
        return %c
      }`);
  });
  it('leaves a batch norm whose conv result has a second reader', () => {
    unchangedCase(foldBatchNorm, `
      func @g(%x: float32[1, 2, 4, 4]) {
        $w: float32[2, 2, 1, 1] = const iota 0 1${BN}
        %c: float32[1, 2, 4, 4] = conv(%x, $w, _) {kernel=[1, 1]}
        %z: float32[1, 2, 4, 4] = batch_norm(%c, $gamma, $beta, $mean, $var) {epsilon=0}
        %r: float32[1, 2, 4, 4] = relu(%c)
        return %z, %r
      }`);
  });
});
