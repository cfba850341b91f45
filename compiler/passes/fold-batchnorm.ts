// Folds an inference BatchNormalization that directly follows a convolution into the
// convolution's weights and bias: w' = w * s, b' = (b - mean) * s + beta, s = gamma / sqrt(var + eps).
// Requires constant float32 conv weights/bias and BN parameters, and that the conv output feeds
// only the BN. Guarantees the same function up to float rounding, with one node fewer.

import { constFloat32, constFromFloat32 } from '../../ir/const.js';
import { type Func, type IdGen, isConst, makeValue, type Node, type Value } from '../../ir/graph.js';
import { nodeAttrs } from '../../ir/ops/declare.js';
import { BATCH_NORM_ATTRS } from '../../ir/ops/norm.js';
import { consumers, outputIds, removeDeadNodes, substitute } from './graph-util.js';

function foldable(conv: Node, bn: Node): boolean {
  const [, w, b] = conv.inputs;
  return conv.op === 'conv' && bn.op === 'batch_norm' && isConst(w) && w.data.dtype === 'float32'
    && (!b || isConst(b)) && bn.inputs.slice(1, 5).every((v) => isConst(v) && v.data.dtype === 'float32');
}

function foldedParams(conv: Node, bn: Node, ids: IdGen): [Value, Value] {
  const w = conv.inputs[1]!;
  const [gamma, beta, mean, variance] = bn.inputs.slice(1, 5).map((v) => constFloat32(v!.data!));
  const eps = nodeAttrs(BATCH_NORM_ATTRS, bn).epsilon;
  const m = w.data!.shape[0];
  const per = w.data!.shape.slice(1).reduce((a, c) => a * c, 1);
  const wv = constFloat32(w.data!).slice();
  const bias = conv.inputs[2] ? constFloat32(conv.inputs[2].data!) : new Float32Array(m);
  const nb = new Float32Array(m);
  for (let o = 0; o < m; o++) {
    const s = gamma[o] / Math.sqrt(variance[o] + eps);
    for (let i = 0; i < per; i++) wv[o * per + i] *= s;
    nb[o] = (bias[o] - mean[o]) * s + beta[o];
  }
  const wd = constFromFloat32(w.data!.shape, wv);
  const bd = constFromFloat32([m], nb);
  return [makeValue(ids, `${w.name}_bnfold`, w.type, wd),
    makeValue(ids, `${bn.origin.name}_bias`, { dtype: 'float32', shape: [m] }, bd)];
}

export function foldBatchNorm(f: Func, ids: IdGen): Func {
  const uses = consumers(f);
  const outs = outputIds(f);
  const subst = new Map<number, Value>();
  const drop = new Set<Node>();
  const replaced = new Map<Node, Node>();
  for (const bn of f.nodes) {
    if (bn.op !== 'batch_norm' || !bn.inputs[0]) continue;
    const conv = f.nodes.find((n) => n.outputs[0]?.id === bn.inputs[0]!.id);
    const y = bn.inputs[0];
    if (!conv || !foldable(conv, bn) || outs.has(y.id) || (uses.get(y.id)?.length ?? 0) !== 1) continue;
    const [w, b] = foldedParams(conv, bn, ids);
    replaced.set(conv, Object.freeze({ ...conv, inputs: [conv.inputs[0], w, b] }));
    drop.add(bn);
    subst.set(bn.outputs[0].id, conv.outputs[0]);
  }
  const nodes = f.nodes.filter((n) => !drop.has(n)).map((n) => replaced.get(n) ?? n);
  // The BN output name is what users see; keep it on the conv result when it is a graph output.
  return removeDeadNodes(substitute(f, nodes, subst));
}
