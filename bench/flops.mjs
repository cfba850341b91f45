// Counts a model's multiply-add work for one data set, from kestrel's own typed graph: the model is
// imported with its symbolic input dims fixed to the data set's shapes (so every shape below is a
// number), then FLOPs = 2 x MACs of the dense ops:
//   conv      2 * |output| * (C/group * kh * kw)          (Conv; its bias and fused ops not counted)
//   gemm      2 * |output| * K                            (Gemm, and the LSTM input projection)
//   matmul    2 * |output| * K                            (MatMul, batched or not)
//   *_seq     2 * |projected X| * hidden                  (the LSTM/GRU/RNN recurrence h·Rᵀ)
// Nothing else is counted (elementwise ops, pooling, softmax, normalisation: memory-bound).
// Returns null when the model does not import, or when a counted op has a shape that is not a
// number (data-dependent shapes, or ops inside Loop/If bodies, whose work depends on the data).
// Requires `npm run build` (reads dist/).

import '../dist/ir/ops/index.js';
import { importOnnxFile } from '../dist/compiler/frontend/onnx/import.js';

const product = (dims) => dims.reduce((a, b) => a * b, 1);
const allNumbers = (dims) => dims.every((d) => typeof d === 'number');

/** Symbol name -> size, read off the data set's input shapes where a model dim is a plain symbol. */
function bindings(mainInputs, feeds) {
  const fixed = {};
  mainInputs.forEach((v, i) => {
    const dims = feeds[i]?.dims ?? [];
    v.type.shape.forEach((d, k) => {
      const atom = typeof d === 'object' && d.constant === 0 && d.terms.length === 1 ? d.terms[0] : null;
      if (atom && atom.coef === 1 && atom.atoms.length === 1 && atom.atoms[0].kind === 'var') {
        fixed[atom.atoms[0].name] = dims[k];
      }
    });
  });
  return fixed;
}

/** FLOPs of one node, 0 for uncounted ops, NaN when a shape is not known. */
function nodeFlops(n) {
  const shape = (v) => (v && allNumbers(v.type.shape) ? v.type.shape : null);
  const out = shape(n.outputs[0]);
  switch (n.op) {
    case 'conv': {
      const w = shape(n.inputs[1]);
      return out && w ? 2 * product(out) * product(w.slice(1)) : NaN;
    }
    case 'gemm': {
      const a = shape(n.inputs[0]);
      return out && a ? 2 * product(out) * (n.attrs.transA ? a[0] : a[1]) : NaN;
    }
    case 'matmul': {
      const a = shape(n.inputs[0]);
      return out && a ? 2 * product(out) * a[a.length - 1] : NaN;
    }
    case 'lstm_seq': case 'gru_seq': case 'rnn_seq': {
      const xw = shape(n.inputs[1]);
      return xw ? 2 * product(xw) * n.attrs.hidden : NaN;
    }
    default:
      return Object.values(n.attrs).some((a) => a && typeof a === 'object' && 'nodes' in a) ? NaN : 0;
  }
}

/**
 * FLOPs of `modelPath` run on `feeds` (tensors with .dims, in model input order), or null (see
 * the header). `dense` is false when the model holds no conv/matmul work worth a GFLOP/s figure.
 */
export function countFlops(modelPath, feeds) {
  let main;
  try {
    const dynamic = importOnnxFile(modelPath).main;
    main = importOnnxFile(modelPath, { fixedDims: bindings(dynamic.inputs, feeds) }).main;
  } catch {
    return null;
  }
  const total = main.nodes.reduce((s, n) => s + nodeFlops(n), 0);
  return Number.isFinite(total) && total > 0 ? total : null;
}
