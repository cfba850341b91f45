// fuse-attention in the IR text: matmul -> mul by a scalar -> softmax over the last axis -> matmul
// becomes one attention node that defines the second matmul's output; a softmax over another
// axis, or scores read twice, leave the chain alone.
import { describe, it } from 'vitest';
import { fuseAttention } from '../../compiler/passes/fuse-attention.js';
import { passCase, unchangedCase } from './ir-case.js';

const chain = (axis: number, extra = '', ret = '%o') => `
      func @g(%q: float32[b, 2, 4, 8], %kt: float32[b, 2, 8, 4], %v: float32[b, 2, 4, 8]) {
        $scale: float32[] = const [0.25]
        %s: float32[b, 2, 4, 4] = matmul(%q, %kt)  // MatMul 'qk'
        %t: float32[b, 2, 4, 4] = mul(%s, $scale)
        %p: float32[b, 2, 4, 4] = softmax(%t) {axis=${axis}}
        %o: float32[b, 2, 4, 8] = matmul(%p, %v)  // MatMul 'pv'${extra}
        return ${ret}
      }`;

describe('fuse-attention (IR text)', () => {
  it('fuses scaled dot-product attention into one node', () => {
    passCase(fuseAttention, chain(3), `
      func @g(%q: float32[b, 2, 4, 8], %kt: float32[b, 2, 8, 4], %v: float32[b, 2, 4, 8]) {
        $scale: float32[] = const [0.25]
        %o: float32[b, 2, 4, 8] = attention(%q, %kt, %v, $scale, _) {scaleOp="mul", mask="none", fill=0,
          fillIf=1}  // MatMul 'qk'
        return %o
      }`);
  });
  it('fuses the gpt2 form: division by a scale and a causal where mask', () => {
    const masked = (pv: string) => `
      func @g(%q: float32[1, 2, 4, 8], %kt: float32[1, 2, 8, 4], %v: float32[1, 2, 4, 8],
          %m: bool[1, 1, 4, 4]) {
        $d: float32[] = const [2.828427]
        $fill: float32[] = const [-inf]
        ${pv}
        return %o
      }`;
    passCase(fuseAttention, masked(`%s: float32[1, 2, 4, 4] = matmul(%q, %kt)  // MatMul 'qk'
        %t: float32[1, 2, 4, 4] = div(%s, $d)
        %w: float32[1, 2, 4, 4] = where(%m, %t, $fill)
        %p: float32[1, 2, 4, 4] = softmax(%w) {axis=-1}
        %o: float32[1, 2, 4, 8] = matmul(%p, %v)`),
    masked(`%o: float32[1, 2, 4, 8] = attention(%q, %kt, %v, $d, %m)
          {scaleOp="div", mask="where", fill=-inf, fillIf=0}  // MatMul 'qk'`));
  });
  it('leaves a softmax over another axis and scores with a second reader', () => {
    unchangedCase(fuseAttention, chain(2));
    unchangedCase(fuseAttention, chain(3, `
        %r: float32[b, 2, 4, 4] = relu(%t)`, '%o, %r'));
  });
});
