// Op records for ONNX NonMaxSuppression, whose output length depends on the data. Split like the
// ops of select.ts (shape function before allocation, DESIGN.md decision 2) into
//   nms_select {centerPointBox} [boxes, scores, maxOut?, iou?, scoreMin?]
//       -> perClass int64[B, C] (boxes kept per batch and class), order int64[B, C, S] and
//          picked int64[B, C, S] (scratch: each class's boxes sorted by score, then the kept ones)
//   nms_count [perClass] -> int64[]               (their total, read by the VM before allocating)
//   nms_gather [picked, perClass, count] -> int64[count, 3]  (batch, class, box) triples
// boxes [B, S, 4] hold [y1, x1, y2, x2] (any two opposite corners) or, with centerPointBox,
// [x centre, y centre, width, height]; scores are [B, C, S].
// Guarantees: onnxruntime's greedy selection: per (batch, class), the boxes whose score exceeds
// scoreMin (every box when it is absent) in order of decreasing score (ties: lower box index
// first, a stable merge sort), each kept unless its IoU with a box already kept exceeds iou
// (default 0), at most maxOut (default 0: none) per class. Boxes of no area, or with no overlap,
// suppress nothing. Output rows are ordered by batch, class, then selection order.
// Every write into the count-sized output is guarded by `pos < count`.
//
// Schedule: nms_select runs the B*C classes in parallel (each sorted and scanned serially);
// nms_count and nms_gather are serial scans over B*C. No knobs.

import { type Dim, isStatic } from '../dim.js';
import type { DType } from '../dtype.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import {
  add, alloc, and, binary, cast, div, floordiv, gt, ifThen, imm, letIn, load, loop, lt, max, min, mod, mul,
  select, seq, store, sub,
} from '../tir-build.js';
import type { Expr } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { ATTR_RANGE, checkDimEq, INPUT_MISMATCH, prodExpr, sinkBuffer } from './attrs.js';
import { declareOp } from './declare.js';
import { mergeSort } from './select-sort.js';
import type { InferCtx, OpDef } from './registry.js';

const NMS_ATTRS = { centerPointBox: attr.flag(0) };
type NmsAttrs = AttrValues<typeof NMS_ATTRS>;

const I = (v: number): Expr => imm(v);
const FLOATS = new Set(['float32', 'float64', 'float16']);

function need(t: TensorType | null | undefined, what: string, ctx: InferCtx): TensorType {
  return t ?? ctx.fail(INPUT_MISMATCH, `missing ${what}`);
}

/** An optional one-element input (rank 0 or 1). */
function checkScalar(t: TensorType | null | undefined, what: string, ints: boolean, ctx: InferCtx): void {
  if (!t) return;
  if (t.shape.length > 1 || (t.shape.length === 1 && isStatic(t.shape[0]) && t.shape[0] !== 1)) {
    ctx.fail(INPUT_MISMATCH, `${what} must hold one element`);
  }
  const ok = ints ? t.dtype === 'int64' || t.dtype === 'int32' : FLOATS.has(t.dtype);
  if (!ok) ctx.fail(INPUT_MISMATCH, `${what} must be ${ints ? 'an integer' : 'a float'}, got ${t.dtype}`);
}

function inferSelect(ins: readonly (TensorType | null)[], _a: NmsAttrs, ctx: InferCtx): TensorType[] {
  const boxes = need(ins[0], 'boxes', ctx), scores = need(ins[1], 'scores', ctx);
  if (boxes.shape.length !== 3 || scores.shape.length !== 3) {
    ctx.fail(INPUT_MISMATCH, `boxes [B, S, 4] and scores [B, C, S] must have rank 3, got ranks ${
      boxes.shape.length} and ${scores.shape.length}`);
  }
  if (!FLOATS.has(boxes.dtype) || !FLOATS.has(scores.dtype)) {
    ctx.fail(INPUT_MISMATCH, `boxes and scores must be floats, got ${boxes.dtype} and ${scores.dtype}`);
  }
  const [B, S, four] = boxes.shape, C = scores.shape[1];
  if (isStatic(four) && four !== 4) ctx.fail(INPUT_MISMATCH, `boxes' last dim is ${four}, expected 4`);
  checkDimEq(four, 4, 'box coordinates', ctx, [0]);
  checkDimEq(scores.shape[0], B, 'batches of scores and boxes', ctx, [1, 0]);
  checkDimEq(scores.shape[2], S, 'boxes of scores and boxes', ctx, [1, 0]);
  checkScalar(ins[2], 'max_output_boxes_per_class', true, ctx);
  checkScalar(ins[3], 'iou_threshold', false, ctx);
  checkScalar(ins[4], 'score_threshold', false, ctx);
  return [{ dtype: 'int64', shape: [B, C] }, { dtype: 'int64', shape: [B, C, S] },
    { dtype: 'int64', shape: [B, C, S] }];
}

