// Keeps the 8-bit activations between integer convolutions channels-last (NHWC).
// A qconv (ir/ops/qconv.ts) vectorises over output channels: on NCHW outputs each vector of
// channels is a scatter of single bytes (no byte scatter exists, so 16 extracts and stores), and a
// fused residual add gathers its other operand the same way. Channels-last, both are one
// contiguous vector per pixel, and the next conv's pack reads contiguous words.
// This pass, in node order:
//   - gives a 4-D qconv channels-last output (outNhwc) when every reader of its output can take
//     it: a qconv_pack, or an elementwise op that converts (below);
//   - converts a qconv_pack of such a value (nhwc: channels-last words; its qconv gets inNhwc);
//   - converts an elementwise op (add, sub, mul, relu, per-tensor dequantize_linear and
//     quantize_linear) one of whose inputs is channels-last, when its other inputs are scalar
//     constants or 4-D of the output's shape (those are read channels-last: a per-tensor
//     dequantize_linear is re-emitted on its transposed input, anything else gets a transpose);
//   - gives any other reader of a converted value its NCHW form back through a transpose
//     (perm 0,3,1,2) that produces the original value.
// Requires: integer-conv and integer-max-pool have run. Guarantees: every value the function
// computed before keeps its dtype, shape and elements; channels-last twins are new values.

import { dimKey } from '../../ir/dim.js';
import { type Func, type IdGen, isConst, makeValue, type Node, nodeReads, type TensorType, type Value }
  from '../../ir/graph.js';
import { consumers, outputIds, removeDeadNodes } from './graph-util.js';

const TO_NHWC = [0, 2, 3, 1], TO_NCHW = [0, 3, 1, 2];
const ELEMENTWISE = new Set(['add', 'sub', 'mul', 'relu', 'dequantize_linear', 'quantize_linear']);
const QUANT = new Set(['dequantize_linear', 'quantize_linear']);

const shapeKey = (t: TensorType): string => t.shape.map(dimKey).join(',');
const scalarConst = (v: Value | null): boolean =>
  !v || (isConst(v) && v.type.shape.every((d) => d === 1));
const nhwcType = (t: TensorType): TensorType => ({ ...t, shape: TO_NHWC.map((a) => t.shape[a]) });

/** The inputs of an elementwise node read channels-last (their indices), or null if it can't be. */
function dataInputs(n: Node): number[] | null {
  if (!ELEMENTWISE.has(n.op) || n.outputs.length !== 1 || n.outputs[0].type.shape.length !== 4) return null;
  const out = shapeKey(n.outputs[0].type);
  if (QUANT.has(n.op)) {
    if (n.attrs.block || !n.inputs.slice(1).every(scalarConst)) return null;
    return n.inputs[0] && shapeKey(n.inputs[0].type) === out ? [0] : null;
  }
  const data = n.inputs.flatMap((v, i) => (scalarConst(v) ? [] : [i]));
  return data.every((i) => shapeKey(n.inputs[i]!.type) === out) ? data : null;
}

class Rewriter {
  readonly nodes: Node[] = [];
  /** Channels-last twins of values (by id). */
  readonly twin = new Map<number, Value>();
  /** Values no longer computed in NCHW form (their producer was converted), until restored. */
  readonly gone = new Set<number>();
  readonly byOutput = new Map<number, Node>();

  constructor(readonly ids: IdGen) {}

  node(at: Node, op: string, inputs: (Value | null)[], attrs: Node['attrs'],
    outputs: readonly Value[]): void {
    this.nodes.push(Object.freeze({ id: this.ids.id(), op, inputs, outputs, attrs: Object.freeze(attrs),
      origin: at.origin }));
  }

  /** The NCHW value v, restored by a transpose of its twin if its producer was converted. */
  nchw(v: Value, at: Node): Value {
    if (!this.gone.has(v.id)) return v;
    this.gone.delete(v.id);
    this.node(at, 'transpose', [this.twin.get(v.id)!], { perm: TO_NCHW }, [v]);
    return v;
  }

