// Layout assignment: the memory layout of every tensor a kernel reads or writes. Today every
// activation is row-major (NCHW for images) and the only re-laid tensors are conv weights packed
// by pack-conv-weights ([ceil(M/L)][C][KH][KW][L], recorded here as OIHW<L>o) and matmul B
// operands packed by pack-matmul-weights ([ceil(N/L)][K][L], as KN<L>n); this step records
// those choices so that dumps, the schedule stage and a tuner see them. A blocked-activation
// (NCHWc) pass belongs here: it would choose a block per chain of convolutions, pooling and
// elementwise groups and insert conversions at the chain's boundaries.
// Requires: a fused group tree. Guarantees: pure; every kernel-group input and output is listed.

import type { Value } from '../../ir/graph.js';
import { allGroups, type GroupTree } from './fuse-tree.js';

export type Layout = string;

export interface LayoutPlan {
  /** Layout by value id. */
  readonly layouts: ReadonlyMap<number, Layout>;
  readonly values: ReadonlyMap<number, Value>;
}

function rowMajor(v: Value): Layout {
  const r = v.type.shape.length;
  return r === 4 ? 'NCHW' : `row-major/${r}`;
}

export function assignLayouts(t: GroupTree): LayoutPlan {
  const layouts = new Map<number, Layout>(), values = new Map<number, Value>();
  const set = (v: Value, l: Layout) => {
    layouts.set(v.id, l);
    values.set(v.id, v);
  };
  for (const g of allGroups(t)) {
    if (g.kind !== 'kernel') continue;
    for (const n of [g.root, ...g.epilogue]) {
      for (const v of n.inputs) if (v && !layouts.has(v.id)) set(v, rowMajor(v));
    }
    for (const v of g.outputs) set(v, rowMajor(v));
    const lanes = g.root.op === 'conv' ? g.root.attrs.packedOc : undefined;
    if (typeof lanes === 'number' && lanes > 0 && g.root.inputs[1]) set(g.root.inputs[1], `OIHW${lanes}o`);
    const panel = g.root.attrs.packedLanes; // matmul/gemm B panels (pack-matmul-weights)
    if (typeof panel === 'number' && panel > 0 && g.root.inputs[1]) set(g.root.inputs[1], `KN${panel}n`);
  }
  return { layouts, values };
}

export function printLayouts(p: LayoutPlan): string {
  const counts = new Map<Layout, number>();
  for (const l of p.layouts.values()) counts.set(l, (counts.get(l) ?? 0) + 1);
  const lines = [...counts].map(([l, n]) => `# ${l}: ${n} tensors`);
  for (const [id, l] of p.layouts) {
    if (!l.startsWith('row-major') && l !== 'NCHW') lines.push(`%${p.values.get(id)!.name}: ${l}`);
  }
  return lines.join('\n');
}
