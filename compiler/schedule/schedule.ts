// The schedule stage: for every kernel group it finds the schedule family, the workload key and
// the knobs the lowering will read — the family's defaults for the target, overridden by a
// schedule handed in for that workload (from a tuning log, or the API's `schedules` option).
// Requires: kernel groups from fuse. Guarantees: every knob a family declares gets a value; a
// schedule naming an unknown knob, a value outside the knob's candidates, or an illegal
// combination fails with KC0701 naming the ONNX node and the workload — unless the caller hands
// `onStale` (schedules read from a tuning log, which may predate a change to a family's knobs):
// then such a schedule is reported through it and the defaults are used. A schedule for a
// workload the model does not have is ignored (logs hold many models).

import type { Node } from '../../ir/graph.js';
import type { TargetInfo } from '../../ir/te.js';
import { Codes, fail } from '../diagnostics.js';
import { allGroups, type GroupTree } from '../passes/fuse-tree.js';
import type { Group } from '../passes/fuse.js';
import { bucketRanges, parseBucket, rangeText, type SymbolRange } from './buckets.js';
import { familyOf } from './families/index.js';
import type { Family, KnobContext, Knobs } from './space.js';
import { gpuDefaults, isGpu } from './gpu.js';
import { type Workload, workloadKey, workloadOf } from './workload.js';

/**
 * A schedule is plain data: the knobs to use for one workload. With `bucket` (a shape bucket of
 * the workload's symbols, compiler/schedule/buckets.ts) it is the schedule of a specialised kernel
 * that runs where the symbols are in the bucket's range; without, that of the generic kernel.
 */
export interface Schedule {
  readonly workload: string;
  readonly knobs: Knobs;
  readonly bucket?: string;
}

/** Generic schedules by workload key, and per workload its bucket schedules (bucket -> knobs). */
export interface ScheduleMap {
  readonly generic: ReadonlyMap<string, Knobs>;
  readonly buckets: ReadonlyMap<string, ReadonlyMap<string, Knobs>>;
}

/** A later entry for the same workload (and bucket) replaces an earlier one. */
export function scheduleMap(schedules: readonly Schedule[] = []): ScheduleMap {
  const generic = new Map<string, Knobs>(), buckets = new Map<string, Map<string, Knobs>>();
  for (const s of schedules) {
    if (s.bucket === undefined) { generic.set(s.workload, s.knobs); continue; }
    const per = buckets.get(s.workload) ?? new Map<string, Knobs>();
    buckets.set(s.workload, per.set(s.bucket, s.knobs));
  }
  return { generic, buckets };
}

/** A kernel specialised for a shape bucket: its knobs and the symbol ranges it runs for. */
export interface BucketSchedule {
  readonly bucket: string;
  readonly ranges: readonly SymbolRange[];
  readonly knobs: Knobs;
}

export interface KernelSchedule {
  readonly family: string;
  readonly workload: Workload;
  readonly key: string;
  /** Every knob of the family, with its value. */
  readonly knobs: Knobs;
  /** Every knob's candidate values (what a tuner searches; legality still applies). */
  readonly space: Readonly<Record<string, readonly number[]>>;
  /** 'default': the family's defaults; 'given': a schedule handed to the compiler was applied. */
  readonly source: 'default' | 'given';
  /** Bucket-specialised kernels beside the generic one (none without bucket schedules). */
  readonly buckets: readonly BucketSchedule[];
}

/** The family's default for every knob (GPU targets: with compiler/schedule/gpu.ts's over it). */
export function defaultKnobs(f: Family, c: KnobContext): Knobs {
  const dflt = Object.fromEntries(f.knobs.map((k) => [k.name, k.dflt(c)]));
  return Object.freeze(isGpu(c.target) ? { ...dflt, ...gpuDefaults(f, c) } : dflt);
}

function checkGiven(f: Family, c: KnobContext, given: Knobs, root: Node, key: string): void {
  const where = { node: root.origin.name, opType: root.origin.opType, workload: key };
  for (const [name, v] of Object.entries(given)) {
    const spec = f.knobs.find((k) => k.name === name);
    if (!spec) {
      fail(Codes.SCHEDULE_INVALID, `schedule names knob '${name}', which the ${f.name} family does not have `
        + `(knobs: ${f.knobs.map((k) => k.name).join(', ') || 'none'})`, where);
    }
    const values = spec.values(c);
    if (!values.includes(v)) {
      fail(Codes.SCHEDULE_INVALID, `schedule sets ${name}=${v}; candidates are ${values.join(', ')}`, where);
    }
  }
}

