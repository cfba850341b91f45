// Schedule space of `gemm` and `matmul` (ir/ops/matmul.ts): the register micro-kernel's vector
// width and its TM x TN*V accumulator tile.

import { defineFamily, knob, lanes, range, tileFits, vectorWidths } from '../space.js';

export const MATMUL = defineFamily({
  name: 'matmul',
  matches: (op) => op === 'gemm' || op === 'matmul',
  knobs: [
    knob('mm.vec', 'lanes per vector along N', vectorWidths, lanes),
    knob('mm.tn', 'vectors per register tile along N', range(1, 4), () => 2),
    knob('mm.tm', 'rows per register tile', range(1, 8), () => 6),
  ],
  legal: (k, c) => tileFits('the register tile', k['mm.tm'] * k['mm.tn'], k['mm.vec'], c),
});
