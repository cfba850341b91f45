// Structural checks of an ONNX graph before conversion: subgraph depth and node-count limits,
// duplicate definitions, values consumed but never produced, and a topological order (ONNX files
// are usually sorted; when not, Kahn's algorithm sorts them and a leftover set is a cycle).
// Requires: decoded GraphMsg. Guarantees: the returned order lists every node once, each after the
// producers of its inputs; all loops are iterative (no recursion on untrusted structure).

import { Codes, fail } from '../../diagnostics.js';
import type { GraphMsg, NodeMsg } from './schema.js';

export const MAX_SUBGRAPH_DEPTH = 32;
export const MAX_NODES = 1_000_000;

/** Display name of node i (ONNX names are optional). */
export function nodeName(n: NodeMsg, i: number): string {
  return n.name || `${n.opType || 'node'}_${i}`;
}

/** Walks nested subgraphs iteratively; fails past the depth or total node limits. */
export function checkLimits(g: GraphMsg, maxNodes = MAX_NODES, maxDepth = MAX_SUBGRAPH_DEPTH): void {
  const stack: [GraphMsg, number][] = [[g, 0]];
  let total = 0;
  while (stack.length > 0) {
    const [graph, depth] = stack.pop()!;
    if (depth > maxDepth) {
      fail(Codes.GRAPH_DEPTH, `subgraphs nest deeper than ${maxDepth} levels`);
    }
    total += graph.node?.length ?? 0;
    if (total > maxNodes) fail(Codes.GRAPH_SIZE, `graph has more than ${maxNodes} nodes`);
    for (const n of graph.node ?? []) {
      for (const a of n.attribute ?? []) {
        if (a.g) stack.push([a.g, depth + 1]);
        for (const sg of a.graphs ?? []) stack.push([sg, depth + 1]);
      }
    }
  }
}

const TRAINING_DOMAIN = 'ai.onnx.preview.training';

/**
 * The names a node reads besides its inputs: training-domain Gradient names the tensors it
 * differentiates (y, xs, zs) in attributes, so it must come after their producers.
 */
export function attributeReads(n: NodeMsg): string[] {
  if (n.opType !== 'Gradient' || n.domain !== TRAINING_DOMAIN) return [];
  const text = (b: Uint8Array | undefined): string => new TextDecoder().decode(b ?? new Uint8Array());
  return (n.attribute ?? []).flatMap((a) => (a.name === 'y' ? [text(a.s)]
    : a.name === 'xs' || a.name === 'zs' ? (a.strings ?? []).map(text) : [])).filter((x) => x);
}

const reads = (n: NodeMsg): string[] => [...(n.input ?? []), ...attributeReads(n)];

/** Producer index of every node output; fails on a name defined twice. */
function producers(nodes: readonly NodeMsg[], defined: ReadonlySet<string>): Map<string, number> {
  const out = new Map<string, number>();
  nodes.forEach((n, i) => {
    for (const o of n.output ?? []) {
      if (!o) continue;
      if (defined.has(o) || out.has(o)) {
        const other = out.has(o) ? `node '${nodeName(nodes[out.get(o)!]!, out.get(o)!)}'` : 'a graph input';
        fail(Codes.GRAPH_DUPLICATE, `output '${o}' is also produced by ${other}`,
          { node: nodeName(n, i), opType: n.opType ?? '' });
      }
      out.set(o, i);
    }
  });
  return out;
}

/** A topological order of `nodes`, given the names defined before any node runs. */
export function topoOrder(nodes: readonly NodeMsg[], defined: ReadonlySet<string>): number[] {
  const prod = producers(nodes, defined);
  const pending = new Array<number>(nodes.length).fill(0);
  const users = new Map<number, number[]>();
  nodes.forEach((n, i) => {
    for (const inp of reads(n)) {
      if (!inp || defined.has(inp)) continue;
      const p = prod.get(inp);
      if (p === undefined) {
        fail(Codes.GRAPH_UNDEFINED, `input '${inp}' is never produced (not a graph input, initializer `
          + 'or node output)', { node: nodeName(n, i), opType: n.opType ?? '', input: inp });
      }
      pending[i]!++;
      users.set(p, [...(users.get(p) ?? []), i]);
    }
  });
  const sorted = nodes.every((n, i) =>
    reads(n).every((x) => !x || defined.has(x) || prod.get(x)! < i));
  return sorted ? nodes.map((_, i) => i) : kahn(nodes, pending, users);
}

function kahn(nodes: readonly NodeMsg[], pending: number[], users: Map<number, number[]>): number[] {
  const ready = pending.flatMap((c, i) => (c === 0 ? [i] : [])).reverse();
  const order: number[] = [];
  while (ready.length > 0) {
    const i = ready.pop()!;
    order.push(i);
    const us = users.get(i) ?? [];
    for (let k = us.length - 1; k >= 0; k--) if (--pending[us[k]!]! === 0) ready.push(us[k]!);
  }
  if (order.length < nodes.length) {
    const stuck = pending.flatMap((c, i) => (c > 0 ? [nodeName(nodes[i]!, i)] : []));
    fail(Codes.GRAPH_CYCLE, `graph has a cycle through node(s) ${stuck.slice(0, 20).map((s) => `'${s}'`)
      .join(', ')}${stuck.length > 20 ? ', ...' : ''}`, { nodes: stuck });
  }
  return order;
}
