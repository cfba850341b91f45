// Groups graph nodes into kernels. Each group has a root (an anchor such as conv or matmul, an
// opaque op, or an elementwise/injective op that starts a chain) followed by an epilogue of
// elementwise ops, each consuming the previous group result as its only in-group
// input. A node joins the epilogue of the group producing one of its inputs when that value has
// exactly one consumer, is not a graph output, and has the node's output shape (so the epilogue
// writes exactly the elements the root computes). Views (reshape...) form groups of their own
// that cost no kernel, and nodes whose outputs have known contents (TensorType.elems: shape
// arithmetic) join no group at all: the VM materialises such values only if something reads
// them. A group runs at the position of its last node, so every value it reads
// is computed before it.

import { dimKey } from '../../ir/dim.js';
import type { Func, Node, Value } from '../../ir/graph.js';
import { hasTrait } from '../../ir/ops/index.js';
import { consumers, outputIds } from './graph-util.js';

export interface Group {
  /**
   * kernel: one compiled kernel; view: a VM reshape; control: If/Loop/Scan lowered to jumps;
   * vm: VM builtins (sequence ops).
   */
  readonly kind: 'kernel' | 'view' | 'control' | 'vm';
  readonly root: Node;
  readonly epilogue: readonly Node[];
  /** The value the group materialises (the last epilogue node's output, or the root's outputs). */
  readonly outputs: readonly Value[];
}

const shapeKey = (v: Value): string => v.type.shape.map(dimKey).join(',');

/**
 * Only elementwise ops may join an epilogue: the epilogue computes each output element from the
 * root's value at the same index, which an injective op that moves elements (transpose, slice)
 * would read from the wrong place.
 */
function fusible(n: Node): boolean {
  return hasTrait(n.op, 'elementwise') && n.outputs.length === 1;
}

export function fuse(f: Func): Group[] {
  const uses = consumers(f);
  const outs = outputIds(f);
  const groups: { kind: Group['kind']; root: Node; epilogue: Node[]; outputs: Value[] }[] = [];
  const openGroup = new Map<number, (typeof groups)[number]>();
  for (const n of f.nodes) {
    // Shape computations whose results are known as dims run in the VM, not in kernels.
    if (n.outputs.every((v) => v.type.elems !== undefined)) continue;
    const own = (['view', 'control', 'vm'] as const).find((t) => hasTrait(n.op, t));
    if (own) {
      groups.push({ kind: own, root: n, epilogue: [], outputs: [...n.outputs] });
      continue;
    }
    if (fusible(n)) {
      const host = n.inputs
        .filter((v): v is Value => v !== null)
        .map((v) => ({ v, g: openGroup.get(v.id) }))
        .find(({ v, g }) => g && !outs.has(v.id) && uses.get(v.id)!.length === 1
          && n.inputs.filter((x) => x?.id === v.id).length === 1 && shapeKey(v) === shapeKey(n.outputs[0]));
      if (host && host.g) {
        openGroup.delete(host.v.id);
        // The group now runs where its last node stands: after every producer of n's inputs.
        groups.splice(groups.indexOf(host.g), 1);
        groups.push(host.g);
        host.g.epilogue.push(n);
        host.g.outputs = [n.outputs[0]];
        openGroup.set(n.outputs[0].id, host.g);
        continue;
      }
    }
    const g = { kind: 'kernel' as const, root: n, epilogue: [], outputs: [...n.outputs] };
    groups.push(g);
    if (n.outputs.length === 1) openGroup.set(n.outputs[0].id, g);
  }
  return groups.map((g) => Object.freeze({ ...g, epilogue: Object.freeze([...g.epilogue]) }));
}
