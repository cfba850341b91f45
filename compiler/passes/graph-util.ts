// Small helpers shared by graph passes: use lists, value substitution, id allocation.

import { type Func, IdGen, type Module, type Node, type Value } from '../../ir/graph.js';

/** Consumers of each value id, in node order (a node appears once per input slot). */
export function consumers(f: Func): Map<number, Node[]> {
  const m = new Map<number, Node[]>();
  for (const n of f.nodes) {
    for (const v of n.inputs) {
      if (!v) continue;
      const list = m.get(v.id) ?? [];
      list.push(n);
      m.set(v.id, list);
    }
  }
  return m;
}

export function outputIds(f: Func): Set<number> {
  return new Set(f.outputs.map((v) => v.id));
}

/** Rewrites node inputs and function outputs through `subst` (value id -> replacement). */
export function substitute(f: Func, nodes: readonly Node[], subst: ReadonlyMap<number, Value>): Func {
  const map = (v: Value): Value => {
    let cur = v;
    for (let r = subst.get(cur.id); r; r = subst.get(cur.id)) cur = r;
    return cur;
  };
  const rewritten = nodes.map((n) => (n.inputs.some((v) => v && subst.has(v.id))
    ? Object.freeze({ ...n, inputs: n.inputs.map((v) => (v ? map(v) : null)) })
    : n));
  return Object.freeze({ ...f, nodes: rewritten, outputs: f.outputs.map(map) });
}

/** An id generator past every id used in the module (bodies included). */
export function idsAfter(m: Module): IdGen {
  let max = 0;
  const visit = (f: Func) => {
    for (const v of f.inputs) max = Math.max(max, v.id);
    for (const n of f.nodes) {
      max = Math.max(max, n.id);
      for (const v of n.inputs) if (v) max = Math.max(max, v.id);
      for (const v of n.outputs) max = Math.max(max, v.id);
      for (const b of Object.values(n.bodies ?? {})) visit(b);
    }
  };
  visit(m.main);
  return new IdGen(max + 1);
}

/** Drops nodes none of whose outputs is used (ops here have no side effects). */
export function removeDeadNodes(f: Func): Func {
  const live = new Set(f.outputs.map((v) => v.id));
  const kept: Node[] = [];
  for (let i = f.nodes.length - 1; i >= 0; i--) {
    const n = f.nodes[i];
    if (!n.outputs.some((v) => live.has(v.id))) continue;
    kept.push(n);
    for (const v of n.inputs) if (v) live.add(v.id);
  }
  return Object.freeze({ ...f, nodes: kept.reverse() });
}
