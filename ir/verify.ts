// Structural verifier of the graph IR, run between passes: every value is defined once before
// use (inputs, constants or an earlier node), ops exist, and function outputs are defined.

import type { Func } from './graph.js';
import { getOp } from './ops/registry.js';

export function verifyFunc(f: Func): string[] {
  const errors: string[] = [];
  const defined = new Set<number>(f.inputs.map((v) => v.id));
  for (const n of f.nodes) {
    if (!getOp(n.op)) errors.push(`node '${n.origin.name}': unknown op '${n.op}'`);
    for (const v of n.inputs) {
      if (v && !defined.has(v.id) && v.data === undefined) {
        errors.push(`node '${n.origin.name}' (${n.op}) reads '${v.name}' before it is defined`);
      }
    }
    for (const v of n.outputs) {
      if (defined.has(v.id)) errors.push(`value '${v.name}' is defined twice`);
      defined.add(v.id);
    }
  }
  for (const v of f.outputs) {
    if (!defined.has(v.id) && v.data === undefined) errors.push(`output '${v.name}' is never defined`);
  }
  return errors;
}
