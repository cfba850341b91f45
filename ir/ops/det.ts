// Op record `det` [x] -> [y, lu] (ONNX Det): the determinant of each [n, n] matrix of x
// [..., n, n], by LU factorisation with partial pivoting. `lu` (float64, x's shape) is the
// factorisation's workspace, an output only so that the memory plan sizes it for symbolic n; the
// frontend leaves it unused.
// Requires: x float, rank >= 2, its last two dims equal (checked at run time when symbolic).
// Guarantees: the elimination of numpy/LAPACK's getrf (pivot: the first row of largest |value|
// in the column; each row swap flips the sign), in float64; a singular matrix gives 0 (a zero
// pivot column is skipped, as getrf does) and never divides by 0.
//
// Schedule: matrices in parallel, each factorised serially. No knobs.

import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, alloc, binary, cast, div, gt, ifThen, imm, load, loop, mul, seq, store, sub, unary,
  unflatten } from '../tir-build.js';
import type { Expr, Stmt } from '../tir.js';
import { checkDimEq, INPUT_MISMATCH, prodExpr, sinkBuffer } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

function inferDet(ins: readonly (TensorType | null)[], _a: object, ctx: InferCtx): TensorType[] {
  const x = ins[0]!, r = x.shape.length;
  if (r < 2) return ctx.fail(INPUT_MISMATCH, `det needs a rank >= 2 input, got rank ${r}`);
  if (!['float32', 'float64', 'float16'].includes(x.dtype)) {
    ctx.fail(INPUT_MISMATCH, 'det input must be float');
  }
  checkDimEq(x.shape[r - 2], x.shape[r - 1], 'det matrix rows and columns', ctx, [0]);
  return [{ dtype: x.dtype, shape: x.shape.slice(0, -2) }, { dtype: 'float64', shape: x.shape }];
}

function lowerDet(ctx: LowerCtx): Lowering {
  const x = ctx.inputs[0]!, [y, luOut] = ctx.outputs, lu = sinkBuffer(luOut);
  const r = x.shape.length, n = x.shape[r - 1], lead = x.shape.slice(0, -2);
  const F = 'float64';
  const [b, i, j, k] = ['b', 'i', 'j', 'k'].map((h) => ctx.fresh(h));
  const [det, best] = [ctx.scratch('det', F), ctx.scratch('best', F)];
  const piv = ctx.scratch('piv', 'int64');
  const base = mul(mul(b, n), n);
  const at = (row: Expr, col: Expr): Expr => add(base, add(mul(row, n), col));
  const get = (row: Expr, col: Expr): Expr => load(lu, at(row, col));
  const abs = (e: Expr): Expr => unary('abs', e);
  const ne = (a: Expr, c: Expr): Expr => binary('ne', a, c);
  const from = add(k, 1), below = sub(n, from);
  const bi = unflatten(b, lead);
  const copy = loop(i, n, loop(j, n, store(lu, at(i, j), cast(x.at([...bi, i, j]), F))));
  // Pivot search over rows k..n-1: the first of largest magnitude.
  const search = seq(store(piv, 0, k), store(best, 0, abs(get(k, k))),
    loop(i, below, ifThen(gt(abs(get(i, k)), load(best, 0)),
      seq(store(piv, 0, i), store(best, 0, abs(get(i, k))))), 'serial', from));
  const p = load(piv, 0);
  const swapRow = seq(store(best, 0, get(k, j)), store(lu, at(k, j), get(p, j)),
    store(lu, at(p, j), load(best, 0)));
  const swap = ifThen(ne(p, k), seq(store(det, 0, unary('neg', load(det, 0))), loop(j, n, swapRow)));
  // Row i -= (lu[i, k] / pivot) * row k, the factor kept in `best`.
  const pivot = get(k, k);
  const eliminate = ifThen(ne(pivot, imm(0, F)), loop(i, below, seq(
    store(best, 0, unary('neg', div(get(i, k), pivot))),
    loop(j, below, store(lu, at(i, j), add(get(i, j), mul(load(best, 0), get(k, j)))), 'serial', from)),
  'serial', from));
  const step = seq(search, swap, store(det, 0, mul(load(det, 0), get(k, k))), eliminate);
  const body: Stmt = seq(copy, store(det, 0, imm(1, F)), loop(k, n, step),
    y.store(bi, cast(load(det, 0), y.dtype)));
  const perMatrix = alloc(det, 1, alloc(best, 1, alloc(piv, 1, body)));
  return { kind: 'kernel', body: loop(b, prodExpr(lead), perMatrix, 'parallel') };
}


export const DET_OPS: readonly OpDef[] = [
  declareOp({ name: 'det', traits: ['anchor'], attrs: {}, infer: inferDet, lower: lowerDet }),
];
