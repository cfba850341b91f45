// Packs the constant B operand of matrix products for the register micro-kernel
// (ir/ops/gemm-micro.ts): a 2-D float32 B of a matmul, or of a gemm with or without transB,
// becomes [ceil(N/L)][K][L] column panels (L the target's f32 vector lanes, zero-filled past N), so
// a register tile reads TN contiguous streams instead of TN*K rows one B-row stride apart (a new
// page per row when N >= 1024) or, for transB, a strided gather. The node gets attrs
// packedLanes = L and packedN = N; a gemm's transB is consumed by the packing.
// Requires: weights as float32 constants. Guarantees: same function; output types unchanged;
// products with a batched, non-float32 or non-constant B are left alone.

import { constFloat32, constFromFloat32 } from '../../ir/const.js';
import type { Func, IdGen, Node } from '../../ir/graph.js';
import { isConst, makeValue } from '../../ir/graph.js';
import { packOc } from './pack-conv-weights.js';

function packable(n: Node): boolean {
  const b = n.inputs[1];
  if ((n.op !== 'matmul' && n.op !== 'gemm') || n.attrs.packedLanes !== undefined) return false;
  return !!b && isConst(b) && b.data.dtype === 'float32' && b.data.shape.length === 2
    && n.inputs[0]?.type.dtype === 'float32';
}

/** b[K][N] (row-major) -> b'[ceil(N/L)][K][L]. */
export function packColumns(b: Float32Array, k: number, n: number, lanes: number): Float32Array {
  const out = new Float32Array(Math.ceil(n / lanes) * k * lanes);
  for (let i = 0; i < k; i++) {
    for (let j = 0; j < n; j++) out[(Math.floor(j / lanes) * k + i) * lanes + (j % lanes)] = b[i * n + j];
  }
  return out;
}

function packNode(n: Node, ids: IdGen, lanes: number): Node {
  const b = n.inputs[1]!;
  const transB = n.op === 'gemm' && (n.attrs.transB ?? 0) !== 0;
  const [r, c] = b.data!.shape;
  const [k, cols] = transB ? [c, r] : [r, c];
  const w = constFloat32(b.data!);
  const data = transB ? packOc(w, cols, k, lanes) : packColumns(w, k, cols, lanes);
  const shape = [Math.ceil(cols / lanes), k, lanes];
  const bp = makeValue(ids, `${b.name}_panels`, { dtype: 'float32', shape }, constFromFloat32(shape, data));
  const attrs = { ...n.attrs, packedLanes: lanes, packedN: cols, ...(n.op === 'gemm' ? { transB: 0 } : {}) };
  return Object.freeze({ ...n, inputs: [n.inputs[0], bp, ...n.inputs.slice(2)], attrs });
}

export function packMatmulWeights(f: Func, ids: IdGen, lanes: number): Func {
  if (lanes <= 1) return f;
  const nodes = f.nodes.map((n) => (packable(n) ? packNode(n, ids, lanes) : n));
  return Object.freeze({ ...f, nodes });
}
