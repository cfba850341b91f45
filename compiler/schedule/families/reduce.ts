// Schedule space of the reductions (ir/ops/reduce.ts: reduce_*, arg_max, arg_min).

import { hasTrait } from '../../../ir/ops/index.js';
import { defineFamily, knob, lanes, vectorWidths } from '../space.js';

export const REDUCE = defineFamily({
  name: 'reduce',
  matches: (op) => hasTrait(op, 'reduction'),
  knobs: [knob('reduce.vec', 'lane partials per row, or inner positions per vector', vectorWidths, lanes)],
});
