// The artifact's debug table (manifest field "debug"), collected while the VM program is lowered:
// what the runtime needs to report errors and profiles in ONNX terms instead of VM terms.
//   nodes:   [name, op type] of every ONNX node behind a kernel call, each listed once;
//   calls:   [word offset of the call_kernel instruction, kernel index, node indices (root first),
//            FLOPs or null] per call site; FLOPs is an expression over the call's scalar arguments
//            (encodeDim) that the runtime evaluates only when profiling;
//   tensors: [register, ONNX tensor name, producing node index (kernel outputs)] for registers that
//            hold a named tensor;
//   status:  kernel assert status -> what it checks (ir/kernel-status.ts);
//   groups:  [word offset, node index]: where the instructions of each group (its shape
//            arithmetic, checks, allocation, call) begin, ascending, so that a VM failure there
//            can name the ONNX node.
// Compact on purpose: numbers and short arrays, one entry per call site, not per instruction.

import { type Atom, type Dim, isStatic } from '../../ir/dim.js';
import type { Node, Value } from '../../ir/graph.js';
import { KERNEL_STATUS_TEXT } from '../../ir/kernel-status.js';
import type { Group } from '../passes/fuse.js';
import { groupFlops } from './flops.js';

/**
 * A dim as a JSON expression the runtime evaluates: a number; ["s", k] for scalar argument k of
 * the kernel call; ["+" | "*", ...operands]; [op, a, b] for floordiv, mod, min and max.
 */
export type DimExpr = number | readonly [string, ...DimExpr[]];

export interface DebugTable {
  readonly nodes: readonly (readonly [string, string])[];
  readonly calls: readonly (readonly [number, number, readonly number[], DimExpr | null])[];
  readonly tensors: readonly (readonly [number, string] | readonly [number, string, number])[];
  readonly status: Readonly<Record<string, string>>;
  readonly groups: readonly (readonly [number, number])[];
}

/** Encodes `d` over the call's scalar arguments; undefined when it uses any other symbol. */
export function encodeDim(d: Dim, scalars: readonly string[]): DimExpr | undefined {
  if (isStatic(d)) return d;
  const terms: DimExpr[] = [d.constant];
  for (const t of d.terms) {
    const atoms = t.atoms.map((a) => encodeAtom(a, scalars));
    if (atoms.some((a) => a === undefined)) return undefined;
    terms.push(['*', t.coef, ...(atoms as DimExpr[])]);
  }
  return ['+', ...terms];
}

function encodeAtom(a: Atom, scalars: readonly string[]): DimExpr | undefined {
  if (a.kind === 'var') {
    const k = scalars.indexOf(a.name);
    return k < 0 ? undefined : ['s', k];
  }
  const [x, y] = [encodeDim(a.a, scalars), encodeDim(a.b, scalars)];
  return x === undefined || y === undefined ? undefined : [a.kind, x, y];
}

export class DebugCollector {
  private readonly nodes: [string, string][] = [];
  private readonly nodeIndex = new Map<string, number>();
  private readonly calls: [number, number, number[], DimExpr | null][] = [];
  private readonly groups: [number, number][] = [];
  private readonly tensors = new Map<number, readonly [number, string] | readonly [number, string, number]>();

  /** A call_kernel at word offset `at` running group `g` with scalar arguments `scalars`. */
  call(at: number, kernel: number, g: Group, scalars: readonly string[]): void {
    const nodes = [g.root, ...g.epilogue].map((n) => this.node(n));
    const flops = groupFlops(g);
    const expr = flops === undefined ? undefined : encodeDim(flops, scalars);
    this.calls.push([at, kernel, [...new Set(nodes)], expr ?? null]);
  }

  /** The instructions of group `g` start at word offset `at`. */
  group(at: number, g: Group): void {
    const node = this.node(g.root);
    const last = this.groups[this.groups.length - 1];
    if (last && last[0] === at) last[1] = node; // the previous group emitted nothing
    else this.groups.push([at, node]);
  }

  /** Register `reg` holds value `v` (named after its ONNX tensor), computed by node `by` if given. */
  tensor(reg: number, v: Value, by?: Node): void {
    this.tensors.set(reg, by ? [reg, v.name, this.node(by)] : [reg, v.name]);
  }

  table(): DebugTable {
    return {
      nodes: this.nodes, calls: this.calls, tensors: [...this.tensors.values()],
      status: Object.fromEntries(Object.entries(KERNEL_STATUS_TEXT)), groups: this.groups,
    };
  }

  private node(n: Node): number {
    const key = `${n.origin.name}\u0000${n.origin.opType}`;
    let i = this.nodeIndex.get(key);
    if (i === undefined) {
      i = this.nodes.length;
      this.nodes.push([n.origin.name, n.origin.opType]);
      this.nodeIndex.set(key, i);
    }
    return i;
  }
}
