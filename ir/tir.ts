// The loop-level tensor IR: what one kernel does, as loops, loads, stores and scalar expressions
// over flat buffers. Op lowerings build it (usually through the tensor-expression helpers in
// te.ts), schedules shape it (split, unroll, vectorize, parallel), and codegen/llvm turns it
// into LLVM IR. Nodes are immutable plain objects with a `kind` tag.
//
// Semantics that codegen relies on:
// - Index arithmetic is int64. Buffers are flat; `index` is an element offset.
// - `for` with loop 'vectorize' has a constant extent (the vector width); its body runs for all
//   lanes at once. A lane-varying `if` condition predicates stores (masked), and a lane-varying
//   `select` whose arm loads memory masks that load, so padding and tails never read out of bounds.
// - `for` with loop 'unroll' has a constant extent and is fully unrolled by codegen.
// - `for` with loop 'parallel' runs its iterations on the runtime's thread pool; it must not be
//   nested inside another parallel loop. Iterations must be independent.
// - `alloc` declares a kernel-local scratch buffer of constant size (registers or stack).
// - `assert` makes the kernel return `code` (a nonzero status) when `cond` is false.
// ir/tir-verify.ts checks these rules (and scoping and dtypes) on every kernel before codegen.

import type { DType } from './dtype.js';

export type BinOp =
  | 'add' | 'sub' | 'mul' | 'div' // div: float division, or integer division truncating to zero
  | 'floordiv' | 'mod' // integer floor division and floor remainder (sign of divisor)
  | 'min' | 'max' | 'pow'
  | 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge' // result dtype is 'bool'
  | 'and' | 'or' | 'xor' // bitwise on integers, logical on bool
  // int32 only: sum over the four bytes j of u8(a byte j) * s8(b byte j), little-endian bytes
  // (the 8-bit dot product of x86 VNNI vpdpbusd; add(acc, dot4(a, b)) becomes one instruction)
  | 'dot4';

export type UnOp =
  | 'neg' | 'not' | 'abs' | 'exp' | 'log' | 'sqrt' | 'rsqrt' | 'tanh' | 'erf' | 'sigmoid'
  | 'floor' | 'ceil' | 'round' | 'sin' | 'cos' | 'atan' | 'sign' | 'isnan' | 'isinf' | 'reciprocal';

export interface Buffer {
  readonly kind: 'buffer';
  readonly name: string;
  readonly dtype: DType;
  /** 'param': passed by the VM; 'local': kernel scratch declared by an `alloc`. */
  readonly scope: 'param' | 'local';
}

export interface Var {
  readonly kind: 'var';
  readonly name: string;
  readonly dtype: DType;
}

export type Expr =
  | { readonly kind: 'const'; readonly dtype: DType; readonly value: number }
  | Var
  | { readonly kind: 'binary'; readonly op: BinOp; readonly a: Expr; readonly b: Expr; readonly dtype: DType }
  | { readonly kind: 'unary'; readonly op: UnOp; readonly a: Expr; readonly dtype: DType }
  /** A value conversion; with `bits`, the same bits read as `dtype` (equal widths, ONNX BitCast). */
  | { readonly kind: 'cast'; readonly a: Expr; readonly dtype: DType; readonly bits?: true }
  | {
    readonly kind: 'select'; readonly cond: Expr; readonly a: Expr; readonly b: Expr; readonly dtype: DType;
  }
  | { readonly kind: 'load'; readonly buf: Buffer; readonly index: Expr; readonly dtype: DType };

export type LoopKind = 'serial' | 'parallel' | 'vectorize' | 'unroll';

export type Stmt =
  | { readonly kind: 'for'; readonly var: Var; readonly min: Expr; readonly extent: Expr;
      readonly loop: LoopKind; readonly body: Stmt }
  | { readonly kind: 'store'; readonly buf: Buffer; readonly index: Expr; readonly value: Expr }
  | { readonly kind: 'seq'; readonly body: readonly Stmt[] }
  | { readonly kind: 'if'; readonly cond: Expr; readonly then: Stmt; readonly else?: Stmt }
  | { readonly kind: 'let'; readonly var: Var; readonly value: Expr; readonly body: Stmt }
  | { readonly kind: 'alloc'; readonly buf: Buffer; readonly size: number; readonly body: Stmt }
  | { readonly kind: 'assert'; readonly cond: Expr; readonly code: number };

/**
 * One kernel. The VM calls it with the data pointers of `buffers` (in order) and the int64 values
 * of `scalars` (in order). Codegen emits it as
 *   i32 @name(%kestrel.ctx* ctx, i8** bufs, i64* scalars)   (see native/include/kestrel_kernel.h)
 * returning 0, or the code of the first failed `assert`.
 */
export interface Kernel {
  readonly name: string;
  readonly buffers: readonly Buffer[];
  readonly scalars: readonly Var[];
  readonly body: Stmt;
}
