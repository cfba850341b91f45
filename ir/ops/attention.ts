// Op record for `attention`: softmax(mask(scale(q · kt))) · v in one kernel, the chain that
// compiler/passes/fuse-attention.ts recognises in exported transformer graphs.
//   inputs  q [..., S, D], kt [..., D, Sk] (keys already transposed, as the graphs compute them),
//           v [..., Sk, Dv], scale (a one-element tensor, optional), mask (optional, broadcast
//           to [..., S, Sk]); the batch dims of q, kt, v and the mask broadcast.
//   attrs   scaleOp none|mul|div (scores * scale or scores / scale); mask none|add|where
//           (scores + mask, or where(mask, fill, scores) with fillIf=1 / where(mask, scores, fill)
//           with fillIf=0); fill (the where's constant).
// Requires: float32; a static Dv (the output row is an accumulator tile); materialised inputs.
// Guarantees: the softmax is taken over the whole key row, as the unfused chain does: per block of
// keys the scores are rescaled by exp(old max - new max) (online softmax), so no [S, Sk] score
// tensor is ever written. A row whose keys are all masked to -inf gives NaN, as Softmax does.
//
// Schedule (knobs; compiler/schedule/families/attention.ts):
//   attn.vec  lanes per vector (along keys for the scores, along Dv for the output)
//   attn.tq   query rows per task: each key vector and each value vector is used attn.tq times
//   attn.kb   key vectors per block: the block's scores stay in registers, its weights in L1 (a
//             sequence whose keys fit one vector runs one-vector blocks instead)
// Each task owns TQ query rows of one (batch, head): for every block of BK = kb*vec keys it
// computes the TQ x BK scores (broadcast q element times a vector of kt's row d), applies scale
// and mask, updates the running max m and sum l, rescales the TQ x Dv accumulators and adds the
// block's p · v; the last step divides by l. Rows past S clamp to row S-1 and are not stored.

import type { Dim } from '../dim.js';
import { dimKey } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import type { Buffer, Expr, Stmt, Var } from '../tir.js';
import {
  add, alloc, and, div, eq, ifThen, imm, le, letIn, load, loop, lt, max, min, mul, select, seq, store, sub,
  unary, unflatten,
} from '../tir-build.js';
import { attr, type AttrValues } from './attr-schema.js';
import {
  INPUT_MISMATCH, bcastCoord, ceilDivExpr, checkBroadcastTo, checkDimEq, constOf, knob, prodExpr,
  requireFloat,
} from './attrs.js';
import { broadcastDim } from './broadcast.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

export const ATTENTION_ATTRS = {
  scaleOp: attr.oneOf(['none', 'mul', 'div'] as const),
  mask: attr.oneOf(['none', 'add', 'where'] as const),
  fill: attr.float(0),
  fillIf: attr.flag(1),
};
type AttentionAttrs = AttrValues<typeof ATTENTION_ATTRS>;

/** Largest Dv the accumulator tile holds (TQ x Dv floats live in registers). */
export const MAX_ATTENTION_DV = 256;

function batchOf(shapes: readonly (readonly Dim[])[], ctx: InferCtx): Dim[] {
  const r = Math.max(...shapes.map((s) => s.length - 2));
  const out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const x = s[s.length - 2 - r + i] ?? 1;
      d = broadcastDim(d, x) ?? ctx.fail(INPUT_MISMATCH, `attention batch dims ${dimKey(d)} and ` +
        `${dimKey(x)} cannot be broadcast`);
    }
    out.push(d);
  }
  return out;
}

