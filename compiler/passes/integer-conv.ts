// Turns the integer convolutions that fuse-qdq (QDQ models) and the QLinearConv/ConvInteger
// converters (compiler/frontend/onnx/ops/qlinear.ts) write as float32 arithmetic on integers,
//   quantize_linear{mul}(conv(dequantize_linear(xq, 1, zx), w - zw, bias), mult, zy),
// into integer kernels (ir/ops/qconv.ts): qconv_pack(xq) (padding with the zero point, four input
// channels per int32 word) and qconv (u8 x s8 dot products accumulated in int32, the
// requantisation in its stores), so uint8/int8 activations flow between quantized convolutions
// and no float copy of them is made.
// Requires: fuse-qdq has run; runs before pad-conv-inputs (the pack does the padding).
// Matches 2-D, group-1 convs whose centred weights are integers in [-128, 127] (int8 weights,
// or uint8 ones whose zero point keeps them in range), integer bias, per-tensor activations,
// explicit or VALID padding; and gemms of the same form (a 2-D activation, constant B, alpha and
// beta 1, no transA: QDQ Gemm and QGemm), run as a 1x1 qconv on the activation viewed as
// [N, K, 1, 1]. Anything else keeps the float32 path it had.
// Guarantees: the quantize_linear's output value is unchanged (same dtype and shape), computed
// exactly as before while the float path was exact (accumulators below 2^24), and as onnxruntime
// does beyond; packed weights, compensated bias and multipliers are constants.

import { constValues, makeConst } from '../../ir/const.js';
import { dimAdd, dimCeilDiv } from '../../ir/dim.js';
import type { DType } from '../../ir/dtype.js';
import { type ConstData, type Func, type IdGen, isConst, makeValue, type Node, type Value }
  from '../../ir/graph.js';
import { consumers, outputIds, removeDeadNodes, substitute } from './graph-util.js';

const numel = (c: ConstData) => c.shape.reduce((a, b) => a * b, 1);
const isInt = (v: number, lo: number, hi: number) => Number.isInteger(v) && v >= lo && v <= hi;

interface Match {
  readonly q: Node; readonly conv: Node; readonly xq: Value; readonly zx: number;
  /** [M, C, KH, KW]; a gemm's [M, K, 1, 1] (its 2-D activation is viewed as [N, K, 1, 1]). */
  readonly w: ConstData; readonly bias: number[] | null; readonly mult: number[];
  readonly zy: number; readonly to: DType; readonly pads: number[];
  readonly strides: readonly number[]; readonly dilations: readonly number[]; readonly gemm: boolean;
}

type Anchor = Omit<Match, 'q' | 'mult' | 'zy' | 'to'>;

/** The single value of a constant, or undefined; null input reads as `dflt`. */
function scalarOf(v: Value | null | undefined, dflt: number): number | undefined {
  if (!v) return dflt;
  return isConst(v) && numel(v.data) === 1 ? constValues(v.data)[0] : undefined;
}

function convPads(c: Node): number[] | null {
  const pad = (c.attrs.autoPad as string | undefined) ?? 'NOTSET';
  if (pad === 'VALID') return [0, 0, 0, 0];
  return pad === 'NOTSET' ? [...((c.attrs.pads as readonly number[] | undefined) ?? [0, 0, 0, 0])] : null;
}

/** The uint8/int8 activation and its zero point behind a centred input dequantize_linear(xq, 1, zx). */
function centredInput(xc: Value, byOutput: ReadonlyMap<number, Node>): { xq: Value; zx: number } | undefined {
  const d = byOutput.get(xc.id);
  if (!d || d.op !== 'dequantize_linear' || d.attrs.block) return;
  const [xq, one, zp] = d.inputs;
  const zx = scalarOf(zp, 0);
  if (!xq || (xq.type.dtype !== 'uint8' && xq.type.dtype !== 'int8') || scalarOf(one, 0) !== 1) return;
  return zx === undefined ? undefined : { xq, zx };
}

const intWeights = (w: Value | null | undefined, rank: number): w is Value & { data: ConstData } =>
  isConst(w) && w.data.dtype === 'float32' && w.data.shape.length === rank
  && constValues(w.data).every((v) => isInt(v, -128, 127));