function inferCount(ins: readonly (TensorType | null)[], _a: unknown, ctx: InferCtx): TensorType[] {
  const per = need(ins[0], 'per-class counts', ctx);
  if (per.dtype !== 'int64' || per.shape.length !== 2) {
    ctx.fail(INPUT_MISMATCH, 'per-class counts must be int64[B, C]');
  }
  return [{ dtype: 'int64', shape: [] }];
}

function inferGather(ins: readonly (TensorType | null)[], _a: unknown, ctx: InferCtx): TensorType[] {
  const picked = need(ins[0], 'picked boxes', ctx), per = need(ins[1], 'per-class counts', ctx);
  if (picked.shape.length !== 3 || per.shape.length !== 2) {
    ctx.fail(INPUT_MISMATCH, 'nms_gather needs picked int64[B, C, S] and counts int64[B, C]');
  }
  const v = ctx.values(2);
  if (!v || v.length !== 1) return ctx.fail(INPUT_MISMATCH, 'the count must be a one-element integer tensor');
  const count: Dim = v[0];
  if (isStatic(count) && count < 0) ctx.fail(ATTR_RANGE, `count ${count} is negative`);
  return [{ dtype: 'int64', shape: [count, 3] }];
}

/** Element 0 of a one-element tensor (rank 0 or 1). */
const first = (t: TensorAccess): Expr => t.at(t.shape.map(() => I(0)));

/** The box's [xmin, xmax, ymin, ymax] in float `dt`. */
function extent(boxes: TensorAccess, b: Expr, s: Expr, center: boolean, dt: DType): Expr[] {
  const v = [0, 1, 2, 3].map((k) => cast(boxes.at([b, s, I(k)]), dt));
  if (center) {
    const hw = mul(v[2], imm(0.5, dt)), hh = mul(v[3], imm(0.5, dt));
    return [sub(v[0], hw), add(v[0], hw), sub(v[1], hh), add(v[1], hh)];
  }
  return [min(v[1], v[3]), max(v[1], v[3]), min(v[0], v[2]), max(v[0], v[2])];
}

/** Whether box p, kept already, suppresses box q: their IoU exceeds the threshold. */
function suppresses(q: Expr[], p: Expr[], iou: Expr, dt: DType): Expr {
  const zero = imm(0, dt);
  const ix0 = max(q[0], p[0]), ix1 = min(q[1], p[1]), iy0 = max(q[2], p[2]), iy1 = min(q[3], p[3]);
  const inter = mul(sub(ix1, ix0), sub(iy1, iy0));
  const aq = mul(sub(q[1], q[0]), sub(q[3], q[2])), ap = mul(sub(p[1], p[0]), sub(p[3], p[2]));
  const union = sub(add(aq, ap), inter);
  const all = (...c: Expr[]): Expr => c.reduce((x, y) => and(x, y));
  return all(gt(ix1, ix0), gt(iy1, iy0), gt(aq, zero), gt(ap, zero), gt(union, zero),
    gt(div(inter, union), iou));
}

