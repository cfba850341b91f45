// Op record for `affine_grid {alignCorners}` [theta, size] (ONNX AffineGrid 20..): theta
// [N, r, r + 1] (r = 2 or 3) maps the normalised base grid of size [N, C, D1..Dr] to sampling
// coordinates [N, D1..Dr, r], the last axis innermost spatial axis first (x, y, z), ready for
// grid_sample.
// Requires: theta float with static r; size int64 of length r + 2 (its values may be read at run
// time: the output dims are then data symbols). Guarantees: the base coordinates of onnx's
// reference: align_corners gives -1 + 2i / (S - 1) (-1 when S = 1), else -1 + (2i + 1) / S;
// element c of a point is sum_k theta[n, c, k] * base[k] with base = (x, y[, z], 1), computed in
// float32 (float64 for float64 theta).
//
// Schedule: `compute` (injective), so consumers such as grid_sample inline it. No knobs.

import { isStatic } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, cast, div, gt, imm, mul, select, sub } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const AFFINE_GRID_ATTRS = { alignCorners: attr.flag(0) };
type AffineGridAttrs = AttrValues<typeof AFFINE_GRID_ATTRS>;

function inferAffineGrid(ins: readonly (TensorType | null)[], _a: AffineGridAttrs,
  ctx: InferCtx): TensorType[] {
  const theta = ins[0]!;
  const r = theta.shape[1];
  if (theta.shape.length !== 3 || !isStatic(r) || (r !== 2 && r !== 3)) {
    return ctx.fail(INPUT_MISMATCH, 'affine_grid theta must be [N, 2, 3] or [N, 3, 4] (a static 2 or 3)');
  }
  if (!['float32', 'float64', 'float16'].includes(theta.dtype)) {
    ctx.fail(INPUT_MISMATCH, 'affine_grid theta must be float');
  }
  const size = ctx.values(1);
  if (!size || size.length !== r + 2) {
    return ctx.fail(INPUT_MISMATCH, `affine_grid size must be an integer tensor of length ${r + 2}`);
  }
  ctx.require([[theta.shape[0], size[0]]], 'affine_grid: theta batch %0 differs from size batch %1', [0],
    [theta.shape[0], size[0]]);
  ctx.require([[theta.shape[2], r + 1]], `affine_grid: theta is [N, ${r}, %0], expected ${r + 1}`, [0],
    [theta.shape[2]]);
  return [{ dtype: theta.dtype, shape: [theta.shape[0], ...size.slice(2), r] }];
}

function lowerAffineGrid(ctx: LowerCtx, a: AffineGridAttrs): Lowering {
  const theta = ctx.inputs[0]!, r = ctx.outTypes[0].shape.length - 2;
  const acc = theta.dtype === 'float64' ? 'float64' : 'float32';
  const dims = ctx.outTypes[0].shape.map((d) => ctx.dim(d));
  /** Normalised coordinate of index i along an axis of extent S. */
  const base = (i: Expr, S: Expr): Expr => {
    const [fi, fs] = [cast(i, acc), cast(S, acc)];
    if (!a.alignCorners) return sub(div(add(mul(fi, imm(2, acc)), imm(1, acc)), fs), imm(1, acc));
    const aligned = sub(div(mul(fi, imm(2, acc)), sub(fs, imm(1, acc))), imm(1, acc));
    return select(gt(S, 1), aligned, imm(-1, acc));
  };
  return {
    kind: 'compute',
    at: (idx) => {
      const n = idx[0], c = idx[r + 1];
      // Spatial axis j of the output is D_{j+1}; base component k is axis r - k (x is the last).
      const comps = Array.from({ length: r }, (_, k) => base(idx[r - k], dims[r - k]));
      const terms = [...comps, imm(1, acc)].map((b, k) => mul(cast(theta.at([n, c, imm(k)]), acc), b));
      return cast(terms.reduce((p, q) => add(p, q)), theta.dtype);
    },
  };
}

export const AFFINE_GRID_OPS: readonly OpDef[] = [
  declareOp({ name: 'affine_grid', traits: ['injective'], attrs: AFFINE_GRID_ATTRS, infer: inferAffineGrid,
    lower: lowerAffineGrid }),
];
