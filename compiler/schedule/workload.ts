// Workload keys: what identifies a kernel's loop nest for a tuner, independent of the model it
// came from. A workload is the group's root op and schedule family, the dtypes and shapes of
// everything the kernel reads and writes (static dims as numbers, symbolic dims in a canonical
// form whose variables are renamed $0, $1... in order of appearance), whether each input is a
// compile-time constant, the root's attributes and the fused epilogue (ops, attributes, extra
// inputs). Requires: a kernel group from compiler/passes/fuse.ts. Guarantees: the key is a
// deterministic JSON string — the same group in any model, compile or process gives the same key,
// and node, value and symbol names never enter it.

import { type Dim, dimKey, dimVars, substDim, sym } from '../../ir/dim.js';
import type { AttrValue, Attrs, Node, Value } from '../../ir/graph.js';
import { isFunc } from '../../ir/graph.js';
import type { Group } from '../passes/fuse.js';

export interface TensorSig {
  readonly dtype: string;
  readonly shape: readonly (number | string)[];
  /** A compile-time constant (weights the kernel may assume fixed). */
  readonly const?: true;
}

export interface EpilogueSig {
  readonly op: string;
  readonly attrs: Readonly<Record<string, unknown>>;
  /** Its inputs: 'acc' for the running value of the group, null for an absent optional one. */
  readonly inputs: readonly (TensorSig | 'acc' | null)[];
}

export interface Workload {
  readonly family: string;
  readonly op: string;
  readonly inputs: readonly (TensorSig | null)[];
  readonly outputs: readonly TensorSig[];
  readonly attrs: Readonly<Record<string, unknown>>;
  readonly epilogue: readonly EpilogueSig[];
  /**
   * The model's symbol behind each canonical name: `symbols[i]` is `$i` (not part of the key;
   * shape buckets name their symbols canonically and dispatch binds them back through this).
   */
  readonly symbols: readonly string[];
}

/** Renames the symbols of a group's shapes $0, $1... in order of first appearance. */
class Canon {
  private readonly names = new Map<string, Dim>();

  /** The model symbols renamed so far, in canonical order. */
  get symbols(): string[] { return [...this.names.keys()]; }

  dim(d: Dim): number | string {
    if (typeof d === 'number') return d;
    for (const v of dimVars(d)) if (!this.names.has(v)) this.names.set(v, sym(`$${this.names.size}`));
    return dimKey(substDim(d, this.names));
  }

  sig(v: Value): TensorSig {
    const shape = v.type.shape.map((d) => this.dim(d));
    return v.data ? { dtype: v.type.dtype, shape, const: true } : { dtype: v.type.dtype, shape };
  }
}

/** Attribute values as plain JSON, keys sorted; bodies and constant tensors by their type only. */
function attrJson(a: Attrs): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of Object.keys(a).sort()) out[k] = attrValue(a[k]);
  return out;
}

function attrValue(v: AttrValue): unknown {
  if (isFunc(v)) return { func: v.inputs.length };
  if (typeof v === 'object' && v !== null && 'bytes' in v) return { const: v.dtype, shape: v.shape };
  return v;
}

export function workloadOf(g: Group, family: string): Workload {
  const c = new Canon();
  const inputs = g.root.inputs.map((v) => (v ? c.sig(v) : null));
  const outputs = g.outputs.map((v) => c.sig(v));
  let prev = g.root.outputs[0];
  const epilogue = g.epilogue.map((n: Node): EpilogueSig => {
    const from = prev;
    prev = n.outputs[0];
    const inputs = n.inputs.map((v) => (v === null ? null : v.id === from.id ? 'acc' as const : c.sig(v)));
    return { op: n.op, attrs: attrJson(n.attrs), inputs };
  });
  return { family, op: g.root.op, inputs, outputs, attrs: attrJson(g.root.attrs), epilogue,
    symbols: c.symbols };
}

/** The stable string a tuning log stores (JSON of the workload, fields in a fixed order). */
export function workloadKey(w: Workload): string {
  return JSON.stringify([w.family, w.op, w.inputs, w.outputs, w.attrs, w.epilogue]);
}
