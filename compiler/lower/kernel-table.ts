// Lowers every kernel group of a fused tree to a tir kernel with the knobs the schedule stage
// chose, deduplicating identical kernels (named kestrel_k<i>_<ops>), and builds the program
// plans (per function: its groups, their kernel calls, its bodies' plans).
// Requires: a schedule for every kernel group. Guarantees: kernel indices follow the tree's
// lowering order (groups in order, bodies right after their control node).

import type { Node } from '../../ir/graph.js';
import type { Kernel } from '../../ir/tir.js';
import type { TargetInfo } from '../../ir/te.js';
import type { GroupTree } from '../passes/fuse-tree.js';
import type { Group } from '../passes/fuse.js';
import type { KernelSchedule } from '../schedule/schedule.js';
import { lowerGroup } from './kernel.js';
import type { Plan, ProgramKernel } from './plan.js';

export interface LoweredKernels {
  readonly kernels: readonly Kernel[];
  readonly plan: Plan;
}

class KernelTable {
  readonly kernels: Kernel[] = [];
  private readonly byKey = new Map<string, number>();

  constructor(private readonly target: TargetInfo,
    private readonly schedules: ReadonlyMap<Group, KernelSchedule>) {}

  plan(t: GroupTree): Plan {
    const calls = new Map<Group, ProgramKernel>();
    const bodies = new Map<Node, Map<string, Plan>>();
    for (const g of t.groups) {
      if (g.kind === 'kernel') calls.set(g, this.kernel(g));
      const trees = t.bodies.get(g.root);
      if (trees) bodies.set(g.root, new Map([...trees].map(([k, b]) => [k, this.plan(b)])));
    }
    return { func: t.func, groups: t.groups, calls, bodies };
  }

  private kernel(g: Group): ProgramKernel {
    const s = this.schedules.get(g);
    if (!s) throw new Error(`internal: no schedule for the group of '${g.root.origin.name}'`);
    const low = lowerGroup(g, this.target, s.knobs);
    let index = this.byKey.get(low.key);
    if (index === undefined) {
      index = this.kernels.length;
      this.byKey.set(low.key, index);
      const ops = [g.root, ...g.epilogue].map((n) => n.op).join('_');
      this.kernels.push({ ...low.kernel, name: `kestrel_k${index}_${ops}`.slice(0, 120) });
    }
    return { index, tensors: low.tensors, symbols: low.symbols };
  }
}

export function lowerKernels(t: GroupTree, target: TargetInfo,
  schedules: ReadonlyMap<Group, KernelSchedule>): LoweredKernels {
  const table = new KernelTable(target, schedules);
  const plan = table.plan(t);
  return { kernels: table.kernels, plan };
}
