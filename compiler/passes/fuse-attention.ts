// Recognises scaled dot-product attention as the ONNX exporters write it,
//   matmul(q, kt) -> [mul|div by a one-element scale] -> [add mask | where(cond, fill, x)]
//     -> softmax(last axis) -> [cast to float32]* -> matmul(., v)
// (bert: mul, add; gpt2: div by a computed sqrt(d), where with a causal bool mask; llama: mul,
// add, two casts, and kt/v already repeated for grouped-query heads) and replaces the chain with
// one `attention` node (ir/ops/attention.ts), so the [.., S, Sk] scores are never written.
// Requires: float32 throughout; every intermediate value read only by the next node of the chain
// and not a graph output; the scores keep the first matmul's shape through scale and mask (the
// mask broadcasts to them); a static Dv of at most MAX_ATTENTION_DV; no packed matmul operands.
// Guarantees: the attention node defines the second matmul's output value, runs where that
// matmul ran, and carries the run-time shape checks of every node it replaces; a chain that does
// not match exactly is left as it is.

import { dimKey } from '../../ir/dim.js';
import { type Func, type Node, type Value } from '../../ir/graph.js';
import { constValues } from '../../ir/const.js';
import { MAX_ATTENTION_DV } from '../../ir/ops/attention.js';
import { consumers, outputIds, removeDeadNodes, substitute } from './graph-util.js';

interface Match {
  readonly qk: Node; readonly pv: Node; readonly chain: readonly Node[];
  readonly scale: Value | null; readonly scaleOp: 'none' | 'mul' | 'div';
  readonly mask: Value | null; readonly maskKind: 'none' | 'add' | 'where';
  readonly fill: number; readonly fillIf: number;
}

interface Graph {
  readonly producer: ReadonlyMap<number, Node>;
  readonly uses: ReadonlyMap<number, Node[]>;
  readonly outs: ReadonlySet<number>;
}

const f32 = (v: Value | null | undefined): v is Value => !!v && v.type.dtype === 'float32';
const oneElement = (v: Value | null | undefined): v is Value => f32(v) && v.type.shape.every((d) => d === 1);
const sameShape = (a: Value, b: Value): boolean =>
  a.type.shape.length === b.type.shape.length && a.type.shape.every((d,
    i) => dimKey(d) === dimKey(b.type.shape[i]));

/** Whether `v` is read once (by the chain's next node) and is not a graph output. */
const private1 = (g: Graph, v: Value): boolean => !g.outs.has(v.id) && (g.uses.get(v.id)?.length ?? 0) === 1;

const plainMatmul = (n: Node | undefined): n is Node =>
  !!n && n.op === 'matmul' && !n.attrs.packedLanes && n.inputs.every((x) => f32(x)
    && x.type.shape.length >= 2);

/** The scalar fill of a where arm: a one-element float constant. */
function fillOf(v: Value | null | undefined): number | undefined {
  if (!oneElement(v) || !v.data) return undefined;
  return constValues(v.data)[0];
}

type Scores = Omit<Match, 'pv'>;
const NO_MASK = { mask: null, maskKind: 'none', fill: 0, fillIf: 1 } as const;

/** qk, optionally through a mul/div by a one-element scale, producing the scores `x`. */
function scaled(g: Graph, x: Value): Omit<Scores, 'mask' | 'maskKind' | 'fill' | 'fillIf'> | undefined {
  const n = g.producer.get(x.id);
  if (!n || !private1(g, x)) return undefined;
  const qk = (m: Node | undefined, scale: Value | null, scaleOp: Scores['scaleOp'], chain: Node[]) => {
    if (!plainMatmul(m)) return undefined;
    const r = m.outputs[0].type.shape.length;
    if (m.inputs.some((v) => v!.type.shape.length !== r)) return undefined;
    return { qk: m, scale, scaleOp, chain };
  };
  if (n.op === 'matmul') return qk(n, null, 'none', []);
  if (n.op !== 'mul' && n.op !== 'div') return undefined;
  const arms = n.op === 'div' ? [0] : [0, 1];
  for (const k of arms) {
    const y = n.inputs[k], s = n.inputs[1 - k];
    if (!f32(y) || !oneElement(s) || !sameShape(y, n.outputs[0]) || !private1(g, y)) continue;
    const r = qk(g.producer.get(y.id), s, n.op, [n]);
    if (r) return r;
  }
  return undefined;
}

