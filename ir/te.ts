// Tensor expressions: the contract between op lowerings and the kernel builder.
// An op sees its inputs as TensorAccess (a shape and an `at(index)` that yields a scalar
// expression: a load from a buffer, or the inlined computation of a fused producer). It answers
// either with a `compute` (the value of each output element, for elementwise and injective ops,
// which the fuser may inline into consumers) or with a `kernel` body that writes its outputs
// through OutputSinks (anchors such as conv, matmul, pooling, reductions; a sink's `store` applies
// any fused elementwise epilogue). compiler/lower turns groups of these into tir Kernels.

import type { DType } from './dtype.js';
import type { Dim } from './dim.js';
import type { Attrs, ConstData, TensorType } from './graph.js';
import type { Buffer, Expr, Stmt, Var } from './tir.js';

export interface TensorAccess {
  readonly dtype: DType;
  /** Extents as int64 tir expressions (constants or kernel scalar parameters). */
  readonly shape: readonly Expr[];
  /** Value at a multi-index (one int64 expression per axis). */
  at(idx: readonly Expr[]): Expr;
  /** The backing buffer when the tensor is materialised in memory (row-major, contiguous). */
  readonly buffer?: Buffer;
}

export interface OutputSink {
  readonly dtype: DType;
  readonly shape: readonly Expr[];
  /** Statement storing `value` at `idx`, through the fused epilogue if any. */
  store(idx: readonly Expr[], value: Expr): Stmt;
  /**
   * Whether `store` can take a whole vector along the last axis (epilogue is elementwise and the
   * output is a plain buffer). Anchors may vectorise their innermost output axis only if true.
   */
  readonly vectorizable: boolean;
}

export interface TargetInfo {
  /** 'x86_64' | 'aarch64' | 'nvptx' */
  readonly arch: string;
  /** Lanes of a float32 vector register (16 with AVX-512, 8 with AVX2, 4 with NEON). */
  readonly vectorLanes: number;
  /** Worker threads the schedules plan for. */
  readonly threads: number;
  // The machine facts below come from codegen/target.ts; unit tests that build kernels directly
  // may leave them out, and schedule defaults then assume a common x86-64 core.
  /** Architectural vector registers. */
  readonly vectorRegisters?: number;
  /** Data cache capacities in bytes. */
  readonly caches?: { readonly l1d: number; readonly l2: number; readonly l3: number };
  /** Cores of the machine (may exceed `threads`). */
  readonly cores?: number;
}

export interface LowerCtx {
  readonly attrs: Attrs;
  readonly inputs: readonly (TensorAccess | null)[];
  readonly inTypes: readonly (TensorType | null)[];
  readonly outTypes: readonly TensorType[];
  readonly outputs: readonly OutputSink[];
  readonly target: TargetInfo;
  /**
   * Schedule knobs for this kernel, chosen by compiler/schedule (its defaults, or a tuning log).
   * A knob left out falls back to the lowering's inline default (unit tests building kernels).
   */
  readonly knobs: Readonly<Record<string, number>>;
  /**
   * The contents of input `i` when it is a compile-time constant (resize scales, say), so a
   * lowering can fold them into its formulas; absent where the caller knows no constants.
   */
  readonly constant?: (i: number) => ConstData | undefined;
  /** A symbolic or static dim as an int64 expression. */
  dim(d: Dim): Expr;
  /** A fresh loop/let variable. */
  fresh(hint: string, dtype?: DType): Var;
  /** A fresh local scratch buffer (declare it with an `alloc` statement). */
  scratch(hint: string, dtype: DType): Buffer;
}

export type Lowering =
  /** Element `idx` of output 0 (elementwise/injective ops, inlinable). */
  | { readonly kind: 'compute'; at(idx: readonly Expr[]): Expr }
  /** A statement that writes every element of every output through ctx.outputs. */
  | { readonly kind: 'kernel'; readonly body: Stmt };
