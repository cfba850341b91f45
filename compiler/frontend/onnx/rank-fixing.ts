// Which input dims stay static in dynamic mode (`compile --dynamic`): the length of a 1-D tensor
// that a node reads as a shape, axes, pads, sizes, repeats or split list, and the last dim of
// GatherND/ScatterND indices. Each of these lengths fixes the rank of an output, and kestrel's
// IR — like every ranked compiler — needs ranks at compile time; the tensors' values stay
// run-time inputs. Requires: the decoded top-level graph. Guarantees: a map from graph-input
// name to the axes of its shape that dynamic mode keeps as the model declares them.

import type { GraphMsg } from './schema.js';

/** Per ONNX op type, the input positions whose length (dim 0) fixes an output rank. */
const LENGTH_FIXES_RANK: Readonly<Record<string, readonly number[]>> = Object.freeze({
  Reshape: [1], Expand: [1], ConstantOfShape: [0], Tile: [1], Unsqueeze: [1], Squeeze: [1],
  Pad: [1, 3], Slice: [1, 2, 3, 4], Split: [1], Resize: [2, 3], Upsample: [1], CenterCropPad: [1],
  Col2Im: [1, 2], AffineGrid: [1], MaxUnpool: [2],
  ReduceSum: [1], ReduceMean: [1], ReduceMax: [1], ReduceMin: [1], ReduceProd: [1],
  ReduceL1: [1], ReduceL2: [1], ReduceLogSum: [1], ReduceLogSumExp: [1], ReduceSumSquare: [1],
});

/** Per ONNX op type, the input positions whose last dim fixes an output rank. */
const LAST_DIM_FIXES_RANK: Readonly<Record<string, readonly number[]>> = Object.freeze({
  GatherND: [1], ScatterND: [1],
});

/**
 * Graph input name -> axes that keep their declared dims in dynamic mode (see the file header).
 * `ranks` gives each graph input's declared rank (a 1-D tensor's axis 0 is its length).
 */
export function rankFixingAxes(g: GraphMsg, ranks: ReadonlyMap<string, number>): Map<string, Set<number>> {
  const out = new Map<string, Set<number>>();
  const keep = (name: string | undefined, axis: number) => {
    if (!name || !ranks.has(name) || axis < 0) return;
    if (!out.has(name)) out.set(name, new Set());
    out.get(name)!.add(axis);
  };
  for (const n of g.node ?? []) {
    if (n.domain && n.domain !== 'ai.onnx') continue;
    const ins = n.input ?? [];
    for (const k of LENGTH_FIXES_RANK[n.opType ?? ''] ?? []) {
      if (ranks.get(ins[k] ?? '') === 1) keep(ins[k], 0);
    }
    for (const k of LAST_DIM_FIXES_RANK[n.opType ?? ''] ?? []) {
      keep(ins[k], (ranks.get(ins[k] ?? '') ?? 0) - 1);
    }
  }
  return out;
}
