// Op record `deform_conv {kernel, strides, pads, dilations, group, offsetGroup}` [x, w, offset,
// bias?, mask?] (ONNX DeformConv 19.., 2-D): a convolution whose every tap samples x bilinearly
// at its regular position plus a learned (dy, dx) from `offset` [N, offsetGroup * KH * KW * 2,
// OH, OW], scaled by `mask` [N, offsetGroup * KH * KW, OH, OW] (1 when absent).
// Requires: x [N, C, H, W], w [OC, C / group, KH, KW], C a multiple of group and of offsetGroup.
// Guarantees: the reference's sampling (grid_sample, align_corners, zeros padding: a tap outside
// x reads 0), in float32 with taps summed in (channel, kh, kw) order; OH and OW are offset's and
// are checked against the window (KC0402, or at run time); every load is clamped into x.
//
// Schedule: (n, oc) in parallel, the rest serial with one accumulator. No knobs.

import { dimMul } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import { add, alloc, and, cast, floordiv, ge, imm, load, loop, lt, max, min, mod, mul, select, seq, store,
  sub, unary } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { checkDimEq, INPUT_MISMATCH, WINDOW_ATTRS, windowOf, windowOut } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const DEFORM_ATTRS = {
  ...WINDOW_ATTRS, group: attr.int(1, { min: 1 }), offsetGroup: attr.int(1, { min: 1 }),
};
type DeformAttrs = AttrValues<typeof DEFORM_ATTRS>;

function inferDeform(ins: readonly (TensorType | null)[], a: DeformAttrs, ctx: InferCtx): TensorType[] {
  const [x, w, off] = ins;
  if (!x || x.shape.length !== 4 || !w || w.shape.length !== 4 || !off || off.shape.length !== 4) {
    return ctx.fail(INPUT_MISMATCH, 'deform_conv supports 2-D only: x, w and offset must be 4-D');
  }
  if (a.kernel.length !== 2) return ctx.fail(INPUT_MISMATCH, 'deform_conv kernel must have 2 entries');
  const [KH, KW] = a.kernel, win = windowOf(a);
  checkDimEq(dimMul(w.shape[1], a.group), x.shape[1], 'weight channels * group and input channels', ctx,
    [1, 0]);
  checkDimEq(off.shape[1], a.offsetGroup * KH * KW * 2, 'offset channels and offset_group * KH * KW * 2',
    ctx, [2]);
  const out = [0, 1].map((i) => windowOut(win, i, x.shape[2 + i]));
  out.forEach((d, i) => checkDimEq(off.shape[2 + i], d, `offset dim ${2 + i} and the window's output`,
    ctx, [2]));
  if (ins[4]) checkDimEq(ins[4].shape[1], a.offsetGroup * KH * KW, 'mask channels', ctx, [4]);
  return [{ dtype: x.dtype, shape: [x.shape[0], w.shape[0], out[0], out[1]] }];
}

/** Bilinear sample of x[n, c] at (y, x0) with zeros outside. */
function bilinear(x: TensorAccess, n: Expr, c: Expr, y: Expr, xc: Expr): Expr {
  const H = x.shape[2], W = x.shape[3], F = 'float32';
  const [y0, x0] = [unary('floor', y), unary('floor', xc)];
  const [ly, lx] = [sub(y, y0), sub(xc, x0)];
  const [iy, ix] = [cast(y0, 'int64'), cast(x0, 'int64')];
  const tap = (dy: number, dx: number, wgt: Expr): Expr => {
    const [py, px] = [add(iy, dy), add(ix, dx)];
    const ok = and(and(ge(py, 0), lt(py, H)), and(ge(px, 0), lt(px, W)));
    const v = x.at([n, c, max(min(py, sub(H, 1)), 0), max(min(px, sub(W, 1)), 0)]);
    return select(ok, mul(wgt, cast(v, F)), imm(0, F));
  };
  const one = imm(1, F);
  return [tap(0, 0, mul(sub(one, ly), sub(one, lx))), tap(0, 1, mul(sub(one, ly), lx)),
    tap(1, 0, mul(ly, sub(one, lx))), tap(1, 1, mul(ly, lx))].reduce((p, q) => add(p, q));
}

function lowerDeform(ctx: LowerCtx, a: DeformAttrs): Lowering {
  const [x, w, off, bias, mask] = ctx.inputs, out = ctx.outputs[0];
  const [N, C] = x!.shape, OC = w!.shape[0], CG = w!.shape[1], [OH, OW] = out.shape.slice(2);
  const [KH, KW] = a.kernel, win = windowOf(a), F = 'float32';
  const [no, i, j, ci, kh, kw] = ['no', 'i', 'j', 'ci', 'kh', 'kw'].map((h) => ctx.fresh(h));
  const n = floordiv(no, OC), oc = mod(no, OC);
  const c = add(mul(floordiv(oc, floordiv(OC, a.group)), CG), ci);
  const og = floordiv(c, floordiv(C, a.offsetGroup));
  const k = add(mul(add(mul(og, KH), kh), KW), kw);
  const at = (t: TensorAccess, ch: Expr): Expr => cast(t.at([n, ch, i, j]), F);
  const base = (o: Expr, t: Expr, d: number): Expr =>
    cast(add(sub(mul(o, win.strides[d]), win.pads[d]), mul(t, win.dilations[d])), F);
  const y = add(base(i, kh, 0), at(off!, mul(k, 2)));
  const xc = add(base(j, kw, 1), at(off!, add(mul(k, 2), 1)));
  const m = mask ? at(mask, k) : imm(1, F);
  const term = mul(mul(cast(w!.at([oc, ci, kh, kw]), F), m), bilinear(x!, n, c, y, xc));
  const acc = ctx.scratch('acc', F);
  const sum = loop(ci, CG, loop(kh, KH, loop(kw, KW, store(acc, 0, add(load(acc, 0), term)))));
  const init = bias ? cast(bias.at([oc]), F) : imm(0, F);
  const pixel = seq(store(acc, 0, init), sum, out.store([n, oc, i, j], cast(load(acc, 0), out.dtype)));
  const plane = alloc(acc, 1, loop(i, OH, loop(j, OW, pixel)));
  return { kind: 'kernel', body: loop(no, mul(N, OC), plane, 'parallel') };
}

export const DEFORM_CONV_OPS: readonly OpDef[] = [
  declareOp({ name: 'deform_conv', traits: ['anchor'], attrs: DEFORM_ATTRS, infer: inferDeform,
    lower: lowerDeform }),
];
