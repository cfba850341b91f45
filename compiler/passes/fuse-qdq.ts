// Recognises the QDQ form that onnxruntime's static quantizer writes,
//   q = quantize_linear(conv | gemm | matmul(dequantize_linear(xq), dequantize_linear(wq)
//                                              [, dequantize_linear(bias_int32)]))
// and rewrites it to what QLinearConv / QLinearMatMul compute: the anchor over the centred integers
// (xq - zx) and the constant (wq - zw), with the int32 bias, then one requantisation by
// sx*sw/sy (quantize_linear with mul) — instead of dequantising to floats, running the float op
// and quantising again (a float round trip whose roundings differ from the integer operator's).
// Requires: constant weights, bias and every scale and zero point; per-tensor activations; weight
// scales per tensor or per output channel; a bias scale equal to sx*sw (as the quantizer writes
// it); the anchor's result read only by the quantize_linear. Anything else is left as it is.
// Guarantees: the accumulation is exact (integers held in float32; see
// compiler/frontend/onnx/ops/quant.ts), so the rewritten graph computes what onnxruntime's
// integer kernels compute; the weights become constants of the centred values, so no run-time
// dequantisation of weights remains; the quantize_linear keeps its output value.
// NOTE: the next pass, integer-conv, turns the convolutions and gemms of this form into int8
// kernels with int32 accumulation; matmul anchors still run float32 arithmetic on integers.

import { constValues, makeConst } from '../../ir/const.js';
import { isFloat } from '../../ir/dtype.js';
import { type ConstData, type Func, type IdGen, isConst, makeValue, type Node,
  type Value } from '../../ir/graph.js';
import { centredConst, requantMultipliers } from '../../ir/ops/quant.js';
import { consumers, outputIds, removeDeadNodes, substitute } from './graph-util.js';

interface Match {
  readonly q: Node; readonly anchor: Node; readonly x: Node; readonly w: Node; readonly b: Node | null;
}

const ANCHORS = new Set(['conv', 'gemm', 'matmul']);
const numel = (c: ConstData) => c.shape.reduce((a, b) => a * b, 1);
const single = (v: Value | null | undefined) => !!v && isConst(v) && numel(v.data) === 1;
const constOrNull = (v: Value | null | undefined) => !v || isConst(v);

/** The weight axis that indexes the anchor's output channels. */
function weightOutAxis(anchor: Node, w: Value): number {
  if (anchor.op === 'conv') return 0;
  if (anchor.op === 'gemm') return anchor.attrs.transB ? 0 : 1;
  return w.type.shape.length - 1;
}

/** An integer dequantisation (float8 ones have no integer kernel and keep their float form). */
function isDequant(n: Node | undefined): n is Node {
  return !!n && n.op === 'dequantize_linear' && !n.attrs.block && !isFloat(n.inputs[0]!.type.dtype);
}

function weightOk(anchor: Node, w: Node): boolean {
  const [wq, sw, zw] = w.inputs;
  if (!wq || !isConst(wq) || !sw || !isConst(sw) || !constOrNull(zw)) return false;
  return numel(sw.data) === 1 || w.attrs.axis === weightOutAxis(anchor, wq);
}

/** The bias scale must be sx*sw per channel for the int32 bias to join the accumulator as is. */
function biasOk(b: Node, sx: number, sw: readonly number[]): boolean {
  const [bq, sb, zb] = b.inputs;
  if (!bq || !isConst(bq) || bq.data.dtype !== 'int32') return false;
  if (!sb || !isConst(sb) || !constOrNull(zb)) return false;
  if (zb && constValues(zb.data).some((z) => z !== 0)) return false;
  const s = constValues(sb.data);
  return s.every((v, i) => Math.abs(v - Math.fround(sx * sw[sw.length === 1 ? 0 : i])) <= 1e-6 * Math.abs(v));
}

