// pad-conv-inputs in the IR text: a padded conv gets a pad2d in front; an unpadded or depthwise one
// is left alone.
import { describe, it } from 'vitest';
import { padConvInputs } from '../../compiler/passes/pad-conv-inputs.js';
import { passCase, unchangedCase } from './ir-case.js';

describe('pad-conv-inputs (IR text)', () => {
  it('makes a conv\'s zero padding a pad2d node', () => {
    passCase(padConvInputs, `
      func @g(%x: float32[n, 2, 8, 9]) {
        $w: float32[3, 2, 3, 3] = const seed 1
        %y: float32[n, 3, 8, 10] = conv(%x, $w, _) {kernel=[3, 3], pads=[1, 2, 1, 1]}
        return %y
      }`, `
      func @g(%x: float32[n, 2, 8, 9]) {
        $w: float32[3, 2, 3, 3] = const seed 1
        %x_padded: float32[n, 2, 10, 12] = pad2d(%x) {pads=[1, 2, 1, 1]}
        %y: float32[n, 3, 8, 10] = conv(%x_padded, $w, _) {kernel=[3, 3], pads=[0, 0, 0, 0]}
        return %y
      }`);
  });
  it('leaves an unpadded conv and a padded depthwise conv alone', () => {
    unchangedCase(padConvInputs, `
      func @g(%x: float32[n, 2, 8, 9]) {
        $w: float32[3, 2, 3, 3] = const seed 1
        %y: float32[n, 3, 6, 7] = conv(%x, $w, _) {kernel=[3, 3], pads=[0, 0, 0, 0]}
        return %y
      }`);
    unchangedCase(padConvInputs, `
      func @g(%x: float32[n, 4, 8, 9]) {
        $w: float32[4, 1, 3, 3] = const seed 2
        %y: float32[n, 4, 8, 9] = conv(%x, $w, _) {kernel=[3, 3], pads=[1, 1, 1, 1], group=4}
        return %y
      }`);
  });
});
