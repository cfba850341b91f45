// Schedule space of kernels whose root is elementwise or injective: their root lowers to a
// `compute` and compiler/lower/kernel.ts walks the output with the element loops of
// ir/te-loops.ts, whose vector width is elem.vec.

import { hasTrait } from '../../../ir/ops/index.js';
import { defineFamily, knob, lanes, vectorWidths } from '../space.js';

export const ELEMENTWISE = defineFamily({
  name: 'elementwise',
  matches: (op) => hasTrait(op, 'elementwise') || hasTrait(op, 'injective'),
  knobs: [
    knob('elem.vec', 'lanes per vector of the element loop', vectorWidths, lanes),
    // GPU targets default to 1 (compiler/schedule/gpu.ts): one vector per thread, coalesced.
    knob('elem.flat', 'vectors per parallel task of a flat element walk (0: walk rows)', [0, 1, 4, 16, 64],
      () => 0),
  ],
});
