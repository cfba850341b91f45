// Schedule space of the recurrent sequence ops (ir/ops/rnn.ts: lstm_seq, gru_seq, rnn_seq).

import { defineFamily, knob, range } from '../space.js';

export const RNN = defineFamily({
  name: 'rnn',
  matches: (op) => op.endsWith('_seq'),
  knobs: [
    knob('rnn.tb', 'batch rows per register tile', range(1, 8), () => 4),
    // Tasks per direction: at least two so a batch splits even when planning for one thread.
    knob('rnn.parts', 'parts the batch rows are split into',
      (c) => [...new Set([1, 2, 4, 8, c.target.threads])].sort((a, b) => a - b),
      (c) => Math.max(2, c.target.threads)),
  ],
});
