// The graph IR: a module holds a main function; a function holds its inputs, outputs and nodes in
// topological order. Every value has a TensorType whose dims may be symbolic. Constants (ONNX
// initializers and folded values) carry their bytes. Nodes name a kestrel op (see ir/ops) and keep
// the ONNX node name and op type they came from, so errors can speak the user's language.
// Control-flow nodes hold their bodies as Func-valued attributes (structured, never flattened);
// a body may read values of enclosing functions directly (captures).

import type { DType } from './dtype.js';
import { type Dim, dimKey } from './dim.js';

export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  /**
   * Known contents of a small integer tensor (rank 0 or 1), element by element, as dims: what
   * Shape, Gather-on-a-shape, Concat of shapes... compute. Values with known contents never need a
   * kernel: the VM computes their elements with integer instructions when anything reads them.
   */
  readonly elems?: readonly Dim[];
  /**
   * The value is an ONNX sequence of tensors (a VM sequence register), not a tensor: `dtype` and
   * `shape` then describe its elements (dims that differ between elements are symbols).
   */
  readonly sequence?: boolean;
  /** Sequences only: the elements' rank is not known (an empty sequence, an undeclared shape). */
  readonly unranked?: boolean;
  /** An ONNX optional: a register that is empty or holds a value of the rest of this type. */
  readonly optional?: boolean;
}

/** Constant tensor data: little-endian bytes of a row-major tensor with static dims. */
export interface ConstData {
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly bytes: Uint8Array;
}

export interface Value {
  readonly id: number;
  /** Name in the source model (ONNX value name) or a generated one. */
  readonly name: string;
  readonly type: TensorType;
  /** Present when the value is a compile-time constant. */
  readonly data?: ConstData;
}

export type AttrValue =
  | number | string | boolean
  | readonly number[] | readonly string[]
  | ConstData | Func;

export type Attrs = Readonly<Record<string, AttrValue>>;

export interface Node {
  readonly id: number;
  /** kestrel op name (a key of the op registry). */
  readonly op: string;
  /** Optional inputs that ONNX leaves empty are null. */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
  /** Where the node came from, for errors: the ONNX node name and op type. */
  readonly origin: { readonly name: string; readonly opType: string };
  /** Relations between dims that shape inference assumed but could not prove (see ShapeCheck). */
  readonly checks?: readonly ShapeCheck[];
}

/**
 * A relation between symbolic dims that the node's shape relation relies on but could not prove
 * at compile time (a broadcast, matching inner dims): the VM checks it before the node runs and
 * fails the run with KR0204 otherwise. It holds when the two dims of at least one pair are equal.
 * `message` is the whole error text; each `{}` in it stands for the run-time value of the next
 * dim of `args`, in order.
 */
export interface ShapeCheck {
  readonly anyOf: readonly (readonly [Dim, Dim])[];
  readonly message: string;
  readonly args: readonly Dim[];
}

/** A key for the relation a check tests (its pairs, dims in normal form). */
export function checkKey(c: ShapeCheck): string {
  return c.anyOf.map(([a, b]) => `${dimKey(a)}=${dimKey(b)}`).join('|');
}

export interface Func {
  readonly name: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  /** In topological order. */
  readonly nodes: readonly Node[];
}

export interface Module {
  readonly main: Func;
  /** Symbolic dimension variables of the main inputs, in order of first appearance. */
  readonly symbols: readonly string[];
  /** Where the model came from: producer, opset, content hash. */
  readonly source: {
    readonly producer: string;
    readonly opset: number;
    readonly sha256: string;
  };
}

/** Allocates value and node ids for one module; passes share it to keep ids unique. */
export class IdGen {
  private next = 0;
  constructor(start = 0) { this.next = start; }
  id(): number { return this.next++; }
}

export function makeValue(ids: IdGen, name: string, type: TensorType, data?: ConstData): Value {
  return Object.freeze(data ? { id: ids.id(), name, type, data } : { id: ids.id(), name, type });
}

export function isConst(v: Value | null | undefined): v is Value & { data: ConstData } {
  return !!v && v.data !== undefined;
}

/** Number of elements of a static shape. */
export function numel(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

export function isFunc(a: AttrValue | undefined): a is Func {
  return typeof a === 'object' && a !== null && 'nodes' in a && 'outputs' in a;
}

/** The bodies of a control-flow node (its Func-valued attributes), in attribute order. */
export function bodiesOf(n: Node): Func[] {
  return Object.values(n.attrs).filter(isFunc);
}

/**
 * Values a function (and the functions nested in it) reads without defining them: captures from
 * enclosing scopes. Constants are excluded; they are available everywhere.
 */
export function capturedValues(f: Func): Value[] {
  const defined = new Set<number>(f.inputs.map((v) => v.id));
  const seen = new Map<number, Value>();
  const use = (v: Value | null) => {
    if (v && !v.data && !defined.has(v.id)) seen.set(v.id, v);
  };
  for (const n of f.nodes) {
    n.inputs.forEach(use);
    for (const b of bodiesOf(n)) capturedValues(b).forEach(use);
    for (const v of n.outputs) defined.add(v.id);
  }
  f.outputs.forEach(use);
  return [...seen.values()];
}

/** Everything a node reads: its inputs and, for control flow, the values its bodies capture. */
export function nodeReads(n: Node): Value[] {
  const out = n.inputs.filter((v): v is Value => v !== null);
  for (const b of bodiesOf(n)) out.push(...capturedValues(b));
  return out;
}
