// What program lowering needs to know of a function's values before it emits anything: the data
// symbols it uses (dims read from tensor contents at run time, see dataSymbol in ir/dim.ts; dims of
// value types and of shape checks, Node.checks, count), so that each is read with `load_int` right
// after the tensor holding it is defined; and the last group reading each value, so it can be freed.

import { type Dim, dimVars, parseDataSymbol } from '../../ir/dim.js';
import { bodiesOf, type Func, nodeReads } from '../../ir/graph.js';
import type { Group } from '../passes/fuse.js';
import { checkDims } from './checks.js';

/** Index of the last group reading each value (body captures count as reads of the node). */
export function lastUses(groups: readonly Group[]): Map<number, number> {
  const last = new Map<number, number>();
  groups.forEach((g, i) => {
    for (const n of [g.root, ...g.epilogue]) for (const v of nodeReads(n)) last.set(v.id, i);
  });
  return last;
}

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
