// Small helpers shared by graph passes: use lists, value substitution, id allocation.

import { bodiesOf, type Func, IdGen, isFunc, type Module, type Node, nodeReads, type Value }
  from '../../ir/graph.js';

/**
 * Consumers of each value id, in node order (a node appears once per input slot; a control-flow
 * node also once per value its bodies capture).
 */
export function consumers(f: Func): Map<number, Node[]> {
  const m = new Map<number, Node[]>();
  for (const n of f.nodes) {
    for (const v of nodeReads(n)) {
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

/**
 * Rewrites node inputs and function outputs through `subst` (value id -> replacement), inside
 * control-flow bodies too (they may capture a replaced value).
 */
export function substitute(f: Func, nodes: readonly Node[], subst: ReadonlyMap<number, Value>): Func {
  if (subst.size === 0) return Object.freeze({ ...f, nodes });
  const map = (v: Value): Value => {
    let cur = v;
    for (let r = subst.get(cur.id); r; r = subst.get(cur.id)) cur = r;
    return cur;
  };
  const rewriteNode = (n: Node): Node => {
    const attrs = Object.fromEntries(Object.entries(n.attrs).map(([k, a]) =>
      [k, isFunc(a) ? substitute(a, a.nodes, subst) : a]));
    return Object.freeze({ ...n, inputs: n.inputs.map((v) => (v ? map(v) : null)),
      attrs: Object.freeze(attrs) });
  };
  return Object.freeze({ ...f, nodes: nodes.map(rewriteNode), outputs: f.outputs.map(map) });
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
      for (const b of bodiesOf(n)) visit(b);
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
    for (const v of nodeReads(n)) live.add(v.id);
  }
  return Object.freeze({ ...f, nodes: kept.reverse() });
}
