// The integer passes in the IR text, each on the form the one before it leaves:
//   fuse-qdq: quantize(matmul(dequantize(xq), dequantize(wq))) -> matmul over the centred integers
//     and one requantisation by sx * sw / sy (0.5 * 0.25 / 0.125 = 1 here);
//   integer-conv: quantize{mul}(conv(dequantize(xq, 1, zx), w - zw, bias)) -> qconv_pack + qconv,
//     with the weight words, compensated bias and multipliers built here from their documented
//     layouts;
//   integer-nhwc: a qconv read only by the next qconv's pack gets a channels-last output.
// Each has a near miss that must stay as it is.
import { describe, it } from 'vitest';
import { fuseQdq } from '../../compiler/passes/fuse-qdq.js';
import { integerConv } from '../../compiler/passes/integer-conv.js';
import { integerNhwc } from '../../compiler/passes/integer-nhwc.js';
import { type PassFn, passCase, unchangedCase } from './ir-case.js';

const QDQ_CONSTS = `
        $sx: float32[] = const [0.5]
        $zx: uint8[] = const [10]
        $wq: int8[3, 2] = const [1, -2, 3, -4, 5, -6]
        $sw: float32[] = const [0.25]
        $zw: int8[] = const [1]
        $sy: float32[] = const [0.125]
        $zy: uint8[] = const [7]`;

const qdqMatmul = (ret: string) => `
      func @g(%xq: uint8[2, 3]) {${QDQ_CONSTS}
        %x: float32[2, 3] = dequantize_linear(%xq, $sx, $zx) {axis=1, block=0}
        %w: float32[3, 2] = dequantize_linear($wq, $sw, $zw) {axis=1, block=0}
        %y: float32[2, 2] = matmul(%x, %w)  // MatMul 'mm'
        %q: uint8[2, 2] = quantize_linear(%y, $sy, $zy) {axis=1, block=0}  // QuantizeLinear 'q'
        return ${ret}
      }`;

describe('fuse-qdq (IR text)', () => {
  it('runs a QDQ matmul on the centred integers with one requantisation', () => {
    const centred = [1, -2, 3, -4, 5, -6].map((w) => w - 1);
    passCase(fuseQdq, qdqMatmul('%q'), `
      func @g(%xq: uint8[2, 3]) {
        $xq_one: float32[] = const [1]
        $zx: uint8[] = const [10]
        $wq_centred: float32[3, 2] = const [${centred.join(', ')}]
        $y_multiplier: float32[] = const [1]
        $zy: uint8[] = const [7]
        %xq_centred: float32[2, 3] = dequantize_linear(%xq, $xq_one, $zx) {axis=0, block=0}  // MatMul 'mm'
        %y_acc: float32[2, 2] = matmul(%xq_centred, $wq_centred)  // MatMul 'mm'
        %q: uint8[2, 2] = quantize_linear(%y_acc, $y_multiplier, $zy) {axis=1, block=0,
          mul=1}  // QuantizeLinear 'q'
        return %q
      }`);
  });
  it('leaves a QDQ matmul whose float result is also a graph output', () => {
    unchangedCase(fuseQdq, qdqMatmul('%q, %y'));
  });
});

const W = [1, -2, 3, -4]; // [2][2][1][1]
const centredConv = (w: number[]) => `
      func @g(%xq: uint8[1, 2, 3, 3]) {
        $one: float32[] = const [1]
        $zx: uint8[] = const [10]
        $w: float32[2, 2, 1, 1] = const [${w.join(', ')}]
        $bias: float32[2] = const [5, -6]
        $m: float32[] = const [0.5]
        $zy: uint8[] = const [7]
        %xc: float32[1, 2, 3, 3] = dequantize_linear(%xq, $one, $zx) {axis=0, block=0}
        %acc: float32[1, 2, 3, 3] = conv(%xc, $w, $bias) {kernel=[1, 1]}  // Conv 'conv'
        %y: uint8[1, 2, 3, 3] = quantize_linear(%acc, $m, $zy) {axis=1, block=0, mul=1}
        return %y
      }`;

