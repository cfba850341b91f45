// Schedule space of `gemm` and `matmul` (ir/ops/matmul.ts): the register micro-kernel's vector
// width and its TM x TN*V accumulator tile. A B packed at compile time (attr packedLanes, by
// pack-matmul-weights) fixes the vector width to its panels' lanes. TN stops at the column vectors
// N has (at the narrowest width offered): a wider tile is the same kernel (gemm-micro balances it).

import { intAttr } from '../../../ir/ops/attrs.js';
import { defineFamily, type KnobContext, knob, lanes, range, tileFits, vectorWidths } from '../space.js';

const panelLanes = (c: KnobContext): number => intAttr(c.root.attrs, 'packedLanes', 0);

// Default tile: 4 x 4 vectors (16 accumulators; 4 broadcasts and 4 panel loads per 16 FMAs) where
// the register file has 32 vectors, 6 x 2 where it has 16. Measured on AVX-512 with packed B (user
// CPU per run, 1 thread; 6x2 / 6x4 / 8x3 / 4x4): bert_mini 1x16 1.68 / 1.49 / 1.49 / 1.46 ms,
// 1x128 8.6 / 7.6 / 8.9 / 7.0; llama_tiny 1x8 1.46 / 1.31 / 1.04 / 1.19; gpt2_tiny 1x100
// 1.83 / 1.53 / 1.71 / 1.55. M is symbolic in these models, so the tile cannot follow it.
const wide = (c: KnobContext): boolean => (c.target.vectorRegisters ?? 32) >= 32;

/** Most vectors a tile can have along N: ceil(N / narrowest width), 4 when N is symbolic. */
function maxTn(c: KnobContext): number {
  const n = c.root.outputs[0]?.type.shape.at(-1);
  const v = panelLanes(c) || Math.min(...vectorWidths(c));
  return typeof n === 'number' ? Math.max(1, Math.min(4, Math.ceil(n / v))) : 4;
}

export const MATMUL = defineFamily({
  name: 'matmul',
  matches: (op) => op === 'gemm' || op === 'matmul',
  knobs: [
    knob('mm.vec', 'lanes per vector along N',
      (c) => (panelLanes(c) ? [panelLanes(c)] : vectorWidths(c)), (c) => panelLanes(c) || lanes(c)),
    knob('mm.tn', 'vectors per register tile along N', (c) => range(1, maxTn(c)),
      (c) => Math.min(wide(c) ? 4 : 2, maxTn(c))),
    knob('mm.tm', 'rows per register tile', range(1, 8), (c) => (wide(c) ? 4 : 6)),
  ],
  legal: (k, c) => tileFits('the register tile', k['mm.tm'] * k['mm.tn'], k['mm.vec'], c),
});