const intBias = (b: Value | null | undefined): boolean =>
  !b || (isConst(b) && b.type.shape.length === 1
    && constValues(b.data).every((v) => isInt(v, -(2 ** 30), 2 ** 30)));

function matchConv(c: Node, byOutput: ReadonlyMap<number, Node>): Anchor | undefined {
  const [xc, w, b] = c.inputs;
  if ((c.attrs.group ?? 1) !== 1 || c.attrs.packedOc !== undefined) return;
  if (!xc || xc.type.shape.length !== 4) return;
  const pads = convPads(c), x = centredInput(xc, byOutput);
  if (!pads || !x || !intWeights(w, 4) || !intBias(b)) return;
  return { conv: c, ...x, w: w.data, bias: b ? constValues(b.data!) : null, pads, gemm: false,
    strides: (c.attrs.strides as number[] | undefined) ?? [1, 1],
    dilations: (c.attrs.dilations as number[] | undefined) ?? [1, 1] };
}

/** A gemm x[N, K] · w (w[M, K] with transB, else [K, M]) + bias[M] as a 1x1 convolution. */
function matchGemm(g: Node, byOutput: ReadonlyMap<number, Node>): Anchor | undefined {
  const [xc, w, b] = g.inputs;
  if (g.attrs.transA || (g.attrs.alpha ?? 1) !== 1 || (b && (g.attrs.beta ?? 1) !== 1)) return;
  if (!xc || xc.type.shape.length !== 2 || typeof xc.type.shape[1] !== 'number') return;
  const x = centredInput(xc, byOutput);
  if (!x || !intWeights(w, 2) || !intBias(b)) return;
  const v = constValues(w.data), [r, c] = w.data.shape, [M, K] = g.attrs.transB ? [r, c] : [c, r];
  const wt = g.attrs.transB ? v : Array.from({ length: M * K }, (_, i) => v[(i % K) * c + Math.floor(i / K)]);
  return { conv: g, ...x, w: makeConst('float32', [M, K, 1, 1], wt), bias: b ? constValues(b.data!) : null,
    pads: [0, 0, 0, 0], strides: [1, 1], dilations: [1, 1], gemm: true };
}

function match(q: Node, byOutput: ReadonlyMap<number, Node>, uses: ReadonlyMap<number, Node[]>,
  outs: ReadonlySet<number>): Match | undefined {
  const [acc, m, zp] = q.inputs;
  const to = q.outputs[0].type.dtype;
  if (!q.attrs.mul || !acc || outs.has(acc.id) || (uses.get(acc.id)?.length ?? 0) !== 1) return;
  if ((to !== 'uint8' && to !== 'int8') || !isConst(m) || q.attrs.block) return;
  const c = byOutput.get(acc.id);
  const zy = scalarOf(zp, 0);
  if (!c || (c.op !== 'conv' && c.op !== 'gemm') || zy === undefined) return;
  const mc = c.op === 'conv' ? matchConv(c, byOutput) : matchGemm(c, byOutput);
  const mult = constValues(m.data);
  const M = mc?.w.shape[0];
  if (!mc || (mult.length !== 1 && (mult.length !== M || q.attrs.axis !== 1))) return;
  return { ...mc, q, mult, zy, to };
}

/** w'[MB][C4][KH][KW][L]: output channel mb*L+l, input channels 4*c4..4*c4+3 as signed bytes. */
export function packWeights(w: readonly number[], shape: readonly number[], L: number): ConstData {
  const [M, C, KH, KW] = shape, MB = Math.ceil(M / L), C4 = Math.ceil(C / 4), T = KH * KW;
  const out = new Int32Array(MB * C4 * T * L);
  for (let o = 0; o < M; o++) {
    for (let c = 0; c < C; c++) {
      for (let t = 0; t < T; t++) {
        const at = ((Math.floor(o / L) * C4 + (c >> 2)) * T + t) * L + (o % L);
        out[at] |= (w[(o * C + c) * T + t] & 255) << (8 * (c & 3));
      }
    }
  }
  return makeConst('int32', [MB, C4, KH, KW, L], out);
}

/** bias - zx * sum(w) per output channel (zx as the unsigned offset the pack stores), padded. */
export function compensatedBias(w: readonly number[], M: number, bias: readonly number[] | null, zx: number,
  padded: number): ConstData {
  const K = w.length / M, out = new Array<number>(padded).fill(0);
  for (let o = 0; o < M; o++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += w[o * K + k];
    out[o] = (bias ? bias[o] : 0) - zx * s;
  }
  return makeConst('int32', [padded], out);
}

