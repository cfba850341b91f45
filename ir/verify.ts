// Structural verifier of the graph IR, run between passes: every value is defined once before
// use (inputs, constants, an earlier node, or — inside a body — an enclosing function), ops
// exist, and function outputs are defined. Bodies of control flow are verified too.

import { bodiesOf, type Func } from './graph.js';
import { getOp } from './ops/index.js';

export function verifyFunc(f: Func, outer: ReadonlySet<number> = new Set()): string[] {
  const errors: string[] = [];
  const defined = new Set<number>([...outer, ...f.inputs.map((v) => v.id)]);
  for (const n of f.nodes) {
    if (!getOp(n.op)) errors.push(`node '${n.origin.name}': unknown op '${n.op}'`);
    for (const v of n.inputs) {
      if (v && !defined.has(v.id) && v.data === undefined) {
        errors.push(`node '${n.origin.name}' (${n.op}) reads '${v.name}' before it is defined`);
      }
    }
    for (const b of bodiesOf(n)) {
      errors.push(...verifyFunc(b, defined).map((e) => `in body of '${n.origin.name}': ${e}`));
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
