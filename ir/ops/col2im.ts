// Op record `col2im {dilations, pads, strides}` [x, imageShape, blockShape] (ONNX Col2Im 18..):
// x [N, C * prod(block), L] holds, for each of the L block positions of a sliding window over the
// padded image, the block's C * prod(block) values; they are summed back into the image
// [N, C, image...] (the inverse of im2col, overlapping blocks adding up).
// Requires: imageShape and blockShape int64 of one static length r (their values may be read at
// run time: the output dims are data symbols and the kernel reads the block from the tensor);
// empty dilations/pads/strides mean 1/0/1 per axis. Guarantees: L and C * prod(block) are checked
// against the window (KC0402 when known, else at run time); block elements that fall into the
// padding are dropped; every store lands inside the image.
//
// Schedule: a parallel zero fill, then one serial pass over x accumulating (overlaps would race
// across threads). No knobs.

import { type Dim, dimAdd, dimFloorDiv, dimMul, dimProduct, dimSub } from '../dim.js';
import type { TensorType } from '../graph.js';
import { elementLoops } from '../te-loops.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, and, cast, flatIndex, floordiv, ge, ifThen, imm, load, loop, lt, mod, mul, seq, store, sub,
  unflatten } from '../tir-build.js';
import { attr, type AttrValues } from './attr-schema.js';
import { checkDimEq, INPUT_MISMATCH, prodExpr, sinkBuffer } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const COL2IM_ATTRS = {
  dilations: attr.ints([], { min: 1 }), pads: attr.ints([], { min: 0 }), strides: attr.ints([], { min: 1 }),
};
type Col2ImAttrs = AttrValues<typeof COL2IM_ATTRS>;

interface Win { dil: number[]; pb: number[]; pe: number[]; st: number[] }

function windowOf(a: Col2ImAttrs, r: number, fail: (m: string) => never): Win {
  const pick = (v: readonly number[], n: number, d: number, what: string): number[] => {
    if (v.length === 0) return new Array<number>(n).fill(d);
    return v.length === n ? [...v] : fail(`col2im ${what} has ${v.length} entries, expected ${n}`);
  };
  const pads = pick(a.pads, 2 * r, 0, 'pads');
  return { dil: pick(a.dilations, r, 1, 'dilations'), pb: pads.slice(0, r), pe: pads.slice(r),
    st: pick(a.strides, r, 1, 'strides') };
}

/** Block positions along axis d: (image + pads - dilated block) / stride + 1, as dims. */
function positions(img: Dim, k: Dim, w: Win, d: number): Dim {
  const span = dimSub(dimAdd(img, w.pb[d] + w.pe[d]), dimAdd(dimMul(k, w.dil[d]), 1 - w.dil[d]));
  return dimAdd(dimFloorDiv(span, w.st[d]), 1);
}

function inferCol2Im(ins: readonly (TensorType | null)[], a: Col2ImAttrs, ctx: InferCtx): TensorType[] {
  const x = ins[0]!;
  if (x.shape.length !== 3) return ctx.fail(INPUT_MISMATCH, 'col2im input must be [N, C * prod(block), L]');
  const img = ctx.values(1), block = ctx.values(2);
  if (!img || !block || img.length !== block.length || img.length === 0) {
    return ctx.fail(INPUT_MISMATCH, 'col2im image_shape and block_shape must be 1-D int64 of one length');
  }
  const w = windowOf(a, img.length, (m) => ctx.fail(INPUT_MISMATCH, m));
  const B = dimProduct(block), L = dimProduct(img.map((d, i) => positions(d, block[i], w, i)));
  const C = dimFloorDiv(x.shape[1], B);
  checkDimEq(x.shape[1], dimMul(C, B), 'input dim 1 and channels * block size', ctx, [0]);
  checkDimEq(x.shape[2], L, 'input block positions (dim 2) and the window\'s', ctx, [0]);
  return [{ dtype: x.dtype, shape: [x.shape[0], C, ...img] }];
}

function lowerCol2Im(ctx: LowerCtx, a: Col2ImAttrs): Lowering {
  const x = ctx.inputs[0]!, blockIn = ctx.inputs[2]!, out = ctx.outputs[0], buf = sinkBuffer(out);
  const r = out.shape.length - 2, w = windowOf(a, r, (m) => { throw new Error(m); });
  const img = out.shape.slice(2);
  const block = Array.from({ length: r }, (_, d) => cast(blockIn.at([imm(d)]), 'int64'));
  const grid = img.map((s, d) => add(floordiv(sub(add(s, w.pb[d] + w.pe[d]),
    add(mul(block[d], w.dil[d]), 1 - w.dil[d])), w.st[d]), 1));
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  const zero = elementLoops(env, out.shape, (idx) => out.store(idx, imm(0, out.dtype)));
  const e = ctx.fresh('e'), [n, cb, l] = unflatten(e, x.shape);
  const B = prodExpr(block);
  const ks = unflatten(mod(cb, B), block), ls = unflatten(l, grid);
  const pix = ls.map((p, d) => add(sub(mul(p, w.st[d]), w.pb[d]), mul(ks[d], w.dil[d])));
  const inside = pix.map((p, d) => and(ge(p, 0), lt(p, img[d]))).reduce((p, q) => and(p, q));
  const at = flatIndex([n, floordiv(cb, B), ...pix], out.shape);
  const acc = ifThen(inside, store(buf, at, add(load(buf, at), x.at([n, cb, l]))));
  return { kind: 'kernel', body: seq(zero, loop(e, prodExpr(x.shape), acc)) };
}

export const COL2IM_OPS: readonly OpDef[] = [
  declareOp({ name: 'col2im', traits: ['opaque'], attrs: COL2IM_ATTRS, infer: inferCol2Im,
    lower: lowerCol2Im }),
];
