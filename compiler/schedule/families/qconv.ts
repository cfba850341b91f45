// Schedule space of the integer convolution `qconv` (ir/ops/qconv.ts): register tiles of
// qconv.ocv vectors of output channels (the packing width, a layout decision) by qconv.px pixels.

import { defineFamily, knob, range, tileFits } from '../space.js';

export const QCONV = defineFamily({
  name: 'qconv',
  matches: (op) => op === 'qconv',
  knobs: [
    knob('qconv.ocv', 'channel vectors per register tile', range(1, 4), () => 2),
    knob('qconv.px', 'max pixels per register tile', range(1, 12), () => 8),
    knob('qconv.store', 'stores: 1 a scatter per pixel, 2 rows of pixels via a scratch', range(1, 2),
      () => 1),
  ],
  legal: (k, c) => tileFits('the integer tile', k['qconv.ocv'] * k['qconv.px'], c.target.vectorLanes, c),
});