function match(q: Node, byOutput: ReadonlyMap<number, Node>, uses: ReadonlyMap<number, Node[]>,
  outs: ReadonlySet<number>): Match | undefined {
  const [y, sy, zy] = q.inputs;
  if (q.attrs.mul || !y || !single(sy) || !constOrNull(zy) || outs.has(y.id)) return undefined;
  if (isFloat(q.outputs[0]!.type.dtype)) return undefined; // a float8 target
  if ((uses.get(y.id)?.length ?? 0) !== 1) return undefined;
  const anchor = byOutput.get(y.id);
  if (!anchor || !ANCHORS.has(anchor.op)) return undefined;
  if (anchor.op === 'gemm' && (anchor.attrs.alpha ?? 1) !== 1) return undefined;
  const [x, w, b] = anchor.inputs.map((v) => (v ? byOutput.get(v.id) : undefined));
  const perTensorX = isDequant(x) && single(x.inputs[1]) && (x.inputs[2] === null || single(x.inputs[2]));
  if (!perTensorX) return undefined;
  if (!isDequant(w) || !weightOk(anchor, w)) return undefined;
  const sx = constValues(x.inputs[1]!.data!)[0], sw = constValues(w.inputs[1]!.data!);
  if (anchor.inputs[2] && (!isDequant(b) || !biasOk(b, sx, sw))) return undefined;
  if (anchor.op === 'gemm' && anchor.inputs[2] && anchor.inputs[2].type.shape.length !== 1) return undefined;
  return { q, anchor, x, w, b: anchor.inputs[2] ? b! : null };
}

/** The centred activations, shared by every anchor that reads the same dequantize_linear. */
type CentredCache = Map<Node, Value>;

/** The replacement nodes: centred x (once per x), the anchor over integers, the requantisation. */
function rewrite(m: Match, ids: IdGen, cache: CentredCache): { anchorNodes: Node[]; q: Node } {
  const { q, anchor, x, w, b } = m;
  const node = (op: string, inputs: (Value | null)[], attrs: Node['attrs'], outputs: Value[]): Node =>
    Object.freeze({ id: ids.id(), op, inputs, outputs, attrs: Object.freeze(attrs), origin: anchor.origin });
  const cst = (name: string, data: ConstData) => makeValue(ids, name, { dtype: data.dtype,
    shape: data.shape }, data);
  const [xq, sx, zx] = x.inputs;
  const one = cst(`${xq!.name}_one`, makeConst('float32', [], [1]));
  const known = cache.get(x);
  const xc = known ?? makeValue(ids, `${xq!.name}_centred`, { dtype: 'float32', shape: xq!.type.shape });
  cache.set(x, xc);
  const [wq, sw, zw] = w.inputs;
  const wAxis = weightOutAxis(anchor, wq!);
  const wc = cst(`${wq!.name}_centred`, centredConst(wq!.data!, zw?.data, wAxis));
  const bc = b ? cst(`${b.inputs[0]!.name}_acc`, centredConst(b.inputs[0]!.data!, undefined, 0)) : null;
  const y = anchor.outputs[0];
  const acc = makeValue(ids, `${y.name}_acc`, y.type);
  const sws = constValues(sw!.data!);
  const ms = requantMultipliers(constValues(sx!.data!)[0], sws, constValues(q.inputs[1]!.data!)[0]);
  const mv = cst(`${y.name}_multiplier`, makeConst('float32', ms.length === 1 ? [] : [ms.length], ms));
  const outAxis = anchor.op === 'matmul' ? y.type.shape.length - 1 : 1;
  const inputs = anchor.op === 'matmul' ? [xc, wc] : [xc, wc, bc];
  return {
    anchorNodes: [
      ...(known ? [] : [node('dequantize_linear', [xq!, one, zx], { axis: 0, block: 0 }, [xc])]),
      Object.freeze({ ...anchor, id: ids.id(), inputs, outputs: [acc] }),
    ],
    q: Object.freeze({ ...q, inputs: [acc, mv, q.inputs[2]], attrs: Object.freeze({ ...q.attrs,
      axis: outAxis, mul: 1 }) }),
  };
}

export function fuseQdq(f: Func, ids: IdGen): Func {
  const uses = consumers(f), outs = outputIds(f);
  const byOutput = new Map<number, Node>();
  for (const n of f.nodes) for (const v of n.outputs) byOutput.set(v.id, n);
  const replace = new Map<Node, Node[]>();
  const cache: CentredCache = new Map();
  for (const q of f.nodes) {
    if (q.op !== 'quantize_linear') continue;
    const m = match(q, byOutput, uses, outs);
    if (!m || replace.has(m.anchor)) continue;
    const r = rewrite(m, ids, cache);
    replace.set(m.anchor, r.anchorNodes);
    replace.set(q, [r.q]);
  }
  if (replace.size === 0) return f;
  const nodes = f.nodes.flatMap((n) => replace.get(n) ?? [n]);
  return removeDeadNodes(substitute(f, nodes, new Map()));
}
