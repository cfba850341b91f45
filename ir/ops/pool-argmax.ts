// Op record `max_pool_argmax {window..., ceilMode, storageOrder}` [x] -> [y, indices]: ONNX
// MaxPool when its Indices output is used. indices holds, for each output, the flat index in x
// of the element that won: ((n * C + c) * H + h) * W + w (row-major), or with storageOrder 1
// (2-D only) (n * C + c) * H * W + h + w * H (column-major spatial part), as onnxruntime writes it.
// Requires: x [N, C, spatial...]. Guarantees: the output shape of max_pool (windowOut); padded
// and out-of-range taps never win; ties keep the first tap in row-major window order (a strict
// greater-than), as the reference does. The plain max_pool kernel stays the one used when the
// indices are not requested.
//
// Schedule: the default element loop over the outputs, each window unrolled (a chain of lets, so
// the expression stays linear in the taps). No knobs.

import type { Dim } from '../dim.js';
import type { TensorType } from '../graph.js';
import { elementLoops } from '../te-loops.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, and, binary, gt, imm, letIn, max, min, mul, select, seq, sub } from '../tir-build.js';
import type { Expr, Stmt } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { checkOutPositive, checkWindowOfInput, INPUT_MISMATCH, padBeginExpr, WINDOW_ATTRS, windowOf,
  windowOut } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const ARGMAX_ATTRS = { ...WINDOW_ATTRS, ceilMode: attr.flag(0), storageOrder: attr.flag(0) };
type ArgmaxAttrs = AttrValues<typeof ARGMAX_ATTRS>;

function inferArgmax(ins: readonly (TensorType | null)[], a: ArgmaxAttrs, ctx: InferCtx): TensorType[] {
  const x = ins[0]!;
  if (x.shape.length < 3) return ctx.fail(INPUT_MISMATCH, 'max_pool_argmax input must be [N, C, spatial...]');
  if (a.storageOrder && x.shape.length !== 4) {
    ctx.fail(INPUT_MISMATCH, 'max_pool_argmax storage_order 1 needs a 2-D pool');
  }
  const win = windowOf(a);
  const spatial: Dim[] = x.shape.slice(2).map((d, i) => windowOut(win, i, d));
  checkOutPositive(spatial, ctx);
  const shape = [x.shape[0], x.shape[1], ...spatial];
  return [{ dtype: x.dtype, shape }, { dtype: 'int64', shape }];
}

/** Every tap of a window as offsets, row-major. */
function taps(kernel: readonly number[]): number[][] {
  return kernel.reduce<number[][]>(
    (acc, k) => acc.flatMap((t) => Array.from({ length: k }, (_, j) => [...t, j])), [[]]);
}

function lowerArgmax(ctx: LowerCtx, a: ArgmaxAttrs): Lowering {
  const x = ctx.inputs[0]!, [y, ind] = ctx.outputs;
  const win = windowOf(a), X = x.shape.slice(2), O = y.shape.slice(2);
  const padB = X.map((d, i) => padBeginExpr(win, i, d, O[i]));
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  const lowest = imm(x.dtype.startsWith('float') ? -Infinity : -(2 ** 31), x.dtype);
  return { kind: 'kernel', body: elementLoops(env, y.shape, (idx) => {
    const [n, c, ...o] = idx;
    const plane = mul(add(mul(n, x.shape[1]), c), X.reduce<Expr>((p, q) => mul(p, q), imm(1)));
    const chain = (k: number, best: Expr, at: Expr, all: number[][]): Stmt => {
      if (k === all.length) return seq(y.store(idx, best), ind.store(idx, at));
      const coords = all[k].map((t, i) => sub(add(mul(o[i], win.strides[i]), t * win.dilations[i]), padB[i]));
      const inside = coords.map((p, i) => and(binary('ge', p, imm(0)), binary('lt', p, X[i])))
        .reduce((p, q) => and(p, q));
      const safe = coords.map((p, i) => max(min(p, sub(X[i], 1)), 0));
      const v = x.at([n, c, ...safe]);
      const spatial = a.storageOrder ? add(safe[0], mul(safe[1], X[0]))
        : safe.reduce<Expr>((p, q, i) => add(mul(p, X[i]), q), imm(0));
      const wins = and(inside, gt(v, best));
      const [b2, i2] = [ctx.fresh('best', x.dtype), ctx.fresh('at')];
      return letIn(b2, select(wins, v, best), letIn(i2, select(wins, add(plane, spatial), at),
        chain(k + 1, b2, i2, all)));
    };
    return chain(0, lowest, imm(0), taps(win.kernel));
  }) };
}

export const POOL_ARGMAX_OPS: readonly OpDef[] = [
  declareOp({ name: 'max_pool_argmax', traits: ['anchor'], attrs: ARGMAX_ATTRS, check: checkWindowOfInput,
    infer: inferArgmax, lower: lowerArgmax }),
];