/** A new value of v's dtype and shape plus two unit axes (a gemm operand as NCHW). */
const withUnitAxes = (ids: IdGen, v: Value): Value =>
  makeValue(ids, `${v.name}_nchw`, { dtype: v.type.dtype, shape: [...v.type.shape, 1, 1] });

/** A reshape of x to out's shape, 0 keeping a (possibly symbolic) leading dim. */
function view(ids: IdGen, at: Node, x: Value, out: Value): Node {
  const dims = out.type.shape.map((d, i) => (i === 0 ? 0 : d as number));
  const target = makeValue(ids, `${out.name}_shape`, { dtype: 'int64', shape: [dims.length], elems: dims },
    makeConst('int64', [dims.length], dims));
  return Object.freeze({ id: ids.id(), op: 'reshape', inputs: [x, target], outputs: [out],
    attrs: Object.freeze({ allowzero: 0 }), origin: at.origin });
}

function rewrite(m: Match, ids: IdGen, L: number, packs: Map<string, Value>): Node[] {
  const { conv, xq, q } = m;
  const node = (op: string, inputs: Value[], attrs: Node['attrs'], outputs: Value[]): Node =>
    Object.freeze({ id: ids.id(), op, inputs, outputs, attrs: Object.freeze(attrs), origin: conv.origin });
  const cst = (name: string, data: ConstData) =>
    makeValue(ids, name, { dtype: data.dtype, shape: data.shape }, data);
  const fill = m.zx + (xq.type.dtype === 'int8' ? 128 : 0);
  const key = `${xq.id}:${m.pads.join(',')}:${fill}`;
  const made: Node[] = [];
  let xp = packs.get(key);
  if (!xp) {
    const x4 = m.gemm ? withUnitAxes(ids, xq) : xq;
    if (m.gemm) made.push(view(ids, conv, xq, x4));
    const [n, c, h, wd] = x4.type.shape, [pt, pl, pb, pr] = m.pads;
    const shape = [n, dimCeilDiv(c, 4), dimAdd(h, pt + pb), dimAdd(wd, pl + pr)];
    xp = makeValue(ids, `${xq.name}_words`, { dtype: 'int32', shape });
    made.push(node('qconv_pack', [made.length ? made[0].outputs[0] : xq], { pads: m.pads, fill }, [xp]));
    packs.set(key, xp);
  }
  const wv = constValues(m.w), M = m.w.shape[0], padded = Math.ceil(M / L) * L;
  const mult = Array.from({ length: padded }, (_, i) => (i < M ? m.mult[m.mult.length === 1 ? 0 : i] : 0));
  const y = q.outputs[0];
  const inputs = [xp, cst(`${y.name}_wq`, packWeights(wv, m.w.shape, L)),
    cst(`${y.name}_bq`, compensatedBias(wv, M, m.bias, fill, padded)),
    cst(`${y.name}_mq`, makeConst('float32', [padded], mult))];
  const y4 = m.gemm ? withUnitAxes(ids, y) : y;
  made.push(node('qconv', inputs, { kernel: m.w.shape.slice(2), strides: m.strides, dilations: m.dilations,
    outChannels: M, zero: m.zy, to: m.to }, [y4]));
  if (m.gemm) made.push(view(ids, conv, y4, y));
  return made;
}

export function integerConv(f: Func, ids: IdGen, lanes: number): Func {
  const uses = consumers(f), outs = outputIds(f);
  const byOutput = new Map<number, Node>();
  for (const n of f.nodes) for (const v of n.outputs) byOutput.set(v.id, n);
  const replace = new Map<Node, Node[]>();
  const packs = new Map<string, Value>();
  for (const q of f.nodes) {
    if (q.op !== 'quantize_linear') continue;
    const m = match(q, byOutput, uses, outs);
    if (m) replace.set(q, rewrite(m, ids, Math.max(lanes, 4), packs));
  }
  if (replace.size === 0) return f;
  return removeDeadNodes(substitute(f, f.nodes.flatMap((n) => replace.get(n) ?? [n]), new Map()));
}
