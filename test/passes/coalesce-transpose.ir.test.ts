// coalesce-transpose in the IR text: a static transpose whose unit axes and adjacent runs merge
// becomes reshape -> smaller transpose -> reshape; one that only moves unit axes becomes a reshape;
// a transpose with nothing to merge, or with a symbolic dim, stays.
import { describe, it } from 'vitest';
import { coalesceTranspose } from '../../compiler/passes/coalesce-transpose.js';
import { passCase, unchangedCase } from './ir-case.js';

describe('coalesce-transpose (IR text)', () => {
  it('drops a unit axis and merges the run of axes 2, 3', () => {
    // [1, 4, 6, 5] perm [0, 2, 3, 1]: the unit axis goes, axes 2 and 3 stay adjacent -> [4, 30] perm [1, 0].
    passCase(coalesceTranspose, `
      func @g(%x: float32[1, 4, 6, 5]) {
        %y: float32[1, 6, 5, 4] = transpose(%x) {perm=[0, 2, 3, 1]}
        return %y
      }`, `
      func @g(%x: float32[1, 4, 6, 5]) {
        $x_coalesced_shape: int64[2] = const [4, 30]
        $y_shape: int64[4] = const [1, 6, 5, 4]
        %x_coalesced: float32[4, 30] = reshape(%x, $x_coalesced_shape) {allowzero=0}
        %y_coalesced: float32[30, 4] = transpose(%x_coalesced) {perm=[1, 0]}
        %y: float32[1, 6, 5, 4] = reshape(%y_coalesced, $y_shape) {allowzero=0}
        return %y
      }`);
  });
  it('turns a transpose that only moves unit axes into a reshape', () => {
    passCase(coalesceTranspose, `
      func @g(%x: float32[3, 1, 7]) {
        %y: float32[1, 3, 7] = transpose(%x) {perm=[1, 0, 2]}
        return %y
      }`, `
      func @g(%x: float32[3, 1, 7]) {
        $y_shape: int64[3] = const [1, 3, 7]
        %y: float32[1, 3, 7] = reshape(%x, $y_shape) {allowzero=0}
        return %y
      }`);
  });
  it('leaves a transpose with nothing to merge, and one with a symbolic dim', () => {
    unchangedCase(coalesceTranspose, `
      func @g(%x: float32[2, 3, 4]) {
        %y: float32[2, 4, 3] = transpose(%x) {perm=[0, 2, 1]}
        return %y
      }`);
    unchangedCase(coalesceTranspose, `
      func @g(%x: float32[1, n, 4]) {
        %y: float32[n, 1, 4] = transpose(%x) {perm=[1, 0, 2]}
        return %y
      }`);
  });
});
