// Schedule space of the pools (ir/ops/pool.ts): window pools vectorise the last output axis in
// tiles of pool.wv vectors (2-D max pools in tiles of pool.rows output rows too, ir/ops/pool-max2d.ts);
// global pools reduce with pool.vec lane partials.

import { DEFAULT_POOL_ROWS, defaultPoolWidth } from '../../../ir/ops/pool-max2d.js';
import { type KnobContext, defineFamily, knob, lanes, range, vectorWidths } from '../space.js';

const OPS: ReadonlySet<string> = new Set(['max_pool', 'avg_pool', 'global_max_pool', 'global_avg_pool']);

/** 2-D max pools (ir/ops/pool-max2d.ts) default to defaultPoolWidth; the other pools to 2. */
function poolWidth(c: KnobContext): number {
  const maxPool2d = c.root.op === 'max_pool' && c.root.inputs[0]?.type.shape.length === 4;
  return maxPool2d ? defaultPoolWidth(c.target.vectorRegisters) : 2;
}

export const POOL = defineFamily({
  name: 'pool',
  matches: (op) => OPS.has(op),
  knobs: [
    knob('pool.vec', 'lanes along the last output axis', vectorWidths, lanes),
    knob('pool.wv', 'vectors per tile along the last output axis', range(1, 4), poolWidth),
    knob('pool.rows', 'output rows per tile (2-D max pools)', range(1, 8), () => DEFAULT_POOL_ROWS),
  ],
});
