// Fusion over a whole function tree: `fuse` on the function and, for every control-flow node,
// on each of its bodies, keeping the bodies' groups beside the node (the structure program
// lowering walks). Requires: graph passes have run. Guarantees: groups keep fuse's order; bodies
// are visited in the order of their node's attributes.

import { isFunc, type Func, type Node } from '../../ir/graph.js';
import { nodeLine } from '../inspect.js';
import { fuse, type Group } from './fuse.js';

export interface GroupTree {
  readonly func: Func;
  readonly groups: readonly Group[];
  /** Per control-flow node, the trees of its bodies by attribute name. */
  readonly bodies: ReadonlyMap<Node, ReadonlyMap<string, GroupTree>>;
}

export function fuseTree(f: Func): GroupTree {
  const groups = fuse(f);
  const bodies = new Map<Node, Map<string, GroupTree>>();
  for (const g of groups) {
    if (g.kind !== 'control') continue;
    bodies.set(g.root, new Map(Object.entries(g.root.attrs).filter(([, a]) => isFunc(a))
      .map(([k, a]) => [k, fuseTree(a as Func)])));
  }
  return { func: f, groups, bodies };
}

/** Every group of the tree, bodies right after their control node (the lowering order). */
export function* allGroups(t: GroupTree): Generator<Group> {
  for (const g of t.groups) {
    yield g;
    for (const body of t.bodies.get(g.root)?.values() ?? []) yield* allGroups(body);
  }
}

export function printGroups(t: GroupTree, indent = ''): string {
  const lines: string[] = [];
  for (const g of t.groups) {
    lines.push(`${indent}${g.kind} ${nodeLine(g.root)}`);
    for (const n of g.epilogue) lines.push(`${indent}  + ${nodeLine(n)}`);
    for (const [name, body] of t.bodies.get(g.root) ?? []) {
      lines.push(`${indent}  body ${name}:`, printGroups(body, `${indent}    `));
    }
  }
  return lines.join('\n');
}
