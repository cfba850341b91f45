// Schedule space of the row normalisations (ir/ops/norm.ts): softmax, log_softmax, LRN and
// layer normalisation reduce rows with norm.vec lane partials. The ops say so in their
// declarations (`schedule: 'norm'`), so a new normalisation needs no edit here.

import { getOp } from '../../../ir/ops/index.js';
import { defineFamily, knob, lanes, vectorWidths } from '../space.js';

export const NORM = defineFamily({
  name: 'norm',
  matches: (op) => getOp(op)?.schedule === 'norm',
  knobs: [knob('norm.vec', 'lanes for row reductions and LRN\'s spatial axis', vectorWidths, lanes)],
});
