// Task extraction: the unique kernel workloads of a model after the graph passes, fusion and
// layout (the front half of compiler/pipeline.ts), each with its schedule space, its default
// knobs, its weight (how many kernel groups of the model run it per inference) and a one-group
// module that compiles to just that kernel. The one-group module holds the group's nodes (root
// and epilogue) taken from the graph after the passes; its inputs are the values the group reads
// that are not constants, its outputs the group's. Re-running the (idempotent) graph passes on it
// changes nothing, so it fuses into the same group with the same workload key — checked here:
// a group whose module does not reproduce its key is left out of the tasks.
// With shape buckets (`bucketTasks`), a workload with symbols becomes one task per bucket: every
// combination of the values given for its symbols (the others stay 1).
// Requires: a module from the frontend. Guarantees: tasks in first-appearance order, one per key
// (and bucket).

import { dimVars } from '../../ir/dim.js';
import type { Func, Module, Node, Value } from '../../ir/graph.js';
import { type TargetDesc, targetInfo } from '../../codegen/target.js';
import { allGroups, fuseTree } from '../passes/fuse-tree.js';
import type { Group } from '../passes/fuse.js';
import { runPipeline } from '../pipeline.js';
import type { KernelSchedule } from '../schedule/schedule.js';
import { bucketText } from '../schedule/buckets.js';
import { familyOf } from '../schedule/families/index.js';
import type { KnobContext, Knobs } from '../schedule/space.js';

export interface Task {
  readonly key: string;
  readonly family: string;
  /** The root op and its fused epilogue, e.g. conv+relu. */
  readonly ops: string;
  /** The ONNX node the first group of this workload came from. */
  readonly node: string;
  /** Kernel groups of the model with this workload (runs per inference). */
  readonly weight: number;
  readonly space: Readonly<Record<string, readonly number[]>>;
  readonly defaults: Knobs;
  /** A module whose only kernel is this workload's. */
  readonly module: Module;
  /** Why a knob assignment is illegal for this workload (the family's rule), or undefined. */
  readonly legal: (k: Knobs) => string | undefined;
  /** The model symbols of the workload in canonical order (`$0`, `$1`...). */
  readonly symbols: readonly string[];
  /** The shape bucket measured: the value of each of `symbols` (1 unless `--shapes` names it). */
  readonly bucket: readonly number[];
}

/** Symbol values to tune at, by model symbol name (`--shapes seq=16,37,128`). */
export type BucketShapes = Readonly<Record<string, readonly number[]>>;

export interface TaskOptions {
  readonly target: TargetDesc;
  readonly threads?: number;
}

/** The values a group reads that nothing inside it produces and that are not constants. */
function groupInputs(nodes: readonly Node[]): Value[] {
  const made = new Set(nodes.flatMap((n) => n.outputs.map((v) => v.id)));
  const seen = new Map<number, Value>();
  for (const n of nodes) {
    for (const v of n.inputs) if (v && !v.data && !made.has(v.id) && !seen.has(v.id)) seen.set(v.id, v);
  }
  return [...seen.values()];
}

/** The one-group module of a kernel group. */
export function groupModule(g: Group, m: Module): Module {
  const nodes = [g.root, ...g.epilogue];
  const inputs = groupInputs(nodes);
  const name = `${m.main.name}_${g.root.op}`;
  const main: Func = Object.freeze({ name, inputs, outputs: g.outputs, nodes });
  const symbols = [...new Set(inputs.flatMap((v) => v.type.shape.flatMap(dimVars)))];
  return Object.freeze({ main, symbols, source: m.source });
}

/**
 * Whether every symbol of the module's output shapes is bound by its inputs. A group that reads
 * only constants but writes a run-time size (bert's position ids sliced to [1, seq]) takes that
 * size from the rest of the model and has no one-group module of its own: it is not a task.
 */
function boundByInputs(m: Module): boolean {
  const bound = new Set(m.symbols);
  return m.main.outputs.every((v) => v.type.shape.flatMap(dimVars).every((x) => bound.has(x)));
}

const opsOf = (g: Group): string => [g.root, ...g.epilogue].map((n) => n.op).join('+');

/** Tasks of a model (one per kernel workload), in order of first appearance. */
export async function extractTasks(m: Module, o: TaskOptions): Promise<Task[]> {
  const c = await runPipeline(m, { target: o.target, threads: o.threads });
  const info = targetInfo(o.target, o.threads);
  const groups = [...allGroups(fuseTree(c.func))].filter((g) => g.kind === 'kernel');
  const byKey = new Map<string, { g: Group; s: KernelSchedule; weight: number }>();
  groups.forEach((g, i) => {
    const s = c.schedules[i];
    const t = byKey.get(s.key);
    if (t) t.weight++;
    else byKey.set(s.key, { g, s, weight: 1 });
  });
  const tasks: Task[] = [];
  for (const [key, { g, s, weight }] of byKey) {
    if (Object.keys(s.space).length === 0) continue; // nothing to search
    const module = groupModule(g, m);
    if (!boundByInputs(module)) continue;
    const sub = await runPipeline(module, { target: o.target, threads: o.threads });
    if (sub.schedules.length !== 1 || sub.schedules[0].key !== key) continue;
    const ctx: KnobContext = { target: info, workload: s.workload, root: g.root };
    const f = familyOf(g.root.op);
    tasks.push(Object.freeze({
      key, family: s.family, ops: opsOf(g), node: g.root.origin.name, weight,
      space: s.space, defaults: s.knobs, module, legal: (k: Knobs) => f.legal?.(k, ctx),
      symbols: s.workload.symbols, bucket: s.workload.symbols.map(() => 1),
    }));
  }
  return tasks;
}

/** Every combination of the values of `lists`, the last varying fastest. */
const product = (lists: readonly (readonly number[])[]): number[][] =>
  lists.reduce<number[][]>((acc, vs) => acc.flatMap((a) => vs.map((v) => [...a, v])), [[]]);

/** One task per shape bucket of each workload (static workloads, and no `shapes`: unchanged). */
export function bucketTasks(tasks: readonly Task[], shapes: BucketShapes | undefined): Task[] {
  if (!shapes || !Object.keys(shapes).length) return [...tasks];
  return tasks.flatMap((t) => product(t.symbols.map((s) => shapes[s] ?? [1]))
    .map((bucket) => Object.freeze({ ...t, bucket })));
}

/** A task's identity: its workload and bucket (one workload may be tuned in several buckets). */
export const taskId = (t: Pick<Task, 'key' | 'bucket'>): string => `${t.key}\n${bucketText(t.bucket)}`;