function inferAttention(ins: readonly (TensorType | null)[], a: AttentionAttrs, ctx: InferCtx): TensorType[] {
  const q = requireFloat(ins, 0, 'attention q', ctx, 2), kt = requireFloat(ins, 1, 'attention kt', ctx, 2);
  const v = requireFloat(ins, 2, 'attention v', ctx, 2);
  if (q.dtype !== 'float32' || kt.dtype !== 'float32' || v.dtype !== 'float32') {
    ctx.fail(INPUT_MISMATCH, 'attention runs on float32 only');
  }
  const [S, D] = q.shape.slice(-2), [Dk, Sk] = kt.shape.slice(-2), [Sv, Dv] = v.shape.slice(-2);
  checkDimEq(D, Dk, 'attention q and kt inner dims', ctx, [0, 1]);
  checkDimEq(Sk, Sv, 'attention key counts of kt and v', ctx, [1, 2]);
  if (typeof Dv !== 'number' || Dv > MAX_ATTENTION_DV) {
    ctx.fail(INPUT_MISMATCH, `attention needs a static Dv of at most ${MAX_ATTENTION_DV}`);
  }
  const batch = batchOf([q.shape, kt.shape, v.shape], ctx);
  const scale = ins[3];
  if ((a.scaleOp === 'none') !== !scale) ctx.fail(INPUT_MISMATCH, 'attention scale and scaleOp disagree');
  if (scale && scale.shape.some((d) => d !== 1)) ctx.fail(INPUT_MISMATCH,
    'attention scale must have one element');
  const mask = ins[4];
  if ((a.mask === 'none') !== !mask) ctx.fail(INPUT_MISMATCH, 'attention mask and mask kind disagree');
  if (mask) {
    const want = [...batch, S, Sk];
    if (mask.shape.length > want.length) ctx.fail(INPUT_MISMATCH, 'attention mask rank exceeds the scores');
    if ((a.mask === 'where') !== (mask.dtype === 'bool')) {
      ctx.fail(INPUT_MISMATCH, `attention ${a.mask} mask cannot be ${mask.dtype}`);
    }
    mask.shape.forEach((d, i) =>
      checkBroadcastTo(d, want[want.length - mask.shape.length + i], 'attention mask', ctx, [4]));
  }
  return [{ dtype: 'float32', shape: [...batch, S, Dv] }];
}

/** Tile sizes and extents one kernel works with. */
interface Geo {
  readonly V: number; readonly TQ: number; readonly KB: number; readonly BK: number;
  readonly NV: number; readonly Dv: number;
  readonly S: Expr; readonly D: Expr; readonly Sk: Expr;
}

/** Flat offset of an operand's batch coordinates (right-aligned, broadcast) in its own dims. */
function batchOffset(t: TensorAccess, bc: readonly Expr[]): Expr {
  const own = t.shape.slice(0, -2);
  return own.reduce<Expr>((acc, d, x) => add(mul(acc, d), bcastCoord(bc[bc.length - own.length + x], d)),
    imm(0));
}

const buf = (t: TensorAccess | null | undefined, what: string): Buffer => {
  if (!t?.buffer) throw new Error(`internal: attention ${what} must be materialised`);
  return t.buffer;
};

const sameExpr = (a: Expr, b: Expr): boolean => JSON.stringify(a) === JSON.stringify(b);

/**
 * scale and mask applied to score `x` of query row i, key j (j < Sk already known). A mask axis
 * whose extent is the scores' own is indexed directly: the clamp that a broadcast from a symbolic
 * dim needs (bcastCoord) would turn the contiguous key loads into gathers.
 */
function scoreOf(ctx: LowerCtx, a: AttentionAttrs, p: { bc: readonly Expr[]; full: readonly Expr[];
  scale: Expr | null }, i: Expr, j: Expr, x: Expr): Expr {
  const mask = ctx.inputs[4];
  let s = x;
  if (p.scale) s = a.scaleOp === 'mul' ? mul(s, p.scale) : div(s, p.scale);
  if (mask && a.mask !== 'none') {
    const coords = [...p.bc, i, j], r = mask.shape.length, off = coords.length - r;
    const idx = mask.shape.map((d, x2) =>
      (sameExpr(d, p.full[off + x2]!) ? coords[off + x2]! : bcastCoord(coords[off + x2]!, d)));
    const m = mask.at(idx);
    if (a.mask === 'add') s = add(s, m);
    else s = a.fillIf ? select(m, imm(a.fill, 'float32'), s) : select(m, s, imm(a.fill, 'float32'));
  }
  return s;
}