function lowerSelect(ctx: LowerCtx, a: NmsAttrs): Lowering {
  const [boxes, scores, maxOut, iouIn, scoreIn] = ctx.inputs;
  const [perClass] = ctx.outputs;
  const order = sinkBuffer(ctx.outputs[1]), picked = sinkBuffer(ctx.outputs[2]);
  const dt: DType = boxes!.dtype === 'float64' ? 'float64' : 'float32';
  const [B, C, S] = [scores!.shape[0], scores!.shape[1], scores!.shape[2]];
  const [bc, r, j, q, p, kept] = ['bc', 'r', 'j', 'q', 'p', 'kept'].map((h) => ctx.fresh(h));
  const b = floordiv(bc, C), c = mod(bc, C);
  const base = mul(bc, S), pos = (l: Expr): Expr => add(base, l);
  const score = (s: Expr): Expr => cast(scores!.at([b, c, s]), dt);
  const st = ctx.scratch('st', 'int64'), cnt = ctx.scratch('cnt', 'int64');
  const cmp = (x: Expr, y: Expr) => ({ pre: seq(),
    result: select(gt(score(x), score(y)), I(-1), select(lt(score(x), score(y)), I(1), I(0))) });
  const limit = maxOut ? cast(first(maxOut), 'int64') : I(0);
  const iou = iouIn ? cast(first(iouIn), dt) : imm(0, dt);
  const center = a.centerPointBox !== 0;
  const qBox = extent(boxes!, b, q, center, dt), pBox = extent(boxes!, b, p, center, dt);
  // cnt[0]: boxes kept in this class; cnt[1]: whether the candidate is suppressed.
  const candidate = seq(
    store(cnt, 1, I(0)),
    letIn(kept, load(cnt, 0), loop(j, kept, letIn(p, load(picked, pos(j)),
      ifThen(suppresses(qBox, pBox, iou, dt), store(cnt, 1, I(1)))))),
    ifThen(binary('eq', load(cnt, 1), I(0)), seq(
      store(picked, pos(load(cnt, 0)), q),
      store(cnt, 0, add(load(cnt, 0), 1)))),
  );
  const eligible = (s: Expr): Expr => {
    const room = lt(load(cnt, 0), limit);
    return scoreIn ? and(room, gt(score(s), cast(first(scoreIn), dt))) : room;
  };
  const perBc = alloc(st, 4, alloc(cnt, 2, seq(
    mergeSort(ctx, S, order, picked, pos, cmp, st),
    store(cnt, 0, I(0)),
    loop(r, S, letIn(q, load(order, pos(r)), ifThen(eligible(q), candidate))),
    perClass.store([b, c], load(cnt, 0)),
  )));
  return { kind: 'kernel', body: loop(bc, mul(B, C), perBc, 'parallel') };
}

function lowerCount(ctx: LowerCtx): Lowering {
  const per = ctx.inputs[0]!, acc = ctx.scratch('acc', 'int64'), i = ctx.fresh('i');
  const C = per.shape[1];
  const body = alloc(acc, 1, seq(
    store(acc, 0, I(0)),
    loop(i, prodExpr(per.shape), store(acc, 0, add(load(acc, 0), per.at([floordiv(i, C), mod(i, C)])))),
    ctx.outputs[0].store([], load(acc, 0)),
  ));
  return { kind: 'kernel', body };
}

function lowerGather(ctx: LowerCtx): Lowering {
  const [picked, per] = [ctx.inputs[0]!, ctx.inputs[1]!], out = ctx.outputs[0];
  const [B, C] = per.shape, count = out.shape[0], last = sub(picked.shape[2], 1);
  const [b, c, j, n, p] = ['b', 'c', 'j', 'n', 'p'].map((h) => ctx.fresh(h));
  const pos = ctx.scratch('pos', 'int64');
  const row = letIn(p, load(pos, 0), ifThen(lt(p, count), seq(
    out.store([p, I(0)], b), out.store([p, I(1)], c), out.store([p, I(2)], picked.at([b, c, min(j, last)])),
    store(pos, 0, add(p, 1)))));
  const body = alloc(pos, 1, seq(store(pos, 0, I(0)),
    loop(b, B, loop(c, C, letIn(n, per.at([b, c]), loop(j, n, row))))));
  return { kind: 'kernel', body };
}

export const NMS_OPS: readonly OpDef[] = [
  declareOp({ name: 'nms_select', traits: ['opaque'], attrs: NMS_ATTRS, infer: inferSelect,
    lower: lowerSelect }),
  declareOp({ name: 'nms_count', traits: ['opaque'], attrs: {}, infer: inferCount, lower: lowerCount }),
  declareOp({ name: 'nms_gather', traits: ['opaque'], attrs: {}, infer: inferGather, lower: lowerGather }),
];
