// Schedule space of the fused `attention` kernel (ir/ops/attention.ts): the vector width, the
// query rows each task owns and the keys per online-softmax block.
// Default: 4 query rows (each kt and v vector serves 4 rows; with Dv = 64 the 4 x 64 accumulators
// are 16 vectors of 16 lanes) and 4 key vectors per block: the block's max, exp and rescaling cost
// about as much as its FMAs, so wide blocks pay. gpt2_tiny 1x100, one thread, attention kernel per
// layer (tq/kb): 4/1 170 us, 4/2 82, 4/4 64, 2/2 118, 6/2 110, 8/1 127. Keys that fit one vector
// run one-vector blocks whatever the knob (ir/ops/attention.ts).

import { defineFamily, type KnobContext, knob, lanes, range, tileFits, vectorWidths } from '../space.js';

const wide = (c: KnobContext): boolean => (c.target.vectorRegisters ?? 32) >= 32;

/** Output vectors per query row at `v` lanes (4 when Dv is not static). */
function outVectors(c: KnobContext, v: number): number {
  const dv = c.root.inputs[2]?.type.shape.at(-1);
  return typeof dv === 'number' ? Math.ceil(dv / v) : 4;
}

const kbDefault = (c: KnobContext): number => (wide(c) ? 4 : 2);

/** The most query rows (up to 4) whose score and output tiles fit the default's register budget. */
function tqDefault(c: KnobContext): number {
  const per = kbDefault(c) + outVectors(c, lanes(c));
  const budget = 2 * (c.target.vectorRegisters ?? 32);
  return Math.max(1, Math.min(4, Math.floor(budget / per)));
}

export const ATTENTION = defineFamily({
  name: 'attention',
  matches: (op) => op === 'attention',
  knobs: [
    knob('attn.vec', 'lanes per vector (keys for the scores, Dv for the output)', vectorWidths, lanes),
    knob('attn.tq', 'query rows per task', range(1, 8), tqDefault),
    knob('attn.kb', 'key vectors per online-softmax block', [1, 2, 4], kbDefault),
  ],
  legal: (k, c) => tileFits('the scores and output tiles',
    k['attn.tq'] * (k['attn.kb'] + outVectors(c, k['attn.vec'])), k['attn.vec'], c),
});
