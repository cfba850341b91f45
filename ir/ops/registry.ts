// The op record and the op table: one frozen record per kestrel op, declared in the family files
// beside this one (elementwise.ts, conv.ts, ...) with `declareOp` (declare.ts) and listed in
// index.ts, which builds the one frozen table (`opTable`). A record holds the op's traits (which
// passes query instead of switching on names), its attribute schema, its type/shape relation over
// symbolic dims, optional constant folding, and its lowering to tensor expressions. ONNX import is
// separate (compiler/frontend/onnx). Guarantees: the table never changes after module load.

import type { Dim } from '../dim.js';
import type { Attrs, ConstData, TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import type { AttrFail, AttrSchema, RankOf } from './attr-schema.js';
import type { Decomposition, VmBinding } from './bindings.js';

export type Trait =
  | 'elementwise' // output element i depends on input elements i (after broadcasting)
  | 'injective' // each output element reads a computable set of input elements (transpose, pad)
  | 'reduction' // reduces along axes
  | 'anchor' // heavy op with its own loop nest (conv, matmul, pool); may take an epilogue
  | 'view' // output shares storage with input 0 (reshape, flatten, squeeze, identity)
  | 'opaque' // none of the above; never fused
  | 'control' // structured control flow with bodies
  | 'vm' // run by VM builtins, no kernel (sequence ops): compiler/lower/vm-ops.ts
  | 'strings'; // may take or return string tensors (ir/ops/strings.ts); no other op may

/**
 * An input as a shape check's message shows it, `'name' [dims seen]`: input `i` with its shape,
 * or `{ input, dims }` with other dims (the contents of a shape input).
 */
export type CheckOperand = number | { readonly input: number; readonly dims: readonly Dim[] };

export interface InferCtx {
  /** Throws a KestrelError naming the node being inferred. */
  fail(code: string, message: string): never;
  /**
   * Records a relation between dims that the shape relation assumes but cannot prove: the VM
   * checks it before the node runs and fails with KR0204 unless the two dims of some pair of
   * `anyOf` are equal (see ShapeCheck in ir/graph.ts). In `message`, `$k` shows `operands[k]` and
   * `%k` the run-time value of `dims[k]`. A pair equal at compile time drops the check; when no
   * pair can hold, it fails at once (KC0402).
   */
  require(anyOf: readonly (readonly [Dim, Dim])[], message: string, operands?: readonly CheckOperand[],
    dims?: readonly Dim[]): void;
  /** The compile-time data of input `i` when it is a constant (shape tensors, axes, pads). */
  constant(i: number): ConstData | undefined;
  /**
   * The contents of integer input `i` (rank 0 or 1, static length) as dims: numbers for constants,
   * symbolic dims for shape computations (TensorType.elems), and otherwise data symbols that the
   * VM reads from the tensor at run time (see dataSymbol in ir/dim.ts). Undefined for inputs that
   * are absent, not integers, or too long. Use it wherever an ONNX op takes a shape as a tensor.
   */
  values(i: number): readonly Dim[] | undefined;
  /**
   * A new symbolic dim for a size known only once the op has run (a loop's trip count, a branch's
   * result shape). The VM binds it from the first tensor that has it as a dim.
   */
  fresh(hint: string): Dim;
}

export interface OpDef {
  readonly name: string;
  readonly traits: readonly Trait[];
  /**
   * The schedule family (compiler/schedule/families) whose knobs the lowering reads, for families
   * that match ops by declaration rather than by name; absent: the family decides.
   */
  readonly schedule?: string;
  /** Declared attributes (declareOp); absent for records written before schemas existed. */
  readonly attrSchema?: AttrSchema;
  /** The complete, validated, normalised attributes a node of this op stores (declareOp). */
  canonicalAttrs?(attrs: Attrs, rank: RankOf, fail: AttrFail): Attrs;
  /** Output types from input types and attributes; calls ctx.fail on invalid input. */
  infer(inputs: readonly (TensorType | null)[], attrs: Attrs, ctx: InferCtx): TensorType[];
  /** Evaluates the op on constant inputs (small tensors only); undefined when it cannot. */
  fold?(inputs: readonly (ConstData | null)[], attrs: Attrs, outTypes: readonly TensorType[]): ConstData[]
    | undefined;
  /** The op as other ops, expanded when the frontend emits a node of it (ir/ops/bindings.ts). */
  readonly decompose?: Decomposition;
  /** The VM instruction a node of this 'vm' op runs as (ir/ops/bindings.ts). */
  readonly vm?: VmBinding;
  /** Lowering to tensor expressions; absent for views, VM ops and decomposed ops. */
  lower?(ctx: LowerCtx): Lowering;
}

/** The frozen table of `defs`; a name declared twice is an error. */
export function opTable(defs: readonly OpDef[]): ReadonlyMap<string, OpDef> {
  const m = new Map<string, OpDef>();
  for (const d of defs) {
    if (m.has(d.name)) throw new Error(`op '${d.name}' declared twice`);
    m.set(d.name, Object.freeze(d));
  }
  return new FrozenMap(m);
}

/** A map whose mutators throw, so the op table stays what index.ts built. */
class FrozenMap<K, V> extends Map<K, V> {
  private sealed = false;
  constructor(from: Map<K, V>) {
    super(from);
    this.sealed = true;
    Object.freeze(this);
  }
  override set(k: K, v: V): this {
    if (this.sealed) throw new Error('internal: the op table is frozen');
    return super.set(k, v);
  }
  override delete(): boolean { throw new Error('internal: the op table is frozen'); }
  override clear(): void { throw new Error('internal: the op table is frozen'); }
}
