// Concat in place: a concat whose every input is the only result of a kernel group, read by
// nothing but the concat, gets no kernel of its own. Its output is allocated when the first of
// those producers runs, and each producer writes straight into its slice of that buffer (a
// `slice_view` register), so the activations are not copied a second time (squeezenet's fire
// modules, inception's branches). The program lowering (program.ts) and the memory plan
// (memory-plan.ts) both follow this plan.
// Requires: a function's groups in execution order. Guarantees: only static shapes whose dims
// before the axis are all 1, so every slice is one contiguous range of the output; a producer
// writes only its own slice (one output, no epilogue after the concat), and no slice is ever read
// as a tensor of its own, so nothing sees a part before the concat would have copied it.

import { isStatic } from '../../ir/dim.js';
import type { Func, Value } from '../../ir/graph.js';
import { consumers, outputIds } from '../passes/graph-util.js';
import type { Group } from '../passes/fuse.js';

/** Where one concat input lives: `offset` elements into the concat's output `out`. */
export interface ConcatSlice {
  readonly out: Value;
  /** The concat's group (its root names the node in the debug table). */
  readonly concat: Group;
  readonly offset: number;
}

export interface InPlaceConcats {
  /** Concat input value id -> its slice. */
  readonly slices: ReadonlyMap<number, ConcatSlice>;
  /** The concat groups that run no kernel. */
  readonly concats: ReadonlySet<Group>;
}

const product = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);

/** The element offset of each input of concat group `g` in its output, or undefined if not in place. */
function sliceOffsets(g: Group, f: Func, producer: ReadonlyMap<number, Group>,
  uses: ReadonlyMap<number, readonly unknown[]>): number[] | undefined {
  const n = g.root, out = g.outputs[0];
  if (g.kind !== 'kernel' || n.op !== 'concat' || g.epilogue.length > 0 || n.outputs.length !== 1) return;
  const shape = out.type.shape;
  if (!shape.every(isStatic) || out.type.sequence || out.type.optional) return;
  const dims = shape as readonly number[];
  const axis = Number(n.attrs.axis);
  if (product(dims.slice(0, axis)) !== 1 || n.inputs.length < 2) return;
  const inner = product(dims.slice(axis + 1));
  const outs = outputIds(f);
  const offsets: number[] = [];
  let at = 0;
  for (const v of n.inputs) {
    if (!v || v.data || v.type.elems || outs.has(v.id) || uses.get(v.id)?.length !== 1) return;
    if (!v.type.shape.every(isStatic)) return;
    const p = producer.get(v.id);
    if (!p || p.kind !== 'kernel' || p.outputs.length !== 1 || p.root.op === 'concat') return;
    offsets.push(at);
    at += Number(v.type.shape[axis]) * inner;
  }
  return offsets;
}

/** The concats of `f` (groups `groups`) that run in place, and where each of their inputs lives. */
export function planInPlaceConcats(f: Func, groups: readonly Group[]): InPlaceConcats {
  const producer = new Map<number, Group>();
  for (const g of groups) for (const v of g.outputs) producer.set(v.id, g);
  const uses = consumers(f);
  const slices = new Map<number, ConcatSlice>();
  const concats = new Set<Group>();
  for (const g of groups) {
    const offsets = sliceOffsets(g, f, producer, uses);
    if (!offsets) continue;
    concats.add(g);
    g.root.inputs.forEach((v, k) => slices.set(v!.id, { out: g.outputs[0], concat: g, offset: offsets[k] }));
  }
  return { slices, concats };
}
