// The plan program lowering works from (compiler/lower/kernel-table.ts makes it): a function's
// groups, the kernel each calls, and the plans of its control-flow bodies; plus the dim helper
// the program and the memory plan share. Requires: fused groups. Guarantees: data only.

import { type Dim, isStatic } from '../../ir/dim.js';
import type { Func, Node, Value } from '../../ir/graph.js';
import type { Group } from '../passes/fuse.js';
import type { InPlaceConcats } from './concat-in-place.js';
import type { SymbolRange } from '../schedule/buckets.js';

export interface KernelCall {
  /** Index into the artifact's kernel table. */
  readonly index: number;
  readonly tensors: readonly Value[];
  readonly symbols: readonly string[];
}

/** A kernel specialised for a shape bucket: called when every symbol is in its range. */
export interface BucketCall extends KernelCall {
  readonly ranges: readonly SymbolRange[];
}

/** The generic kernel of a group, and the bucket kernels the VM picks before it (none untuned). */
export interface ProgramKernel extends KernelCall {
  readonly buckets: readonly BucketCall[];
}

/** A function ready for program lowering: its groups, their kernels, and its bodies' plans. */
export interface Plan {
  readonly func: Func;
  readonly groups: readonly Group[];
  readonly calls: ReadonlyMap<Group, ProgramKernel>;
  readonly bodies: ReadonlyMap<Node, ReadonlyMap<string, Plan>>;
  /** The concats whose inputs are written straight into their output (concat-in-place.ts). */
  readonly inPlace: InPlaceConcats;
}

/** The single variable a dim consists of, if it is just that. */
export function plainVar(d: Dim): string | undefined {
  if (isStatic(d) || d.terms.length !== 1 || d.constant !== 0) return undefined;
  const t = d.terms[0];
  return t.coef === 1 && t.atoms.length === 1 && t.atoms[0].kind === 'var' ? t.atoms[0].name : undefined;
}

