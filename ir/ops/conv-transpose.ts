// Op record for `conv_transpose` (ONNX ConvTranspose, 1-D/2-D/3-D, groups, strides, dilations,
// asymmetric pads, output padding) as a direct gather: each output element sums the input taps
// that the forward convolution would have scattered into it.
// Requires: inputs [x (N, C, spatial...), w (C, M/group, k...), bias (M) | null], float dtype,
// materialised (anchor); attrs kernel, strides, dilations, pads (all begins, then all ends; may be
// negative where output_shape asks for more than the natural size), outputPadding, group — all
// resolved by the frontend (compiler/frontend/onnx/ops/conv-transpose.ts), so pads are static.
// Guarantees: output spatial dim s*(in-1) + outputPadding + d*(k-1) + 1 - padBegin - padEnd, over
// symbolic dims too; every output element is written exactly once through the sink (epilogue
// fusion) after an f32 sum in a fixed order (input channel, then taps in row-major order); taps
// that fall between strides or outside the input are masked, never loaded.
// The kernel = stride form (no overlap: U-Net upsampling) lowers to a GEMM instead
// (./conv-transpose-gemm.ts).
// NOTE: a gather over every tap wastes (1 - 1/stride) of the taps per axis; a stride-phase
// decomposition into dense convolutions is the faster form for the rest (TODO(#9)).

import { dimAdd, dimMul, isStatic, type Dim } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import type { Stmt } from '../tir.js';
import {
  add, alloc, and, eq, flatIndex, floordiv, ge, ifThen, imm, load, loop, lt, mod, mul, select, seq, store,
  sub, unflatten,
} from '../tir-build.js';
import { attr, type AttrValues, type RankOf } from './attr-schema.js';
import { ATTR_RANGE, ceilDivExpr, checkDimEq, prodExpr, requireFloat } from './attrs.js';
import { isNonOverlapping, lowerNonOverlapping } from './conv-transpose-gemm.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';
import { Codes } from '../../compiler/diagnostics.js';

/** Entries per spatial axis of input 0 (x: N, C, spatial...), `per` times, all `v`. */
const perAxis = (v: number, per = 1) => (rank: RankOf): number[] =>
  new Array<number>(per * Math.max(0, (rank(0) ?? 2) - 2)).fill(v);

/**
 * The window, resolved by the frontend. `kernel` is empty when the kernel dims come from the
 * weight's (possibly symbolic) shape; pads may be negative (an output_shape beyond the natural size).
 * The list lengths are checked in infer against the input's spatial rank.
 */
const CONV_TRANSPOSE_ATTRS = {
  kernel: attr.ints([]), strides: attr.ints(perAxis(1)), dilations: attr.ints(perAxis(1)),
  pads: attr.ints(perAxis(0, 2)), outputPadding: attr.ints(perAxis(0)), group: attr.int(1),
};
type TWindow = AttrValues<typeof CONV_TRANSPOSE_ATTRS>;

/** The output length of one spatial axis with kernel dim k. */
export function transposedOut(w: TWindow, i: number, x: Dim, k: Dim): Dim {
  const n = w.strides.length;
  const fixed = w.outputPadding[i] + 1 - w.dilations[i] - w.pads[i] - w.pads[i + n];
  return dimAdd(dimAdd(dimMul(w.strides[i], dimAdd(x, -1)), dimMul(w.dilations[i], k)), fixed);
}

function inferConvTranspose(ins: readonly (TensorType | null)[], win: TWindow, ctx: InferCtx): TensorType[] {
  const x = requireFloat(ins, 0, 'conv_transpose input', ctx, 3, 5);
  const w = requireFloat(ins, 1, 'conv_transpose weight', ctx, 3, 5);
  const S = x.shape.length - 2;
  if (w.shape.length !== S + 2) ctx.fail(Codes.SHAPE_INFERENCE,
    `weight rank ${w.shape.length} differs from input rank`);
  if (win.group <= 0) ctx.fail(ATTR_RANGE, `group ${win.group} must be positive`);
  const lens = [win.strides, win.dilations, win.outputPadding].map((v) => v.length);
  if (lens.some((l) => l !== S) || win.pads.length !== 2 * S) {
    ctx.fail(ATTR_RANGE, `window attributes must have ${S} entries (pads ${2 * S})`);
  }
  if (win.kernel.length !== 0 && win.kernel.length !== S) {
    ctx.fail(ATTR_RANGE, `kernel must have ${S} entries`);
  }
  win.kernel.forEach((k, i) => {
    const d = w.shape[i + 2];
    if (isStatic(d) && d !== k) ctx.fail(Codes.SHAPE_INFERENCE,
      `kernel ${k} differs from weight dim ${d} on axis ${i}`);
  });
  const K = w.shape.slice(2).map((d, i) => win.kernel[i] ?? d);
  checkDimEq(x.shape[1], w.shape[0], 'input channels and weight dim 0', ctx, [0, 1]);
  const cinG = w.shape[0];
  if (isStatic(cinG) && cinG % win.group !== 0) ctx.fail(Codes.SHAPE_INFERENCE,
    `channels ${cinG} not divisible by group`);
  const bias = ins[2];
  const m = dimMul(w.shape[1], win.group);
  if (bias) checkDimEq(bias.shape[0] ?? 0, m, 'bias length and output channels', ctx, [2, 1]);
  const spatial = x.shape.slice(2).map((d, i) => transposedOut(win, i, d, K[i]));
  if (spatial.some((d) => isStatic(d) && d <= 0)) {
    ctx.fail(ATTR_RANGE, `output spatial dims [${spatial.join(', ')}] are not positive`);
  }
  return [{ dtype: x.dtype, shape: [x.shape[0], m, ...spatial] }];
}

