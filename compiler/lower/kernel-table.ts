// Lowers every kernel group of a fused tree to a tir kernel with the knobs the schedule stage
// chose, deduplicating identical kernels (named kestrel_k<i>_<ops>), and builds the program
// plans (per function: its groups, their kernel calls, its bodies' plans). A group with bucket
// schedules also gets one kernel per bucket (named with its range, e.g. `..._seq33to64`) unless
// that kernel is identical to the generic one.
// Requires: a schedule for every kernel group. Guarantees: kernel indices follow the tree's
// lowering order (groups in order, bodies right after their control node).

import type { Node } from '../../ir/graph.js';
import type { Kernel } from '../../ir/tir.js';
import type { TargetInfo } from '../../ir/te.js';
import type { GroupTree } from '../passes/fuse-tree.js';
import type { Group } from '../passes/fuse.js';
import type { KernelSchedule } from '../schedule/schedule.js';
import { planInPlaceConcats } from './concat-in-place.js';
import { lowerGroup } from './kernel.js';
import type { KernelCall, Plan, ProgramKernel } from './plan.js';
import { rangeSuffix } from '../schedule/buckets.js';
import type { Knobs } from '../schedule/space.js';

/** Where a bucket schedule ended up: the kernel the VM runs for that range of one workload. */
export interface BucketKernel {
  readonly workload: string;
  readonly bucket: string;
  /** The kernel's name, or undefined when it is the generic kernel (no dispatch needed). */
  readonly kernel: string | undefined;
}

export interface LoweredKernels {
  readonly kernels: readonly Kernel[];
  readonly plan: Plan;
  readonly buckets: readonly BucketKernel[];
}

class KernelTable {
  readonly kernels: Kernel[] = [];
  readonly buckets = new Map<string, BucketKernel>();
  private readonly byKey = new Map<string, number>();

  constructor(private readonly target: TargetInfo,
    private readonly schedules: ReadonlyMap<Group, KernelSchedule>) {}

  plan(t: GroupTree): Plan {
    const calls = new Map<Group, ProgramKernel>();
    const bodies = new Map<Node, Map<string, Plan>>();
    const inPlace = planInPlaceConcats(t.func, t.groups);
    for (const g of t.groups) {
      if (g.kind === 'kernel' && !inPlace.concats.has(g)) calls.set(g, this.kernel(g));
      const trees = t.bodies.get(g.root);
      if (trees) bodies.set(g.root, new Map([...trees].map(([k, b]) => [k, this.plan(b)])));
    }
    return { func: t.func, groups: t.groups, calls, bodies, inPlace };
  }

  private kernel(g: Group): ProgramKernel {
    const s = this.schedules.get(g);
    if (!s) throw new Error(`internal: no schedule for the group of '${g.root.origin.name}'`);
    const generic = this.intern(g, s.knobs, '');
    // A bucket whose kernel is the generic one (knobs its path ignores) needs no dispatch.
    const buckets = s.buckets.map((b) => ({ ...this.intern(g, b.knobs, `_${rangeSuffix(b.ranges)}`),
      ranges: b.ranges, bucket: b.bucket })).filter((b) => {
      const same = b.index === generic.index;
      this.buckets.set(`${s.key}\n${b.bucket}`, { workload: s.key, bucket: b.bucket,
        kernel: same ? undefined : this.kernels[b.index].name });
      return !same;
    });
    return { ...generic, buckets };
  }

  /** The index of the kernel of `g` with `knobs` (named with `suffix` when it is new). */
  private intern(g: Group, knobs: Knobs, suffix: string): KernelCall {
    const low = lowerGroup(g, this.target, knobs);
    let index = this.byKey.get(low.key);
    if (index === undefined) {
      index = this.kernels.length;
      this.byKey.set(low.key, index);
      const ops = [g.root, ...g.epilogue].map((n) => n.op).join('_');
      const name = `kestrel_k${index}_${ops}`.slice(0, 120 - suffix.length) + suffix;
      this.kernels.push({ ...low.kernel, name: name.slice(0, 160) });
    }
    return { index, tensors: low.tensors, symbols: low.symbols };
  }
}

export function lowerKernels(t: GroupTree, target: TargetInfo,
  schedules: ReadonlyMap<Group, KernelSchedule>): LoweredKernels {
  const table = new KernelTable(target, schedules);
  const plan = table.plan(t);
  return { kernels: table.kernels, plan, buckets: [...table.buckets.values()] };
}