/** The TQ x BK scores of key block kb, scaled and masked (keys past Sk at -inf), into `sc`. */
function scores(ctx: LowerCtx, a: AttentionAttrs, g: Geo, p: { bc: readonly Expr[]; full: readonly Expr[];
  scale: Expr | null; row: (tq: Expr) => Expr; qo: Expr; ko: Expr; j0: Expr }, sc: Buffer): Stmt {
  const q = buf(ctx.inputs[0], 'q'), kt = buf(ctx.inputs[1], 'kt');
  const d = ctx.fresh('d'), tq = ctx.fresh('tq'), kv = ctx.fresh('kv'), lv = ctx.fresh('v');
  const av = ctx.fresh('a', 'float32');
  const j = add(add(p.j0, mul(kv, g.V)), lv), at = add(mul(add(mul(tq, g.KB), kv), g.V), lv);
  const tile = (body: Stmt): Stmt =>
    loop(tq, g.TQ, loop(kv, g.KB, loop(lv, g.V, body, 'vectorize'), 'unroll'), 'unroll');
  const ktv = select(lt(j, g.Sk), load(kt, add(mul(add(mul(p.ko, g.D), d), g.Sk), j)), imm(0, 'float32'));
  const fma = store(sc, at, add(mul(av, ktv), load(sc, at)));
  const qAt = load(q, add(mul(add(mul(p.qo, g.S), p.row(tq)), g.D), d));
  const reduce = loop(d, g.D, loop(tq, g.TQ, letIn(av, qAt,
    loop(kv, g.KB, loop(lv, g.V, fma, 'vectorize'), 'unroll')), 'unroll'));
  const fix = store(sc, at, select(lt(j, g.Sk), scoreOf(ctx, a, p, p.row(tq), j, load(sc, at)),
    imm(-Infinity, 'float32')));
  return seq(tile(store(sc, at, imm(0, 'float32'))), reduce, tile(fix));
}

/** Horizontal reduction of row tq of `sc` (BK entries) with `combine`, into a let var. */
function rowReduce(ctx: LowerCtx, g: Geo, src: (tq: Expr, at: Expr) => Expr, tq: Expr, identity: number,
  combine: (x: Expr, y: Expr) => Expr, then: (r: Var) => Stmt): Stmt {
  const part = ctx.scratch('part', 'float32'), tot = ctx.scratch('tot', 'float32');
  const kv = ctx.fresh('kv'), lv = ctx.fresh('v'), l2 = ctx.fresh('l'), r = ctx.fresh('r', 'float32');
  const body = seq(
    loop(lv, g.V, store(part, lv, imm(identity, 'float32')), 'vectorize'),
    loop(kv, g.KB, loop(lv, g.V, store(part, lv, combine(load(part, lv), src(tq, add(mul(kv, g.V), lv)))),
      'vectorize'), 'unroll'),
    store(tot, 0, imm(identity, 'float32')),
    loop(l2, g.V, store(tot, 0, combine(load(tot, 0), load(part, l2))), 'unroll'),
  );
  return alloc(part, g.V, alloc(tot, 1, seq(body, letIn(r, load(tot, 0), then(r)))));
}

/**
 * Online-softmax update of row tq after a block: new max, weights p = exp(s - max) into `pw`,
 * l = l * alpha + p (l holds V lane partials, summed once at the end), acc *= alpha. A max still
 * at -inf (every key so far masked) uses 0 as its reference, so the weights are 0 rather than NaN
 * until a key counts.
 */
function update(ctx: LowerCtx, g: Geo, tq: Expr, bufs: { sc: Buffer; pw: Buffer; m: Buffer; l: Buffer;
  acc: Buffer }): Stmt {
  const { sc, pw, m, l, acc } = bufs;
  const sAt = (t: Expr, x: Expr) => load(sc, add(mul(t, g.BK), x));
  const mu = ctx.fresh('mu', 'float32'), alpha = ctx.fresh('alpha', 'float32');
  const kv = ctx.fresh('kv'), lv = ctx.fresh('v'), c = ctx.fresh('c');
  return rowReduce(ctx, g, sAt, tq, -Infinity, max, (bmax) => {
    const mnew = max(load(m, tq), bmax);
    const ref = select(eq(mnew, imm(-Infinity, 'float32')), imm(0, 'float32'), mnew);
    const x = add(mul(kv, g.V), lv);
    const weights = loop(kv, g.KB, loop(lv, g.V,
      store(pw, add(mul(tq, g.BK), x), unary('exp', sub(sAt(tq, x), mu))), 'vectorize'), 'unroll');
    const lAt = add(mul(tq, g.V), lv);
    let blockSum: Expr = mul(load(l, lAt), alpha);
    for (let k = 0; k < g.KB; k++) blockSum = add(blockSum, load(pw, add(add(mul(tq, g.BK), k * g.V), lv)));
    const accAt = add(mul(add(mul(tq, g.NV), c), g.V), lv);
    const rescale = loop(c, g.NV, loop(lv, g.V, store(acc, accAt, mul(load(acc, accAt), alpha)), 'vectorize'),
      'unroll');
    return letIn(mu, ref, letIn(alpha, unary('exp', sub(load(m, tq), mu)), seq(
      weights,
      loop(lv, g.V, store(l, lAt, blockSum), 'vectorize'),
      rescale,
      store(m, tq, mnew),
    )));
  });
}