describe('integer-conv (IR text)', () => {
  const pass: PassFn = (f, ids) => integerConv(f, ids, 4);
  it('turns the centred float conv into qconv_pack + qconv', () => {
    // Words [MB=1][C4=1][1][1][L=4]: output channel o holds input channel c's byte at bits 8c.
    const words = [0, 1, 2, 3].map((o) => (o < 2 ? (W[2 * o] & 255) | ((W[2 * o + 1] & 255) << 8) : 0));
    // bias - zx * sum over the channel's weights, padded to 4 channels.
    const bias = [0, 1, 2, 3].map((o) => (o < 2 ? [5, -6][o] - 10 * (W[2 * o] + W[2 * o + 1]) : 0));
    passCase(pass, centredConv(W), `
      func @g(%xq: uint8[1, 2, 3, 3]) {
        $y_wq: int32[1, 1, 1, 1, 4] = const [${words.join(', ')}]
        $y_bq: int32[4] = const [${bias.join(', ')}]
        $y_mq: float32[4] = const [0.5, 0.5, 0, 0]
        %xq_words: int32[1, 1, 3, 3] = qconv_pack(%xq) {pads=[0, 0, 0, 0], fill=10}
        %y: uint8[1, 2, 3, 3] = qconv(%xq_words, $y_wq, $y_bq, $y_mq) {kernel=[1, 1], outChannels=2, zero=7,
          to="uint8"}
        return %y
      }`);
  });
  it('runs a centred gemm as a 1x1 qconv on the activation viewed as [N, K, 1, 1]', () => {
    const w = [[1, -2, 3], [-4, 5, -6]]; // [K=2][M=3], no transB
    const word = (o: number) => (o < 3 ? (w[0][o] & 255) | ((w[1][o] & 255) << 8) : 0);
    const bias = [0, 1, 2, 3].map((o) => (o < 3 ? [5, -6, 7][o] - 10 * (w[0][o] + w[1][o]) : 0));
    passCase(pass, `
      func @g(%xq: uint8[n, 2]) {
        $one: float32[] = const [1]
        $zx: uint8[] = const [10]
        $w: float32[2, 3] = const [${w.flat().join(', ')}]
        $bias: float32[3] = const [5, -6, 7]
        $m: float32[] = const [0.5]
        $zy: uint8[] = const [7]
        %xc: float32[n, 2] = dequantize_linear(%xq, $one, $zx) {axis=0, block=0}
        %acc: float32[n, 3] = gemm(%xc, $w, $bias)  // Gemm 'fc'
        %y: uint8[n, 3] = quantize_linear(%acc, $m, $zy) {axis=1, block=0, mul=1}
        return %y
      }`, `
      func @g(%xq: uint8[n, 2]) {
        $xq_nchw_shape: int64[4] = const [0, 2, 1, 1]
        $y_wq: int32[1, 1, 1, 1, 4] = const [${[0, 1, 2, 3].map(word).join(', ')}]
        $y_bq: int32[4] = const [${bias.join(', ')}]
        $y_mq: float32[4] = const [0.5, 0.5, 0.5, 0]
        $y_shape: int64[2] = const [0, 3]
        %xq_nchw: uint8[n, 2, 1, 1] = reshape(%xq, $xq_nchw_shape)  // Gemm 'fc'
        %xq_words: int32[n, 1, 1, 1] = qconv_pack(%xq_nchw) {pads=[0, 0, 0, 0], fill=10}  // Gemm 'fc'
        %y_nchw: uint8[n, 3, 1, 1] = qconv(%xq_words, $y_wq, $y_bq, $y_mq) {kernel=[1, 1], outChannels=3,
          zero=7, to="uint8"}  // Gemm 'fc'
        %y: uint8[n, 3] = reshape(%y_nchw, $y_shape)  // Gemm 'fc'
        return %y
      }`);
  });
  it('leaves a conv whose centred weights do not fit int8', () => {
    unchangedCase(pass, centredConv([1, -2, 3, 200]));
  });
});

