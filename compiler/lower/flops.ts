// Floating-point operations of one kernel group, as a dim over the model's symbols (so one artifact
// reports FLOPs for every shape): 2·MACs for conv, matmul and gemm roots, plus one operation per
// output element for each fused epilogue node. Other roots (data movement, reductions, gathers)
// report none: a GFLOP/s figure for them would mean little. The integer conv `qconv` counts its
// 8-bit multiply-adds the same way (input channels rounded up to the 4 of a packed word), so its
// figure compares with the float conv it replaces.
// The runtime evaluates the dim from the kernel's scalar arguments, only when profiling.

import { type Dim, dimAdd, dimMul, dimProduct } from '../../ir/dim.js';
import type { Group } from '../passes/fuse.js';

/** 2·MACs of the group's root plus its epilogue's elementwise work; undefined when not counted. */
export function groupFlops(g: Group): Dim | undefined {
  const macs = rootMacs(g);
  if (macs === undefined) return undefined;
  const elems = dimProduct(g.root.outputs[0].type.shape);
  return dimAdd(dimMul(macs, 2), dimMul(elems, g.epilogue.length));
}

function rootMacs(g: Group): Dim | undefined {
  const n = g.root;
  const out = n.outputs[0].type.shape;
  switch (n.op) {
    case 'conv': {
      // Weights [M, C/group, k...] or packed [ceil(M/L), C, k..., L]: dim 1 is the reduction's channels.
      const w = n.inputs[1]!.type.shape;
      return dimProduct([...out, w[1], ...w.slice(2, out.length)]);
    }
    case 'qconv': {
      // Weights [ceil(M/L), ceil(C/4), KH, KW, L] int32 words of four input channels.
      const w = n.inputs[1]!.type.shape;
      return dimProduct([...out, dimMul(w[1], 4), w[2], w[3]]);
    }
    case 'matmul': {
      const a = n.inputs[0]!.type.shape;
      return dimMul(dimProduct(out), a[a.length - 1]);
    }
    case 'gemm': {
      const a = n.inputs[0]!.type.shape;
      return dimMul(dimProduct(out), n.attrs.transA ? a[0] : a[1]);
    }
    case 'attention': { // q·kt (S·Sk·D MACs) and p·v (S·Sk·Dv) per batch entry
      const q = n.inputs[0]!.type.shape, sk = n.inputs[1]!.type.shape.at(-1)!;
      const rows = dimProduct(out.slice(0, -1));
      return dimMul(dimMul(rows, sk), dimAdd(q[q.length - 1], out[out.length - 1]));
    }
    default: return undefined;
  }
}
