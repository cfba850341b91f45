// The two optional parts of an op declaration (declare.ts) that replace a lowering.
// A decomposition writes the op as other kestrel ops: the ONNX frontend expands it when it emits a
// node of the op, through a builder that emits (and type-checks) the parts, so no graph holds the
// op and no pass or lowering needs to know it. A VM-builtin binding says which VM instruction
// (runtime-vm/isa.json) a node of a 'vm' op runs as and where each operand comes from;
// compiler/lower/vm-ops.ts emits it, so such an op needs no code in the lowering.
// Requires: ir/graph.ts types and the diagnostics catalogue only. Guarantees: data and types only.

import type { DType } from '../dtype.js';
import type { Attrs, Value } from '../graph.js';
import type { Code } from '../../compiler/diagnostics.js';

/** What a decomposition may do: emit kestrel op nodes, make constants, fail naming the node. */
export interface DecomposeBuilder {
  /** The attributes the decomposed node was given (declare.ts reads them by the schema). */
  readonly attrs: Attrs;
  /** Emits one node of `op`, named after the decomposed node; returns its outputs. */
  emit(op: string, ins: readonly (Value | null)[], attrs?: Attrs): readonly Value[];
  /** Emits the node whose outputs stand for the decomposed node's outputs (their names). */
  result(op: string, ins: readonly (Value | null)[], attrs?: Attrs): readonly Value[];
  scalar(dtype: DType, value: number): Value;
  fail(code: Code, message: string): never;
}

/** A declaration's decomposition: the outputs of the decomposed node, made of other ops. */
export type Decompose<A> = (b: DecomposeBuilder, ins: readonly (Value | null)[], a: A) => readonly Value[];

/** The registry's form: attributes already read by the op's schema. */
export type Decomposition = (b: DecomposeBuilder, ins: readonly (Value | null)[]) => readonly Value[];

/**
 * Where one operand of a VM builtin comes from:
 *   { output: k }                  a fresh register defining output k
 *   { input: i }                   the register of input i (a tensor or a sequence)
 *   { inputs: 'all' }              the registers of every input (a `regs` operand)
 *   { scalar: i }                  an integer register with element 0 of input i
 *   { scalar: i, optional: true }  the same as a `regs` operand: none when input i is absent
 *   { dtypeOf: k }                 the dtype code of output k
 *   { attr: name }                 the attribute's number (u32 operands take it modulo 2^32)
 */
export type VmOperand =
  | { readonly output: number }
  | { readonly input: number }
  | { readonly inputs: 'all' }
  | { readonly scalar: number; readonly optional?: boolean }
  | { readonly dtypeOf: number }
  | { readonly attr: string };

/** A node runs as builtin `builtin` with these operands (every operand of the instruction). */
export interface VmBinding {
  readonly builtin: string;
  readonly operands: Readonly<Record<string, VmOperand>>;
}