/** acc[tq] += sum over the block's valid keys of p[tq, j] * v[j0 + j]. */
function accumulate(ctx: LowerCtx, g: Geo, p: { vo: Expr; j0: Expr }, pw: Buffer, acc: Buffer): Stmt {
  const v = buf(ctx.inputs[2], 'v');
  const jj = ctx.fresh('j'), tq = ctx.fresh('tq'), c = ctx.fresh('c'), lv = ctx.fresh('v');
  const pv = ctx.fresh('p', 'float32');
  const dv = add(mul(c, g.V), lv), accAt = add(mul(add(mul(tq, g.NV), c), g.V), lv);
  const raw = load(v, add(mul(add(mul(p.vo, g.Sk), add(p.j0, jj)), g.Dv), dv));
  const vv = g.Dv % g.V === 0 ? raw : select(lt(dv, g.Dv), raw, imm(0, 'float32'));
  const n = min(imm(g.BK), sub(g.Sk, p.j0));
  return loop(jj, n, loop(tq, g.TQ, letIn(pv, load(pw, add(mul(tq, g.BK), jj)),
    loop(c, g.NV, loop(lv, g.V, store(acc, accAt, add(mul(pv, vv), load(acc, accAt))), 'vectorize'),
      'unroll')), 'unroll'));
}

/** The sum of row tq's V lane partials of l, into a let var. */
function laneSum(ctx: LowerCtx, g: Geo, l: Buffer, tq: Expr, then: (r: Var) => Stmt): Stmt {
  const tot = ctx.scratch('tot', 'float32'), l2 = ctx.fresh('l'), r = ctx.fresh('r', 'float32');
  return alloc(tot, 1, seq(store(tot, 0, imm(0, 'float32')),
    loop(l2, g.V, store(tot, 0, add(load(tot, 0), load(l, add(mul(tq, g.V), l2)))), 'unroll'),
    letIn(r, load(tot, 0), then(r))));
}

