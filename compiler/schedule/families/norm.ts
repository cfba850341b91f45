// Schedule space of the row normalisations (ir/ops/norm.ts): softmax, log_softmax, LRN and
// layer normalisation reduce rows with norm.vec lane partials.

import { defineFamily, knob, lanes, vectorWidths } from '../space.js';

const OPS: ReadonlySet<string> = new Set(['softmax', 'log_softmax', 'lrn', 'layer_norm']);

export const NORM = defineFamily({
  name: 'norm',
  matches: (op) => OPS.has(op),
  knobs: [knob('norm.vec', 'lanes for row reductions and LRN\'s spatial axis', vectorWidths, lanes)],
});
