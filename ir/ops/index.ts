// The op table: every kestrel op, built once from the family lists into a frozen table. Import
// this module (not the families) wherever ops are looked up. Adding a family: export its list of
// declarations (declareOp) and add it to FAMILIES. Families not yet migrated still register
// through defineOps when imported here; their records join the same table.
import './shape.js';
import './matmul.js';
import './control.js';
import './gather.js';
import './slice.js';
import './rnn.js';
import './select.js';
import './sequence.js';
import './resize.js';
import './conv-transpose.js';
import './quant.js';
import { ATTENTION_OPS } from './attention.js';
import { CONV_OPS } from './conv.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { GENERATE_OPS } from './generate.js';
import { NORM_OPS } from './norm.js';
import { POOL_OPS } from './pool.js';
import { REDUCE_OPS } from './reduce.js';
import { legacyOps, opTable, type OpDef, type Trait } from './registry.js';

const FAMILIES: readonly (readonly OpDef[])[] = [
  ELEMENTWISE_OPS, CONV_OPS, POOL_OPS, NORM_OPS, REDUCE_OPS, GENERATE_OPS, ATTENTION_OPS,
];

export const OPS: ReadonlyMap<string, OpDef> = opTable([...FAMILIES.flat(), ...legacyOps()]);

export function getOp(name: string): OpDef | undefined {
  return OPS.get(name);
}

export function hasTrait(op: string, t: Trait): boolean {
  return OPS.get(op)?.traits.includes(t) ?? false;
}

export function allOps(): string[] {
  return [...OPS.keys()].sort();
}

export type { OpDef, Trait, InferCtx } from './registry.js';