  /** v channels-last: its twin, a per-tensor dequantize re-emitted on its input's, or a transpose. */
  nhwc(v: Value, at: Node): Value {
    const have = this.twin.get(v.id);
    if (have) return have;
    const p = this.byOutput.get(v.id), t = makeValue(this.ids, `${v.name}_nhwc`, nhwcType(v.type));
    if (p && p.op === 'dequantize_linear' && dataInputs(p)) {
      this.node(p, p.op, [this.nhwc(p.inputs[0]!, at), ...p.inputs.slice(1)], p.attrs, [t]);
    } else {
      this.node(at, 'transpose', [this.nchw(v, at)], { perm: TO_NHWC }, [t]);
    }
    this.twin.set(v.id, t);
    return t;
  }

  convert(n: Node, inputs: (Value | null)[], attrs: Node['attrs'], type: TensorType): void {
    const y = n.outputs[0], t = makeValue(this.ids, `${y.name}_nhwc`, type);
    this.node(n, n.op, inputs, attrs, [t]);
    this.twin.set(y.id, t);
    this.gone.add(y.id);
  }
}

/** Whether every reader of qconv n's output takes it channels-last. */
function nhwcReaders(n: Node, uses: ReadonlyMap<number, Node[]>, outs: ReadonlySet<number>): boolean {
  const y = n.outputs[0], readers = uses.get(y.id) ?? [];
  if (y.type.shape.length !== 4 || outs.has(y.id) || readers.length === 0) return false;
  return readers.every((r) => (r.op === 'qconv_pack' && r.inputs[0]?.id === y.id && !r.attrs.nhwc)
    || (dataInputs(r)?.some((i) => r.inputs[i]?.id === y.id) ?? false));
}

function step(r: Rewriter, n: Node, uses: ReadonlyMap<number, Node[]>, outs: ReadonlySet<number>): void {
  const x = n.inputs[0];
  if (n.op === 'qconv' && nhwcReaders(n, uses, outs)) {
    const xp = x && r.twin.get(x.id), [b, h, w, c] = [0, 2, 3, 1].map((a) => n.outputs[0].type.shape[a]);
    r.convert(n, [xp ?? x, ...n.inputs.slice(1)], { ...n.attrs, inNhwc: xp ? 1 : 0, outNhwc: 1 },
      { ...n.outputs[0].type, shape: [b, h, w, c] });
    return;
  }
  if (n.op === 'qconv' && x && r.twin.has(x.id)) {
    r.node(n, n.op, [r.twin.get(x.id)!, ...n.inputs.slice(1)], { ...n.attrs, inNhwc: 1 }, n.outputs);
    return;
  }
  if (n.op === 'qconv_pack' && x && r.twin.has(x.id)) {
    const [b, c4, h, w] = n.outputs[0].type.shape;
    r.convert(n, [r.twin.get(x.id)!], { ...n.attrs, nhwc: 1 }, { dtype: 'int32', shape: [b, h, w, c4] });
    return;
  }
  const data = dataInputs(n);
  if (data && data.some((i) => r.twin.has(n.inputs[i]!.id))) {
    const ins = n.inputs.map((v, i) => (data.includes(i) ? r.nhwc(v!, n) : v));
    r.convert(n, ins, n.attrs, nhwcType(n.outputs[0].type));
    return;
  }
  for (const v of nodeReads(n)) r.nchw(v, n);
  r.nodes.push(n);
}

export function integerNhwc(f: Func, ids: IdGen): Func {
  if (!f.nodes.some((n) => n.op === 'qconv')) return f;
  const uses = consumers(f), outs = outputIds(f), r = new Rewriter(ids);
  for (const n of f.nodes) for (const v of n.outputs) r.byOutput.set(v.id, n);
  for (const n of f.nodes) step(r, n, uses, outs);
  if (r.twin.size === 0) return f;
  const last = f.nodes[f.nodes.length - 1];
  for (const v of f.outputs) r.nchw(v, last);
  return removeDeadNodes(Object.freeze({ ...f, nodes: r.nodes }));
}