/** Called with the KC0701 error of a given schedule that is skipped instead of failing. */
export type OnStaleSchedule = (e: Error) => void;

/** The given schedule's knobs over the defaults; throws KC0701 when they do not fit the family. */
function applyGiven(f: Family, c: KnobContext, over: Knobs | undefined, root: Node, key: string): Knobs {
  if (over) checkGiven(f, c, over, root, key);
  const knobs = Object.freeze({ ...defaultKnobs(f, c), ...over });
  const why = f.legal?.(knobs, c);
  if (why) {
    fail(Codes.SCHEDULE_INVALID, `illegal schedule ${JSON.stringify(knobs)}: ${why}`,
      { node: root.origin.name, opType: root.origin.opType, workload: key });
  }
  return knobs;
}

/** The given knobs over the defaults, or (a stale schedule reported to onStale) undefined. */
function tryGiven(f: Family, c: KnobContext, over: Knobs, root: Node, key: string,
  onStale?: OnStaleSchedule): Knobs | undefined {
  try {
    return applyGiven(f, c, over, root, key);
  } catch (e) {
    if (!onStale) throw e;
    onStale(e as Error);
    return undefined;
  }
}

/** The bucket schedules of a workload that fit its symbols (a malformed or foreign bucket is skipped). */
function bucketSchedules(f: Family, c: KnobContext, given: ReadonlyMap<string, Knobs> | undefined,
  root: Node, key: string, onStale?: OnStaleSchedule): BucketSchedule[] {
  const n = c.workload.symbols.length;
  const fit = [...given ?? []].map(([bucket, over]) => ({ bucket, over, values: parseBucket(bucket) }))
    .filter((b) => b.values?.length === n && n > 0);
  const ranges = bucketRanges(fit.map((b) => b.values!), c.workload.symbols);
  return fit.flatMap((b, i) => {
    const knobs = tryGiven(f, c, b.over, root, key, onStale);
    return knobs ? [{ bucket: b.bucket, ranges: ranges[i], knobs }] : [];
  });
}

/** The schedule of one kernel group. */
export function scheduleGroup(g: Group, target: TargetInfo, given: ScheduleMap = scheduleMap(),
  onStale?: OnStaleSchedule): KernelSchedule {
  const f = familyOf(g.root.op);
  const workload = workloadOf(g, f.name);
  const key = workloadKey(workload);
  const c: KnobContext = { target, workload, root: g.root };
  const over = given.generic.get(key);
  const tuned = over && tryGiven(f, c, over, g.root, key, onStale);
  const knobs = tuned ?? applyGiven(f, c, undefined, g.root, key);
  const space = Object.freeze(Object.fromEntries(f.knobs.map((k) => [k.name, k.values(c)])));
  const buckets = bucketSchedules(f, c, given.buckets.get(key), g.root, key, onStale);
  return { family: f.name, workload, key, knobs, space, source: tuned ? 'given' : 'default', buckets };
}

/** One line per scheduled kernel, for KESTREL_DUMP_IR=after:schedule. */
export function printSchedule(g: Group, s: KernelSchedule): string {
  const knobs = Object.entries(s.knobs).map(([k, v]) => `${k}=${v}`).join(' ');
  const ops = [g.root, ...g.epilogue].map((n) => n.op).join('+');
  const buckets = s.buckets.map((b) => `\n    bucket ${rangeText(b.ranges)} {${
    Object.entries(b.knobs).map(([k, v]) => `${k}=${v}`).join(' ')}}`).join('');
  const head = `${ops} '${g.root.origin.name}' [${s.family}, ${s.source}] {${knobs}}`;
  return `${head}\n    workload ${s.key}${buckets}`;
}

/** Schedules every kernel group of a fused tree (bodies included). */
export function scheduleTree(t: GroupTree, target: TargetInfo,
  given: ScheduleMap, onStale?: OnStaleSchedule): Map<Group, KernelSchedule> {
  const out = new Map<Group, KernelSchedule>();
  for (const g of allGroups(t)) if (g.kind === 'kernel') out.set(g, scheduleGroup(g, target, given, onStale));
  return out;
}

export function printSchedules(s: ReadonlyMap<Group, KernelSchedule>): string {
  return [...s].map(([g, k]) => printSchedule(g, k)).join('\n');
}
