// Loads every op family so the registry is complete. Import this (not the families) from passes.
import './elementwise.js';
import './shape.js';
import './conv.js';
import './pool.js';
import './matmul.js';
import './norm.js';
import './control.js';
import './reduce.js';
import './gather.js';
import './generate.js';
import './slice.js';
import './rnn.js';
import './select.js';
import './sequence.js';
import './resize.js';
import './conv-transpose.js';
import './quant.js';

export { getOp, hasTrait, allOps } from './registry.js';
export type { OpDef, Trait, InferCtx } from './registry.js';