const qconvChain = (ret: string) => `
      func @g(%xq: uint8[1, 4, 3, 3]) {
        $wq: int32[1, 1, 1, 1, 4] = const seed 1
        $bq: int32[4] = const [0, 0, 0, 0]
        $mq: float32[4] = const [1, 1, 1, 1]
        %p1: int32[1, 1, 3, 3] = qconv_pack(%xq) {pads=[0, 0, 0, 0], fill=0}
        %y1: uint8[1, 4, 3, 3] = qconv(%p1, $wq, $bq, $mq) {kernel=[1, 1], outChannels=4, to="uint8"}
        %p2: int32[1, 1, 3, 3] = qconv_pack(%y1) {pads=[0, 0, 0, 0], fill=0}
        %y2: uint8[1, 4, 3, 3] = qconv(%p2, $wq, $bq, $mq) {kernel=[1, 1], outChannels=4, to="uint8"}
        return ${ret}
      }`;

describe('integer-nhwc (IR text)', () => {
  it('keeps the activation between two qconvs channels-last', () => {
    passCase(integerNhwc, qconvChain('%y2'), `
      func @g(%xq: uint8[1, 4, 3, 3]) {
        $wq: int32[1, 1, 1, 1, 4] = const seed 1
        $bq: int32[4] = const [0, 0, 0, 0]
        $mq: float32[4] = const [1, 1, 1, 1]
        %p1: int32[1, 1, 3, 3] = qconv_pack(%xq) {pads=[0, 0, 0, 0], fill=0}
        %y1_nhwc: uint8[1, 3, 3, 4] = qconv(%p1, $wq, $bq, $mq) {kernel=[1, 1], outChannels=4, to="uint8",
          outNhwc=1}
        %p2_nhwc: int32[1, 3, 3, 1] = qconv_pack(%y1_nhwc) {pads=[0, 0, 0, 0], fill=0, nhwc=1}
        %y2: uint8[1, 4, 3, 3] = qconv(%p2_nhwc, $wq, $bq, $mq) {kernel=[1, 1], outChannels=4, to="uint8",
          inNhwc=1}
        return %y2
      }`);
  });
  it('runs an elementwise reader channels-last and transposes back for the graph output', () => {
    passCase(integerNhwc, `
      func @g(%xq: uint8[1, 4, 3, 3]) {
        $wq: int32[1, 1, 1, 1, 4] = const seed 1
        $bq: int32[4] = const [0, 0, 0, 0]
        $mq: float32[4] = const [1, 1, 1, 1]
        %p1: int32[1, 1, 3, 3] = qconv_pack(%xq) {pads=[0, 0, 0, 0], fill=0}
        %y1: uint8[1, 4, 3, 3] = qconv(%p1, $wq, $bq, $mq) {kernel=[1, 1], outChannels=4, to="uint8"}
        %r: uint8[1, 4, 3, 3] = relu(%y1)
        return %r
      }`, `
      func @g(%xq: uint8[1, 4, 3, 3]) {
        $wq: int32[1, 1, 1, 1, 4] = const seed 1
        $bq: int32[4] = const [0, 0, 0, 0]
        $mq: float32[4] = const [1, 1, 1, 1]
        %p1: int32[1, 1, 3, 3] = qconv_pack(%xq) {pads=[0, 0, 0, 0], fill=0}
        %y1_nhwc: uint8[1, 3, 3, 4] = qconv(%p1, $wq, $bq, $mq) {kernel=[1, 1], outChannels=4, to="uint8",
          outNhwc=1}
        %r_nhwc: uint8[1, 3, 3, 4] = relu(%y1_nhwc)
        %r: uint8[1, 4, 3, 3] = transpose(%r_nhwc) {perm=[0, 3, 1, 2]}
        return %r
      }`);
  });
  it('leaves a qconv whose output is also a graph output', () => {
    unchangedCase(integerNhwc, qconvChain('%y1, %y2'));
  });
});
