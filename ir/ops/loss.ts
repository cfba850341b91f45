// Op records for the training losses: `nll_loss {reduction, ignoreIndex?}` [input, target,
// weight?] (ONNX NegativeLogLikelihoodLoss; SoftmaxCrossEntropyLoss is log_softmax then this).
// Requires: input [N, C, d1..dk] (k >= 0) float, target [N, d1..dk] int32/int64, weight [C] of the
// input's dtype.
// Guarantees: loss[n, d] = -input[n, target[n, d], d] * weight[target[n, d]] (weight 1 when
// absent), 0 where target equals ignoreIndex; 'none' gives those, 'sum' their sum, 'mean' their
// sum divided by the sum of the weights of the targets not ignored (as ONNX defines it). A target
// outside [0, C) that is not ignoreIndex fails the run with INDEX_OUT_OF_RANGE (the index used for
// the load is clamped first). float16 accumulates in float32.
//
// Schedule: 'none' runs parallel over (n, d); 'sum'/'mean' are one serial pass in row-major
// order (deterministic for every thread count). No knobs (generic family).

import { dimEq } from '../dim.js';
import type { TensorType } from '../graph.js';
import { KernelStatus } from '../kernel-status.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, alloc, and, binary, cast, div, floordiv, ge, imm, load, loop, lt, max, min, mod, mul,
  select, seq, store, unary, unflatten } from '../tir-build.js';
import type { Expr, Stmt } from '../tir.js';
import { INPUT_MISMATCH, prodExpr } from './attrs.js';
import { attr, type AttrValues } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const NLL_ATTRS = { reduction: attr.oneOf(['mean', 'sum', 'none']), ignoreIndex: attr.optional(attr.int()) };
type NllAttrs = AttrValues<typeof NLL_ATTRS>;

const FLOATS = new Set(['float32', 'float64', 'float16']);

function inferNll(ins: readonly (TensorType | null)[], a: NllAttrs, ctx: InferCtx): TensorType[] {
  const [x, t, w] = ins;
  if (!x || !t) return ctx.fail(INPUT_MISMATCH, 'nll_loss needs input and target');
  if (!FLOATS.has(x.dtype)) ctx.fail(INPUT_MISMATCH, `input must be float, not ${x.dtype}`);
  if (t.dtype !== 'int64' && t.dtype !== 'int32') ctx.fail(INPUT_MISMATCH, `target must be int32 or int64`);
  if (x.shape.length < 2) {
    ctx.fail(INPUT_MISMATCH, `input must have rank >= 2 [N, C, ...], got ${x.shape.length}`);
  }
  const want = [x.shape[0], ...x.shape.slice(2)];
  if (t.shape.length !== want.length) {
    ctx.fail(INPUT_MISMATCH,
      `target rank ${t.shape.length} does not match input rank ${x.shape.length} - 1`);
  }
  want.forEach((d, i) => ctx.require([[d, t.shape[i]]], `target dim ${i} %0 differs from the input's %1`,
    [], [t.shape[i], d]));
  if (w) {
    if (w.dtype !== x.dtype || w.shape.length !== 1) {
      ctx.fail(INPUT_MISMATCH, 'weight must be [C] of the input dtype');
    }
    if (!dimEq(w.shape[0], x.shape[1])) {
      ctx.require([[w.shape[0], x.shape[1]]], 'weight length %0 differs from C %1', [],
        [w.shape[0], x.shape[1]]);
    }
  }
  return [{ dtype: x.dtype, shape: a.reduction === 'none' ? t.shape : [] }];
}

/** Loss and weight of flat target element e, and the range check of its target. */
function element(ctx: LowerCtx, a: NllAttrs, e: Expr, acc: string): { loss: Expr; w: Expr; check: Stmt } {
  const [x, t, wt] = ctx.inputs, C = x!.shape[1];
  const rest = x!.shape.slice(2), D = prodExpr(rest);
  const tgt = cast(t!.at(unflatten(e, t!.shape)), 'int64');
  const valid = a.ignoreIndex === undefined ? undefined : binary('ne', tgt, imm(a.ignoreIndex));
  const inRange = and(ge(tgt, 0), lt(tgt, C));
  const check: Stmt = { kind: 'assert', cond: valid ? binary('or', unary('not', valid), inRange) : inRange,
    code: KernelStatus.INDEX_OUT_OF_RANGE };
  const ts = max(min(tgt, add(C, -1)), 0);
  const n = floordiv(e, D), s = mod(e, D);
  const dt = acc as TensorType['dtype'];
  const xv = cast(x!.at([n, ts, ...unflatten(s, rest)]), dt);
  const w0 = wt ? cast(wt.at([ts]), dt) : imm(1, dt);
  const w = valid ? select(valid, w0, imm(0, dt)) : w0;
  return { loss: unary('neg', mul(xv, w)), w, check };
}

function lowerNll(ctx: LowerCtx, a: NllAttrs): Lowering {
  const x = ctx.inputs[0]!, out = ctx.outputs[0];
  const acc = x.dtype === 'float16' ? 'float32' : x.dtype;
  const total = prodExpr(ctx.inputs[1]!.shape), e = ctx.fresh('e');
  const el = element(ctx, a, e, acc);
  if (a.reduction === 'none') {
    const st = out.store(unflatten(e, out.shape), cast(el.loss, out.dtype));
    return { kind: 'kernel', body: loop(e, total, seq(el.check, st), 'parallel') };
  }
  const num = ctx.scratch('num', acc), den = ctx.scratch('den', acc);
  const result = a.reduction === 'sum' ? load(num, 0) : div(load(num, 0), load(den, 0));
  const body = seq(
    store(num, 0, imm(0, acc)), store(den, 0, imm(0, acc)),
    loop(e, total, seq(el.check, store(num, 0, add(load(num, 0), el.loss)),
      store(den, 0, add(load(den, 0), el.w)))),
    out.store([], cast(result, out.dtype)),
  );
  return { kind: 'kernel', body: alloc(num, 1, alloc(den, 1, body)) };
}

export const LOSS_OPS: readonly OpDef[] = [
  declareOp({ name: 'nll_loss', traits: ['opaque'], attrs: NLL_ATTRS, infer: inferNll, lower: lowerNll }),
];
