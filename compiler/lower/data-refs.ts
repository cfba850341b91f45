// The data symbols a function uses (dims read from tensor contents at run time, see dataSymbol in
// ir/dim.ts), so that program lowering reads each of them with `load_int` right after the tensor
// holding it is defined. Dims of value types and of shape checks (Node.checks) count.

import { type Dim, dimVars, parseDataSymbol } from '../../ir/dim.js';
import { bodiesOf, type Func } from '../../ir/graph.js';
import { checkDims } from './checks.js';

/** Every data symbol used by the function or its bodies: value id -> sorted element indices. */
export function dataReferences(f: Func): Map<number, number[]> {
  const refs = new Map<number, Set<number>>();
  collect(f, refs);
  return new Map([...refs].map(([id, s]) => [id, [...s].sort((x, y) => x - y)]));
}

function collect(f: Func, refs: Map<number, Set<number>>): void {
  const visit = (d: Dim) => {
    for (const name of dimVars(d)) {
      const ref = parseDataSymbol(name);
      if (ref) refs.set(ref.valueId, (refs.get(ref.valueId) ?? new Set()).add(ref.index));
    }
  };
  for (const n of f.nodes) {
    for (const v of n.outputs) [...v.type.shape, ...(v.type.elems ?? [])].forEach(visit);
    checkDims(n).forEach(visit);
    for (const b of bodiesOf(n)) collect(b, refs);
  }
}
