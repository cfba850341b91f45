// Coalesces the axes of static transposes: unit axes are dropped and runs of input axes that stay
// adjacent and in order in the output are merged, so reshape -> transpose of fewer, longer axes
// -> reshape replaces the transpose. Reshapes are VM views (no copy), so the kernel walks long
// contiguous rows: ShuffleNet's channel shuffle, [1,4,68,14,14] perm [0,2,1,3,4], becomes
// [4,68,196] perm [1,0,2], rows of 196 floats instead of rows of 14 walked as one flat index with
// gathers. A transpose that only moves unit axes becomes a single reshape.
// Requires: transpose nodes with a complete `perm` attribute (the frontend normalises it).
// Guarantees: the same function; only transposes with a static input shape whose coalesced rank
// is smaller change, and the original output value (id, type) is kept, so consumers are untouched.

import { makeConst } from '../../ir/const.js';
import type { Func, IdGen, Node, Value } from '../../ir/graph.js';
import { makeValue } from '../../ir/graph.js';

interface Coalesced {
  readonly inShape: number[];
  readonly perm: number[];
}

/** The merged input shape and permutation of `perm` over static `shape`. */
export function coalescePerm(shape: readonly number[], perm: readonly number[]): Coalesced {
  // Non-unit input axes, renumbered in input order so that dropping unit axes joins neighbours.
  const rank = new Map(shape.map((_, a) => a).filter((a) => shape[a] !== 1).map((a, i) => [a, i]));
  // Runs of output axes reading consecutive (non-unit) input axes, in output order.
  const runs: number[][] = [];
  for (const a of perm.filter((x) => rank.has(x))) {
    const last = runs[runs.length - 1];
    if (last && rank.get(last[last.length - 1])! + 1 === rank.get(a)) last.push(a);
    else runs.push([a]);
  }
  const byInput = [...runs].sort((r, q) => r[0] - q[0]);
  const inShape = byInput.map((r) => r.reduce((p, a) => p * shape[a], 1));
  return { inShape, perm: runs.map((r) => byInput.indexOf(r)) };
}

function shapeConst(ids: IdGen, name: string, dims: readonly number[]): Value {
  const data = makeConst('int64', [dims.length], dims);
  return makeValue(ids, name, { dtype: 'int64', shape: [dims.length], elems: dims }, data);
}

function reshapeNode(ids: IdGen, n: Node, x: Value, out: Value): Node {
  const target = shapeConst(ids, `${out.name}_shape`, out.type.shape as number[]);
  return Object.freeze({
    id: ids.id(), op: 'reshape', inputs: [x, target], outputs: [out], attrs: { allowzero: 0 },
    origin: n.origin,
  });
}

function rewrite(n: Node, ids: IdGen): Node[] | null {
  const x = n.inputs[0];
  if (n.op !== 'transpose' || !x || !x.type.shape.every((d) => typeof d === 'number')) return null;
  if (x.type.sequence || x.type.optional) return null;
  const shape = x.type.shape as number[], perm = n.attrs.perm as readonly number[] | undefined;
  if (!perm || perm.length !== shape.length) return null;
  const c = coalescePerm(shape, perm);
  if (c.perm.length === shape.length) return null;
  const y = n.outputs[0];
  if (c.perm.every((a, i) => a === i)) return [reshapeNode(ids, n, x, y)];
  const xm = makeValue(ids, `${x.name}_coalesced`, { dtype: x.type.dtype, shape: c.inShape });
  const ymType = { dtype: y.type.dtype, shape: c.perm.map((a) => c.inShape[a]) };
  const ym = makeValue(ids, `${y.name}_coalesced`, ymType);
  const t = Object.freeze({ ...n, inputs: [xm], outputs: [ym], attrs: { ...n.attrs, perm: c.perm } });
  return [reshapeNode(ids, n, x, xm), t, reshapeNode(ids, n, ym, y)];
}

export function coalesceTranspose(f: Func, ids: IdGen): Func {
  const nodes = f.nodes.flatMap((n) => rewrite(n, ids) ?? [n]);
  return Object.freeze({ ...f, nodes });
}
