// Emits a node's run-time shape checks (Node.checks: the relations between symbolic dims that
// shape inference assumed but could not prove) as VM instructions that run before the node's
// kernel: the dims compared with integer instructions, then one `check_dims` that fails the run
// with KR0204 and the node's message, its `{}` filled with the dims seen.
// Requires: every dim of a check is computable where the node runs (program.ts binds the data
// symbols checks use, see checkDims). Guarantees: a relation already checked in the same scope
// is not checked again.

import type { Dim } from '../../ir/dim.js';
import { checkKey, type Node } from '../../ir/graph.js';
import type { ProgramWriter } from '../../codegen/vm-program.js';

/** KR0204, "a run-time shape check failed", as `check_dims` carries it. */
const SHAPE_CHECK = 204;

export interface CheckEnv {
  readonly a: ProgramWriter;
  dimReg(d: Dim): number;
  intOp(op: 'eq' | 'or', x: number, y: number): number;
  /** Keys of the relations checked so far in this scope (added to here). */
  readonly checked: Set<string>;
}

export function emitChecks(n: Node, e: CheckEnv): void {
  for (const c of n.checks ?? []) {
    const key = checkKey(c);
    if (e.checked.has(key)) continue;
    e.checked.add(key);
    const cond = c.anyOf.map(([x, y]) => e.intOp('eq', e.dimReg(x), e.dimReg(y)))
      .reduce((p, q) => e.intOp('or', p, q));
    const values = c.args.map((d) => e.dimReg(d));
    e.a.emit('check_dims', { cond, code: SHAPE_CHECK, message: c.message, values });
  }
}

/** Every dim a node's checks read (program.ts binds the data symbols among them). */
export function checkDims(n: Node): Dim[] {
  return (n.checks ?? []).flatMap((c) => [...c.anyOf.flat(), ...c.args]);
}
