// Depthwise 2-D convolution (group = C = M, static channels): the kernel `conv` dispatches to
// when isPlainDepthwise holds (ir/ops/conv.ts keeps the op record and the other algorithms).
// Requires: inputs [x (N, C, H, W), w (C, 1, KH, KW), bias (C) | null], materialised, float.
// Guarantees: every output element written once through the sink (epilogue fusion: bias, then
// whatever elementwise chain was fused behind the conv) after an f32 sum over the taps in
// row-major order.

import type { LowerCtx, Lowering } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import {
  add, alloc, and, flatIndex, ifThen, imm, le, letIn, load, loop, lt, min, mul, select, seq, store, sub, unflatten,
} from '../tir-build.js';
import { LOWER_FAIL, ceilDivExpr, constOf, intAttr, knob, prodExpr, readWindow } from './attrs.js';

/**
 * Depthwise 2-D conv (group = C = M) on an explicitly padded input: a register tile of TH output
 * rows x TW vectors along the width of one channel plane; per tap a scalar weight and TH*TW
 * contiguous (stride 1) or strided (stride 2..4: masked load + shuffle, see codegen) input
 * vectors, whose overlaps between rows LLVM merges. Only the last width tile masks its lanes.
 *   dw.rows  output rows per tile (TH, default 4)     dw.wv  vectors per row (TW, default 2)
 */
export function lowerDepthwise(ctx: LowerCtx): Lowering {
  const x = ctx.inputs[0]!, w = ctx.inputs[1]!, out = ctx.outputs[0], bias = ctx.inputs[2];
  const xb = x.buffer, wb = w.buffer;
  if (!xb || !wb) throw new Error('internal: conv inputs must be materialised');
  const win = readWindow(ctx.attrs, 2, LOWER_FAIL);
  const [N, C, H, W] = x.shape, [OH, OW] = out.shape.slice(2);
  const [KH, KW] = win.kernel, [sH, sW] = win.strides, [dH, dW] = win.dilations;
  const V = knob(ctx.knobs, 'conv.vec', ctx.target.vectorLanes);
  const ohC = constOf(OH), owC = constOf(OW);
  const TH = Math.max(1, Math.min(knob(ctx.knobs, 'dw.rows', 4), ohC ?? 99));
  const TW = Math.max(1, Math.min(knob(ctx.knobs, 'dw.wv', 2), owC !== undefined ? Math.ceil(owC / V) : 99));
  const TWV = TW * V;
  const rowTail = ohC === undefined || ohC % TH !== 0, colTail = owC === undefined || owC % TWV !== 0;
  const pv = ctx.fresh('p'), wt = ctx.fresh('wt'), kh = ctx.fresh('kh'), kw = ctx.fresh('kw');
  const th = ctx.fresh('th'), tw = ctx.fresh('tw'), lv = ctx.fresh('v'), wv = ctx.fresh('wv', x.dtype);
  const acc = ctx.scratch('acc', x.dtype);
  const [n, c, rb] = unflatten(pv, [N, C, ceilDivExpr(OH, TH)]);
  const ohRaw = add(mul(rb, TH), th), oh = rowTail ? min(ohRaw, sub(OH, 1)) : ohRaw;
  const ow = add(mul(add(mul(wt, TW), tw), V), lv);
  const accIdx = add(mul(add(mul(th, TW), tw), V), lv);
  const xLoad = load(xb, flatIndex([n, c, add(mul(oh, sH), mul(kh, dH)), add(mul(ow, sW), mul(kw, dW))], x.shape));
  const lanes = (body: Stmt, kind: 'vectorize' | 'serial' = 'vectorize'): Stmt =>
    loop(th, TH, loop(tw, TW, loop(lv, V, body, kind), 'unroll'), 'unroll');
  const reduction = (masked: boolean): Stmt => {
    const xv = masked ? select(lt(ow, OW), xLoad, imm(0, x.dtype)) : xLoad;
    const fma = lanes(store(acc, accIdx, add(mul(wv, xv), load(acc, accIdx))));
    const tap = letIn(wv, load(wb, flatIndex([c, kh, kw], [C, imm(KH), imm(KW)])), fma);
    return loop(kh, KH, loop(kw, KW, tap, KW <= 3 ? 'unroll' : 'serial'), KH <= 3 ? 'unroll' : 'serial');
  };
  const red = colTail ? ifThen(le(mul(add(wt, 1), TWV), OW), reduction(false), reduction(true)) : reduction(false);
  const v = load(acc, accIdx);
  const st = out.store([n, c, ohRaw, ow], bias ? add(v, bias.at([c])) : v);
  const ok = [rowTail ? lt(ohRaw, OH) : null, colTail ? lt(ow, OW) : null].filter((e): e is Expr => !!e);
  const fin = lanes(ok.length ? ifThen(ok.reduce((a, b) => and(a, b)), st) : st,
    out.vectorizable ? 'vectorize' : 'serial');
  const tile = alloc(acc, TH * TWV, seq(lanes(store(acc, accIdx, imm(0, x.dtype))), red, fin));
  const P = prodExpr([N, C, ceilDivExpr(OH, TH)]);
  return { kind: 'kernel', body: loop(pv, P, loop(wt, ceilDivExpr(OW, TWV), tile), 'parallel') };
}

/** Depthwise 2-D with static channels and no implicit padding (pad-conv-inputs made it explicit). */
export function isPlainDepthwise(ctx: LowerCtx): boolean {
  const x = ctx.inTypes[0]!, w = ctx.inTypes[1]!, group = intAttr(ctx.attrs, 'group', 1);
  if (x.shape.length !== 4 || group === 1 || x.shape[1] !== group || w.shape[0] !== group) return false;
  const win = readWindow(ctx.attrs, 2, LOWER_FAIL);
  return win.autoPad !== 'SAME_UPPER' && win.autoPad !== 'SAME_LOWER' && win.pads.every((p) => p === 0);
}
