// Rewrites x * sigmoid(x) (SiLU, as exported from PyTorch: a Sigmoid and a Mul that both read x)
// into one `swish` node (alpha 1), so the activation joins the epilogue of the convolution or
// matmul that produces x: the fusion pass fuses chains only, and x with two consumers started a
// separate kernel that read x back and wrote the activation out again (YOLO: 51 such kernels).
// Requires: nothing beyond a well-formed graph. Guarantees: the same values bit for bit
// (swish computes x * sigmoid(1 * x) with the same sigmoid); the Mul's output value, name and
// origin are kept; the Sigmoid goes only when the Mul is its sole reader and it is no graph output.

import type { Func, Node } from '../../ir/graph.js';
import { consumers, outputIds, removeDeadNodes } from './graph-util.js';

export function fuseSwish(f: Func): Func {
  const uses = consumers(f);
  const outs = outputIds(f);
  const producer = new Map<number, Node>();
  for (const n of f.nodes) for (const v of n.outputs) producer.set(v.id, n);
  const nodes = f.nodes.map((n) => {
    if (n.op !== 'mul' || n.inputs.length !== 2) return n;
    const [a, b] = n.inputs;
    if (!a || !b) return n;
    for (const [s, x] of [[a, b], [b, a]] as const) {
      const sig = producer.get(s.id);
      if (sig?.op !== 'sigmoid' || sig.inputs[0]?.id !== x.id || outs.has(s.id)) continue;
      if (uses.get(s.id)?.length !== 1) continue;
      return Object.freeze({ id: n.id, op: 'swish', inputs: [x], outputs: n.outputs,
        attrs: Object.freeze({ alpha: 1 }), origin: n.origin });
    }
    return n;
  });
  return removeDeadNodes(Object.freeze({ ...f, nodes }));
}
