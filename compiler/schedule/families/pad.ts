// Schedule space of `pad2d` (the explicit padding pad-conv-inputs inserts before convolutions).

import { defineFamily, knob, lanes, vectorWidths } from '../space.js';

export const PAD = defineFamily({
  name: 'pad',
  matches: (op) => op === 'pad2d',
  knobs: [knob('pad.vec', 'lanes per vector along the padded row', vectorWidths, lanes)],
});
