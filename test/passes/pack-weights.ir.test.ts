// pack-conv-weights and pack-matmul-weights in the IR text, at 4 lanes: a strided 1x1 conv's
// weights become [ceil(M/4)][C][1][1][4] output-channel blocks and a matmul's constant B becomes
// [ceil(N/4)][K][4] column panels, zero-filled, with the expected data built here from the
// layouts the passes document; a 1x1 stride-1 conv on a plane of at most 64 pixels is packed too,
// and on a larger plane (run as a GEMM) it is left alone, as are a grouped conv and a matmul whose
// B is not a constant.
import { describe, it } from 'vitest';
import { packConvWeights } from '../../compiler/passes/pack-conv-weights.js';
import { packMatmulWeights } from '../../compiler/passes/pack-matmul-weights.js';
import { type PassFn, passCase, unchangedCase } from './ir-case.js';

const L = 4;
const convPass: PassFn = (f, ids) => packConvWeights(f, ids, L);
const matmulPass: PassFn = (f, ids) => packMatmulWeights(f, ids, L);

/** Element [blk][k][l] of a block layout: source(blk * L + l, k), or 0 past `count`. */
function blocks(count: number, k: number, source: (col: number, k: number) => number): number[] {
  const out: number[] = [];
  for (let b = 0; b < Math.ceil(count / L); b++) {
    for (let i = 0; i < k; i++) {
      for (let l = 0; l < L; l++) out.push(b * L + l < count ? source(b * L + l, i) : 0);
    }
  }
  return out;
}

/** A 1x1 conv of C*group input channels, M outputs on an hw x hw image; C = 8 is the shortest
 *  reduction packed. */
const conv = (strides: number, group = 1, m = 3, hw = 6) => `
      func @g(%x: float32[1, ${8 * group}, ${hw}, ${hw}]) {
        $w: float32[${m}, 8, 1, 1] = const iota 0 1
        %y: float32[1, ${m}, ${hw / strides}, ${hw / strides}] = conv(%x, $w, _) {kernel=[1, 1],
          strides=[${strides}, ${strides}], group=${group}}
        return %y
      }`;

describe('pack-conv-weights (IR text)', () => {
  it('packs a strided 1x1 conv\'s weights in blocks of 4 output channels', () => {
    const packed = blocks(3, 8, (o, k) => o * 8 + k); // w[o][k] = 8o + k (iota)
    passCase(convPass, conv(2), `
      func @g(%x: float32[1, 8, 6, 6]) {
        $w_packed: float32[1, 8, 1, 1, 4] = const [${packed.join(', ')}]
        %y: float32[1, 3, 3, 3] = conv(%x, $w_packed, _) {kernel=[1, 1], strides=[2, 2], packedOc=4,
          outChannels=3}
        return %y
      }`);
  });
  it('packs a 1x1 stride-1 conv on a plane of at most 64 pixels (6x6)', () => {
    const packed = blocks(3, 8, (o, k) => o * 8 + k);
    passCase(convPass, conv(1), `
      func @g(%x: float32[1, 8, 6, 6]) {
        $w_packed: float32[1, 8, 1, 1, 4] = const [${packed.join(', ')}]
        %y: float32[1, 3, 6, 6] = conv(%x, $w_packed, _) {kernel=[1, 1], strides=[1, 1], packedOc=4,
          outChannels=3}
        return %y
      }`);
  });
  it('leaves a 1x1 stride-1 conv on a 12x12 plane (a GEMM) and a grouped conv alone', () => {
    unchangedCase(convPass, conv(1, 1, 3, 12));
    unchangedCase(convPass, conv(2, 2, 4));
  });
});

describe('pack-matmul-weights (IR text)', () => {
  it('packs a constant B into column panels of 4', () => {
    const panels = blocks(5, 3, (n, k) => k * 5 + n); // b[k][n] = 5k + n (iota)
    passCase(matmulPass, `
      func @g(%x: float32[m, 3]) {
        $b: float32[3, 5] = const iota 0 1
        %y: float32[m, 5] = matmul(%x, $b)
        return %y
      }`, `
      func @g(%x: float32[m, 3]) {
        $b_panels: float32[2, 3, 4] = const [${panels.join(', ')}]
        %y: float32[m, 5] = matmul(%x, $b_panels) {packedLanes=4, packedN=5}
        return %y
      }`);
  });
  it('leaves a matmul whose B is computed', () => {
    unchangedCase(matmulPass, `
      func @g(%x: float32[m, 3], %b: float32[3, 5]) {
        %y: float32[m, 5] = matmul(%x, %b)
        return %y
      }`);
  });
});
