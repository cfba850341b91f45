// Removes `identity` nodes (ONNX Identity, inference-mode Dropout, single-input Sum) by making
// their consumers read the input directly. An identity that produces a graph output stays, so
// output names and the rule "outputs never alias inputs" are kept by the VM lowering.

import type { Func, Value } from '../../ir/graph.js';
import { outputIds, removeDeadNodes, substitute } from './graph-util.js';

export function eliminateIdentity(f: Func): Func {
  const outs = outputIds(f);
  const subst = new Map<number, Value>();
  const kept = f.nodes.filter((n) => {
    if (n.op !== 'identity' || outs.has(n.outputs[0].id) || !n.inputs[0]) return true;
    subst.set(n.outputs[0].id, n.inputs[0]);
    return false;
  });
  return removeDeadNodes(substitute(f, kept, subst));
}
