// Op record for `center_crop_pad {axes?}` [x, shape] (ONNX CenterCropPad 18): each listed axis
// cropped or zero-padded to its target length around the centre.
// Requires: shape an integer tensor of one entry per listed axis (all axes when `axes` is absent);
// its contents may be known only at run time (data symbols).
// Guarantees: the ONNX reference's placement: an axis of length d cropped to s < d keeps
// [floor((d - s) / 2), ... + s); padded to s > d it puts x at offset floor((s - d) / 2) with
// zeros around. Loads outside x never happen (the index is clamped, the value replaced by 0).
//
// Schedule: a `compute` (injective), so it fuses with its neighbours. No knobs.

import type { Dim } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, and, div, ge, imm, lt, max, min, select, sub } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const CROP_ATTRS = { axes: attr.optional(attr.axisList()) };
type CropAttrs = AttrValues<typeof CROP_ATTRS>;

const axesOf = (a: CropAttrs, rank: number): readonly number[] =>
  a.axes ?? Array.from({ length: rank }, (_, i) => i);

function inferCrop(ins: readonly (TensorType | null)[], a: CropAttrs, ctx: InferCtx): TensorType[] {
  const [x, shape] = ins;
  if (!x || !shape) return ctx.fail(INPUT_MISMATCH, 'center_crop_pad needs x and shape');
  if (!['int64', 'int32'].includes(shape.dtype) || shape.shape.length !== 1) {
    ctx.fail(INPUT_MISMATCH, `shape must be a 1-D integer tensor, got ${shape.dtype} of rank ${
      shape.shape.length}`);
  }
  const axes = axesOf(a, x.shape.length), v = ctx.values(1);
  if (!v || v.length !== axes.length) {
    return ctx.fail(INPUT_MISMATCH, `shape must hold ${axes.length} entries (one per axis)`);
  }
  const out: Dim[] = [...x.shape];
  axes.forEach((ax, k) => {
    const s = v[k];
    if (typeof s === 'number' && s < 0) ctx.fail(INPUT_MISMATCH, `target length ${s} is negative`);
    out[ax] = s;
  });
  return [{ dtype: x.dtype, shape: out }];
}

function lowerCrop(ctx: LowerCtx, a: CropAttrs): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0];
  const axes = new Set(axesOf(a, x.shape.length));
  return { kind: 'compute', at: (idx) => {
    const inside: Expr[] = [];
    const src = idx.map((o, k) => {
      if (!axes.has(k)) return o;
      // (d - s) / 2 truncated: the crop start when d > s, minus the pad offset when d < s.
      const i = add(o, div(sub(x.shape[k], out.shape[k]), 2));
      inside.push(and(ge(i, 0), lt(i, x.shape[k])));
      return max(min(i, sub(x.shape[k], 1)), 0);
    });
    const v = x.at(src);
    return inside.length === 0 ? v : select(inside.reduce((p, q) => and(p, q)), v, imm(0, v.dtype));
  } };
}

export const CROP_PAD_OPS: readonly OpDef[] = [
  declareOp({ name: 'center_crop_pad', traits: ['injective'], attrs: CROP_ATTRS, infer: inferCrop,
    lower: lowerCrop }),
];
