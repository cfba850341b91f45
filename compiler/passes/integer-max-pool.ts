// Runs the max pools of QDQ models on the quantized integers:
//   quantize_linear(max_pool(dequantize_linear(xq, s, z)), s, z)  ->  max_pool(xq)
// Dequantisation with a positive scale is nondecreasing, so the maximum of dequantised values is
// the dequantised maximum, and quantising with the same scale and zero point gives back the
// integer exactly ((v - z) * s / s rounds to v - z for 8-bit v); max_pool's padding never wins.
// So the float copy of the activation and the requantisation disappear.
// Requires: fuse-qdq has run (it leaves these pools alone). Per-tensor, constant, equal scales and
// zero points (as the quantizer writes them around a max pool), the target dtype xq's.
// Guarantees: the quantize_linear's output value keeps its type and elements.

import { constValues } from '../../ir/const.js';
import { type Func, isConst, type Node, type Value } from '../../ir/graph.js';
import { consumers, outputIds, removeDeadNodes, substitute } from './graph-util.js';

/** The single float32 value of a constant (null input: `dflt`), or undefined. */
function scalar(v: Value | null | undefined, dflt?: number): number | undefined {
  if (!v) return dflt;
  return isConst(v) && v.data.shape.every((d) => d === 1) ? constValues(v.data)[0] : undefined;
}

function rewrite(q: Node, byOutput: ReadonlyMap<number, Node>, uses: ReadonlyMap<number, Node[]>,
  outs: ReadonlySet<number>): Node | undefined {
  const [y, sy, zy] = q.inputs;
  if (q.attrs.mul || q.attrs.block || !y || outs.has(y.id) || uses.get(y.id)?.length !== 1) return;
  const pool = byOutput.get(y.id), d = pool && byOutput.get(pool.inputs[0]?.id ?? -1);
  if (!pool || pool.op !== 'max_pool' || pool.outputs.length !== 1) return;
  if (!d || d.op !== 'dequantize_linear' || d.attrs.block) return;
  const [xq, sx, zx] = d.inputs;
  const s = scalar(sx), z = scalar(zx, 0);
  if (!xq || xq.type.dtype !== q.outputs[0].type.dtype || s === undefined || !(s > 0)) return;
  if (s !== scalar(sy) || z === undefined || z !== scalar(zy, 0)) return;
  return Object.freeze({ ...pool, inputs: [xq], outputs: q.outputs });
}

export function integerMaxPool(f: Func): Func {
  const uses = consumers(f), outs = outputIds(f);
  const byOutput = new Map<number, Node>();
  for (const n of f.nodes) for (const v of n.outputs) byOutput.set(v.id, n);
  const replace = new Map<Node, Node>();
  for (const q of f.nodes) {
    const r = q.op === 'quantize_linear' ? rewrite(q, byOutput, uses, outs) : undefined;
    if (r) replace.set(q, r);
  }
  if (replace.size === 0) return f;
  return removeDeadNodes(substitute(f, f.nodes.map((n) => replace.get(n) ?? n), new Map()));
}
