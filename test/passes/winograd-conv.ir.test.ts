// winograd-conv in the IR text: a 3x3 stride-1 conv with channels and tiles enough becomes
// wino_in -> grouped pointwise conv -> wino_out (m = 4 on large planes, m = 2 on smaller ones,
// judged at 128 per symbolic side), keeping its output value and its bias; near misses (stride 2,
// dilation, groups, a 1x1 or 5x5 window, few channels, a small plane, weights that are not
// constants) are left alone.
import { describe, expect, it } from 'vitest';
import { winogradConv } from '../../compiler/passes/winograd-conv.js';
import { IdGen } from '../../ir/graph.js';
import { parseFunc } from '../../ir/parse.js';
import { printFunc } from '../../ir/print.js';
import { verifyFunc } from '../../ir/verify.js';
import { unchangedCase } from './ir-case.js';

/** The pass's result, verified, as printed text (not re-parsed: the new weights print as a digest). */
function runPass(before: string): string {
  const ids = new IdGen();
  const f = winogradConv(parseFunc(before, ids), ids);
  expect(verifyFunc(f), 'the pass result verifies').toEqual([]);
  return printFunc(f);
}

const conv = (x: string, w: string, y: string, attrs: string, bias = '_'): string => `
  func @g(%x: float32[${x}]) {
    $w: float32[${w}] = const seed 1
    $b: float32[${w.split(',')[0]}] = const seed 2
    %y: float32[${y}] = conv(%x, $w, ${bias}) {${attrs}}
    return %y
  }`;

describe('winograd-conv (IR text)', () => {
  it('rewrites a 64 -> 64 3x3 conv on 56x56 with m = 4, bias on wino_out', () => {
    const out = runPass(conv('n, 64, 56, 56', '64, 64, 3, 3', 'n, 64, 56, 56',
      'kernel=[3, 3], pads=[1, 1, 1, 1]', '$b'));
    const lines = out.split('\n').filter((l) => l.includes(' = '));
    const ops = lines.map((l) => / = (\w+)\(/.exec(l)?.[1]).filter((o) => o && o !== 'const');
    expect(ops).toEqual(['wino_in', 'conv', 'wino_out']);
    expect(out).toMatch(/%x_wino: float32\[n, 2304, 196\] = wino_in\(%x\) \{tile=4, pads=\[1, 1, 1, 1\]\}/);
    expect(out).toMatch(/\$w_wino: float32\[2304, 64, 1\]/);
    expect(out).toMatch(/= conv\(%x_wino, \$w_wino, _\) \{kernel=\[1\], .*group=36\}/);
    expect(out).toMatch(/%y: float32\[n, 64, 56, 56\] = wino_out\(%y_wino, %x, \$b\) \{tile=4, /);
  });

  it('takes m = 2 on a 14x14 plane and on a symbolic one judged at 128 (16x16 after pooling)', () => {
    expect(runPass(conv('1, 128, 14, 14', '128, 128, 3, 3', '1, 128, 14, 14',
      'kernel=[3, 3], pads=[1, 1, 1, 1]'))).toMatch(/wino_in\(%x\) \{tile=2/);
    // h // 8 at h = 128 is 16: 16 tiles of m = 4 (< 48), 64 of m = 2.
    expect(runPass(`
      func @g(%x: float32[1, 64, (h//8), (w//8)]) {
        $w: float32[64, 64, 3, 3] = const seed 1
        %y: float32[1, 64, (h//8), (w//8)] = conv(%x, $w, _) {kernel=[3, 3], pads=[1, 1, 1, 1]}
        return %y
      }`)).toMatch(/wino_in\(%x\) \{tile=2/);
  });

  it('leaves near misses alone', () => {
    const padded = 'kernel=[3, 3], pads=[1, 1, 1, 1]';
    unchangedCase(winogradConv, conv('1, 64, 56, 56', '64, 64, 3, 3', '1, 64, 28, 28',
      `${padded}, strides=[2, 2]`));
    unchangedCase(winogradConv, conv('1, 64, 56, 56', '64, 64, 3, 3', '1, 64, 54, 54',
      `${padded}, dilations=[2, 2]`));
    unchangedCase(winogradConv, conv('1, 64, 56, 56', '64, 32, 3, 3', '1, 64, 56, 56', `${padded}, group=2`));
    unchangedCase(winogradConv, conv('1, 64, 56, 56', '64, 64, 1, 1', '1, 64, 56, 56', 'kernel=[1, 1]'));
    unchangedCase(winogradConv, conv('1, 64, 56, 56', '64, 64, 5, 5', '1, 64, 56, 56',
      'kernel=[5, 5], pads=[2, 2, 2, 2]'));
    // Few channels: the transforms cost more than the products save.
    unchangedCase(winogradConv, conv('1, 16, 56, 56', '16, 16, 3, 3', '1, 16, 56, 56', padded));
    // 32 -> 32 where only m = 2 has tiles enough: its transforms cost as much as it saves.
    unchangedCase(winogradConv, conv('1, 32, 14, 14', '32, 32, 3, 3', '1, 32, 14, 14', padded));
    unchangedCase(winogradConv, conv('1, 512, 7, 7', '512, 512, 3, 3', '1, 512, 7, 7', padded)); // 16 tiles
    unchangedCase(winogradConv, `
      func @g(%x: float32[1, 64, 56, 56], %w: float32[64, 64, 3, 3]) {
        %y: float32[1, 64, 56, 56] = conv(%x, %w, _) {kernel=[3, 3], pads=[1, 1, 1, 1]}
        return %y
      }`);
  });
});