/** One task's work (TQ query rows of one batch entry) with the key blocks of `g`. */
function taskBody(ctx: LowerCtx, a: AttentionAttrs, g: Geo,
  at: { pv: Var; sv: Var; batch: readonly Expr[] }): Stmt {
  const q = ctx.inputs[0]!, kt = ctx.inputs[1]!, v = ctx.inputs[2]!, out = ctx.outputs[0];
  const { batch, sv } = at;
  const kb = ctx.fresh('kb'), tq = ctx.fresh('tq'), c = ctx.fresh('c'), lv = ctx.fresh('v');
  const [fb, qb] = unflatten(at.pv, [prodExpr(batch), ceilDivExpr(g.S, g.TQ)]);
  const bc = batch.length ? unflatten(fb, batch) : [];
  const rowOf = (t: Expr): Expr => add(mul(qb, g.TQ), t);
  const row = (t: Expr): Expr => min(rowOf(t), sub(g.S, 1));
  const [sc, pw, m, l, acc] = (['sc', 'pw', 'm', 'l', 'acc'] as const).map((h) => ctx.scratch(h, 'float32'));
  const accAt = add(mul(add(mul(tq, g.NV), c), g.V), lv);
  const bufs = { sc: sc!, pw: pw!, m: m!, l: l!, acc: acc! };
  const init = loop(tq, g.TQ, seq(store(m!, tq, imm(-Infinity, 'float32')),
    loop(lv, g.V, store(l!, add(mul(tq, g.V), lv), imm(0, 'float32')), 'vectorize'),
    loop(c, g.NV, loop(lv, g.V, store(acc!, accAt, imm(0, 'float32')), 'vectorize'), 'unroll')), 'unroll');
  const p = { bc, full: [...batch, g.S, g.Sk], scale: a.scaleOp !== 'none' && ctx.inputs[3] ? sv : null, row,
    qo: batchOffset(q, bc), ko: batchOffset(kt, bc), vo: batchOffset(v, bc), j0: mul(kb, g.BK) };
  const block = seq(
    scores(ctx, a, g, p, sc!),
    loop(tq, g.TQ, update(ctx, g, tq, bufs), 'unroll'),
    accumulate(ctx, g, p, pw!, acc!),
  );
  const dv = add(mul(c, g.V), lv);
  const inv = ctx.fresh('inv', 'float32');
  const st = out.store([...bc, rowOf(tq), dv], mul(load(acc!, accAt), inv));
  const conds = [lt(rowOf(tq), g.S), ...(g.Dv % g.V === 0 ? [] : [lt(dv, g.Dv)])];
  const guarded = ifThen(conds.length > 1 ? conds.reduce((x, y) => and(x, y)) : conds[0]!, st);
  const store1 = (sum: Var): Stmt => letIn(inv, div(imm(1, 'float32'), sum),
    loop(c, g.NV, loop(lv, g.V, guarded, out.vectorizable ? 'vectorize' : 'serial'), 'unroll'));
  const fin = loop(tq, g.TQ, laneSum(ctx, g, l!, tq, store1), 'unroll');
  const body = seq(init, loop(kb, ceilDivExpr(g.Sk, g.BK), block), fin);
  return alloc(sc!, g.TQ * g.BK, alloc(pw!, g.TQ * g.BK, alloc(m!, g.TQ, alloc(l!, g.TQ * g.V,
    alloc(acc!, g.TQ * g.NV * g.V, body)))));
}

function lowerAttention(ctx: LowerCtx, a: AttentionAttrs): Lowering {
  const q = ctx.inputs[0]!, kt = ctx.inputs[1]!, v = ctx.inputs[2]!, out = ctx.outputs[0];
  const Dv = constOf(v.shape[v.shape.length - 1]);
  if (Dv === undefined) throw new Error('internal: attention needs a static Dv');
  const V = knob(ctx.knobs, 'attn.vec', ctx.target.vectorLanes), KB = knob(ctx.knobs, 'attn.kb', 4);
  const geo = (kb: number): Geo => ({
    V, TQ: knob(ctx.knobs, 'attn.tq', 4), KB: kb, BK: kb * V, NV: Math.ceil(Dv / V), Dv,
    S: q.shape[q.shape.length - 2], D: q.shape[q.shape.length - 1], Sk: kt.shape[kt.shape.length - 1],
  });
  const g = geo(KB), batch = out.shape.slice(0, -2);
  const at = { pv: ctx.fresh('p'), sv: ctx.fresh('scale', 'float32'), batch };
  // Keys that fit one vector need a one-vector block: a wider one would compute masked scores.
  const skC = constOf(g.Sk);
  let work: Stmt;
  if (KB === 1 || (skC !== undefined && skC > V)) work = taskBody(ctx, a, g, at);
  else if (skC !== undefined) work = taskBody(ctx, a, geo(1), at);
  else work = ifThen(le(g.Sk, V), taskBody(ctx, a, geo(1), at), taskBody(ctx, a, g, at));
  // The scale is read once per task, outside the masked lanes (a load there is a masked load).
  const scale = ctx.inputs[3];
  const task = a.scaleOp !== 'none' && scale ? letIn(at.sv, scale.at(scale.shape.map(() => imm(0))),
    work) : work;
  return { kind: 'kernel', body: loop(at.pv, prodExpr([prodExpr(batch), ceilDivExpr(g.S, g.TQ)]), task,
    'parallel') };
}

export const ATTENTION_OPS: readonly OpDef[] = [
  declareOp({ name: 'attention', traits: ['anchor'], schedule: 'attention', attrs: ATTENTION_ATTRS,
    infer: inferAttention, lower: lowerAttention }),
];