function lowerConvTranspose(ctx: LowerCtx, win: TWindow): Lowering {
  if (isNonOverlapping(ctx, win)) return lowerNonOverlapping(ctx);
  const [x, w, b] = ctx.inputs, out = ctx.outputs[0];
  if (!x!.buffer || !w!.buffer) throw new Error('internal: conv_transpose inputs must be materialised');
  const S = x!.shape.length - 2, dt = out.dtype;
  const X = x!.shape.slice(2), O = out.shape.slice(2);
  const C = x!.shape[1], Mg = w!.shape[1], Cg = floordiv(C, win.group);
  const V = ctx.target.vectorLanes;
  const pv = ctx.fresh('p'), wt = ctx.fresh('wt'), lv = ctx.fresh('v'), ci = ctx.fresh('ci');
  const K = w!.shape.slice(2).map((d, i) => (win.kernel[i] === undefined ? d : imm(win.kernel[i])));
  const kv = K.map((_, i) => ctx.fresh(`k${i}`));
  const acc = ctx.scratch('acc', dt);
  const [n, m, ...oo] = unflatten(pv, [x!.shape[0], out.shape[1], ...O.slice(0, S - 1)]);
  const ol = add(mul(wt, V), lv);
  const oAll = [...oo, ol];
  const g = floordiv(m, Mg), c = add(mul(g, Cg), ci);
  // Output o receives tap k from input i when o + padBegin - k*d = i*s with 0 <= i < in.
  const num = oAll.map((o, i) => sub(add(o, win.pads[i]), mul(kv[i], win.dilations[i])));
  const iCoord = num.map((q, i) => floordiv(q, win.strides[i]));
  const valid = num.map((q, i) => {
    const inRange = and(ge(q, 0), lt(iCoord[i], X[i]));
    return win.strides[i] === 1 ? inRange : and(eq(mod(q, win.strides[i]), 0), inRange);
  }).reduce((p, q) => and(p, q));
  const xv = load(x!.buffer, flatIndex([n, c, ...iCoord], x!.shape));
  const wv = load(w!.buffer, flatIndex([c, sub(m, mul(g, Mg)), ...kv], w!.shape));
  const step = loop(lv, V, store(acc, lv, add(mul(select(valid, xv, imm(0, dt)), wv), load(acc, lv))),
    'vectorize');
  let red: Stmt = step;
  for (let i = S - 1; i >= 0; i--) red = loop(kv[i], K[i], red);
  red = loop(ci, Cg, red);
  const init = loop(lv, V, store(acc, lv, b ? b.at([m]) : imm(0, dt)), 'vectorize');
  const st = out.store([n, m, ...oo, ol], load(acc, lv));
  const fin = loop(lv, V, ifThen(lt(ol, O[S - 1]), st), out.vectorizable ? 'vectorize' : 'serial');
  const P = prodExpr([x!.shape[0], out.shape[1], ...O.slice(0, S - 1)]);
  const tile = alloc(acc, V, seq(init, red, fin));
  return { kind: 'kernel', body: loop(pv, P, loop(wt, ceilDivExpr(O[S - 1], V), tile), 'parallel') };
}

export const CONV_TRANSPOSE_OPS: readonly OpDef[] = [
  declareOp({
    name: 'conv_transpose', traits: ['anchor'], attrs: CONV_TRANSPOSE_ATTRS,
    infer: inferConvTranspose, lower: lowerConvTranspose,
  }),
];