/** Walks back from the softmax input through an optional mask and an optional scale to qk. */
function scoresChain(g: Graph, x: Value): Scores | undefined {
  const n = g.producer.get(x.id);
  if (!n || !private1(g, x)) return undefined;
  if (n.op === 'add') {
    for (const k of [0, 1]) {
      const y = n.inputs[k], mask = n.inputs[1 - k];
      if (!f32(y) || !f32(mask) || y.id === mask.id || !sameShape(y, n.outputs[0])) continue;
      const r = scaled(g, y);
      if (r) return { ...r, chain: [...r.chain, n], mask, maskKind: 'add', fill: 0, fillIf: 1 };
    }
  }
  if (n.op === 'where' && n.inputs[0]?.type.dtype === 'bool') {
    for (const k of [1, 2]) {
      const y = n.inputs[k], fill = fillOf(n.inputs[3 - k]);
      if (!f32(y) || fill === undefined || !sameShape(y, n.outputs[0])) continue;
      const r = scaled(g, y);
      if (r) return { ...r, chain: [...r.chain, n], mask: n.inputs[0], maskKind: 'where', fill,
        fillIf: k === 2 ? 1 : 0 };
    }
  }
  const r = scaled(g, x);
  return r && { ...r, ...NO_MASK };
}

function match(sm: Node, g: Graph): Match | undefined {
  const x = sm.inputs[0], y = sm.outputs[0];
  if (!f32(x) || !f32(y) || sm.attrs.axis !== x.type.shape.length - 1) return undefined;
  // Forward: casts to float32 (no-ops), then the second matmul reading the weights as its A.
  const casts: Node[] = [];
  let cur = y;
  for (;;) {
    if (!private1(g, cur)) return undefined;
    const next = g.uses.get(cur.id)![0];
    if (next.op === 'cast' && f32(next.outputs[0])) { casts.push(next); cur = next.outputs[0]; continue; }
    if (!plainMatmul(next) || next.inputs[0]?.id !== cur.id
      || next.inputs[1]?.id === cur.id) return undefined;
    const v = next.inputs[1]!, dv = v.type.shape.at(-1);
    if (typeof dv !== 'number' || dv > MAX_ATTENTION_DV || v.type.shape.length !== x.type.shape.length) {
      return undefined;
    }
    const back = scoresChain(g, x);
    return back && { ...back, pv: next, chain: [...back.chain, sm, ...casts] };
  }
}

function rewrite(m: Match): Node {
  const checks = [m.qk, ...m.chain, m.pv].flatMap((n) => n.checks ?? []);
  return Object.freeze({
    id: m.pv.id, op: 'attention',
    inputs: [m.qk.inputs[0], m.qk.inputs[1], m.pv.inputs[1], m.scale, m.mask],
    outputs: m.pv.outputs,
    attrs: Object.freeze({ scaleOp: m.scaleOp, mask: m.maskKind, fill: m.fill, fillIf: m.fillIf }),
    origin: m.qk.origin,
    ...(checks.length ? { checks: Object.freeze(checks) } : {}),
  });
}

export function fuseAttention(f: Func): Func {
  const producer = new Map<number, Node>();
  for (const n of f.nodes) for (const v of n.outputs) producer.set(v.id, n);
  const g: Graph = { producer, uses: consumers(f), outs: outputIds(f) };
  const replace = new Map<Node, Node>();
  for (const n of f.nodes) {
    if (n.op !== 'softmax') continue;
    const m = match(n, g);
    if (m) replace.set(m.pv, rewrite(m));
  }
  if (replace.size === 0) return f;
  return removeDeadNodes(substitute(f, f.nodes.map((n) => replace.get(n) ?? n), new Map()));
}
