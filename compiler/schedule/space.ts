// The vocabulary of schedule spaces: a kernel family declares, for the knobs its lowering reads
// (`knob(ctx.knobs, name, fallback)` in ir/ops), the candidate values a tuner may try, the default
// picked from the target's features, and the legality rules over a whole knob assignment.
// Requires: nothing beyond ir/. Guarantees: declarations are frozen data plus pure functions; a
// family's knob names are unique (checked by defineFamily).

import type { Node } from '../../ir/graph.js';
import type { TargetInfo } from '../../ir/te.js';
import type { Workload } from './workload.js';

export type Knobs = Readonly<Record<string, number>>;

/** What a knob's candidates and default may depend on. */
export interface KnobContext {
  readonly target: TargetInfo;
  readonly workload: Workload;
  /** The group's root node (types and attributes as the lowering sees them). */
  readonly root: Node;
}

export interface KnobSpec {
  readonly name: string;
  /** What the knob controls, for dumps and the tuner's reports. */
  readonly doc: string;
  /** Candidate values (the tuner searches these; a schedule must use one of them). */
  readonly values: (c: KnobContext) => readonly number[];
  /** The default schedule's value. */
  readonly dflt: (c: KnobContext) => number;
}

export interface Family {
  readonly name: string;
  /** Whether a group whose root is `op` belongs to this family. */
  readonly matches: (op: string) => boolean;
  readonly knobs: readonly KnobSpec[];
  /** Why a complete knob assignment is illegal, or undefined when it is legal. */
  readonly legal?: (k: Knobs, c: KnobContext) => string | undefined;
}

/** One knob in one line: `knob('mm.tm', 'rows per register tile', range(1, 8), () => 6)`. */
export function knob(name: string, doc: string, values: readonly number[] | KnobSpec['values'],
  dflt: KnobSpec['dflt']): KnobSpec {
  const vs = typeof values === 'function' ? values : () => values;
  return Object.freeze({ name, doc, values: vs, dflt });
}

/** lo, lo+1, ..., hi. */
export function range(lo: number, hi: number): readonly number[] {
  return Object.freeze(Array.from({ length: hi - lo + 1 }, (_, i) => lo + i));
}

/** Vector widths around the target's natural one (half, natural, double), in lanes. */
export const vectorWidths = (c: KnobContext): readonly number[] =>
  [c.target.vectorLanes / 2, c.target.vectorLanes, c.target.vectorLanes * 2].filter((v) => v >= 1);

export const lanes = (c: KnobContext): number => c.target.vectorLanes;

/**
 * Legality of a register tile of `tiles` accumulators of `lanesEach` lanes. A tile may spill a
 * little (the defaults for 16-register targets do), but one needing more than twice the vector
 * register file reloads and stores most accumulators on every FMA of the reduction, so such
 * tiles are left out of the space (with 32 registers when the target does not say).
 */
export function tileFits(what: string, tiles: number, lanesEach: number, c: KnobContext): string | undefined {
  const regs = tiles * Math.ceil(lanesEach / c.target.vectorLanes);
  const limit = 2 * (c.target.vectorRegisters ?? 32);
  return regs > limit ? `${what} needs ${regs} accumulator registers (> ${limit})` : undefined;
}

export function defineFamily(f: Family): Family {
  const names = f.knobs.map((k) => k.name);
  const dup = names.find((n, i) => names.indexOf(n) !== i);
  if (dup) throw new Error(`schedule family ${f.name}: knob ${dup} declared twice`);
  return Object.freeze({ ...f, knobs: Object.freeze([...f.knobs]) });
}
