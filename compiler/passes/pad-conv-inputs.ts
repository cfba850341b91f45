// Makes the zero padding of 2-D convolutions explicit: a conv with pads gets a `pad2d` node
// (ir/ops/conv.ts) in front of its input and pads of zero, so its kernel reads every tap without
// bounds checks or lane masks (the pad kernel is one cheap pass over the input; the conv reads each
// element KH*KW*M times).
// Requires: conv nodes as produced by the frontend (attrs kernel/strides/dilations/pads/autoPad).
// Depthwise convs are left alone: their kernel (ir/ops/depthwise.ts) handles padding itself.
// Guarantees: the same function; only convs with autoPad NOTSET and some nonzero pad change, and
// their output types are untouched (the padded input has exactly the extents the pads added).

import { dimAdd } from '../../ir/dim.js';
import type { Func, IdGen, Node } from '../../ir/graph.js';
import { makeValue } from '../../ir/graph.js';
import { isDepthwise2d } from '../../ir/ops/depthwise.js';

function convPads(n: Node): number[] | null {
  if (n.op !== 'conv' || !n.inputs[0] || n.inputs[0].type.shape.length !== 4) return null;
  if (n.inputs[1] && isDepthwise2d(n.inputs[0].type, n.inputs[1].type, n.attrs)) return null;
  if ((n.attrs.autoPad ?? 'NOTSET') !== 'NOTSET') return null;
  const pads = n.attrs.pads as readonly number[] | undefined;
  return pads && pads.some((p) => p !== 0) ? [...pads] : null;
}

export function padConvInputs(f: Func, ids: IdGen): Func {
  const nodes: Node[] = [];
  for (const n of f.nodes) {
    const pads = convPads(n);
    if (!pads) { nodes.push(n); continue; }
    const x = n.inputs[0]!;
    const [pt, pl, pb, pr] = pads;
    const full = [0, 0, pt, pl, 0, 0, pb, pr];
    const shape = x.type.shape.map((d, i) => dimAdd(d, full[i] + full[i + 4]));
    const xp = makeValue(ids, `${x.name}_padded`, { dtype: x.type.dtype, shape });
    nodes.push(Object.freeze({
      id: ids.id(), op: 'pad2d', inputs: [x], outputs: [xp], attrs: { pads: [pt, pl, pb, pr] },
        origin: n.origin,
    }));
    nodes.push(Object.freeze({ ...n, inputs: [xp, ...n.inputs.slice(1)],
      attrs: { ...n.attrs, pads: [0, 0, 0, 0] } }));
  }
  return Object.freeze({ ...f, nodes });
}
