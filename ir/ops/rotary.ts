// Op record for `rotary_embedding {interleaved, rotaryDim, numHeads}` [x, cos, sin, positions?]
// (ONNX RotaryEmbedding 23): rotates pairs of each head's first rotaryDim features by the angle
// whose cosine and sine the caches hold.
// Requires: x [B, H, S, D] or [B, S, H*D] (numHeads given); with positions [B, S] (integers) the
// caches are [maxPosition, rotaryDim / 2], without them [B, S, rotaryDim / 2]; rotaryDim even,
// at most D (0: all of D).
// Guarantees: the ONNX reference: pairs are (i, i + rotaryDim/2) of the head, or (2i, 2i + 1)
// when interleaved; the pair (x1, x2) at frequency i becomes (cos·x1 - sin·x2, sin·x1 + cos·x2);
// features from rotaryDim on pass through. A position outside the caches is clamped into them
// (the load stays in bounds), never read past the end.
//
// Schedule: a `compute` (injective: every output element reads two x elements and one entry of
// each cache), so it fuses with its neighbours. No knobs.

import { type Dim, dimFloorDiv, isStatic } from '../dim.js';
import { isFloat } from '../dtype.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, cast, floordiv, imm, lt, max, min, mod, mul, select, sub } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { ATTR_RANGE, checkDimEq, INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const ROTARY_ATTRS = {
  interleaved: attr.flag(0), rotaryDim: attr.int(0, { min: 0 }), numHeads: attr.int(0, { min: 0 }),
};
type RotaryAttrs = AttrValues<typeof ROTARY_ATTRS>;

/** Head size and rotated width of x (as dims). */
function headOf(x: TensorType, a: RotaryAttrs, ctx: InferCtx): [Dim, Dim] {
  let D: Dim;
  if (x.shape.length === 4) D = x.shape[3];
  else {
    if (a.numHeads === 0) ctx.fail(ATTR_RANGE, `attribute 'numHeads' is required for a 3-D input`);
    const hidden = x.shape[2];
    if (isStatic(hidden) && hidden % a.numHeads !== 0) {
      ctx.fail(INPUT_MISMATCH, `hidden size ${hidden} is not a multiple of ${a.numHeads} heads`);
    }
    D = dimFloorDiv(hidden, a.numHeads);
  }
  if (a.rotaryDim % 2 !== 0) ctx.fail(ATTR_RANGE, `attribute 'rotaryDim' ${a.rotaryDim} is odd`);
  if (a.rotaryDim > 0 && isStatic(D) && a.rotaryDim > D) {
    ctx.fail(ATTR_RANGE, `attribute 'rotaryDim' ${a.rotaryDim} exceeds the head size ${D}`);
  }
  return [D, a.rotaryDim || D];
}

function inferRotary(ins: readonly (TensorType | null)[], a: RotaryAttrs, ctx: InferCtx): TensorType[] {
  const [x, cos, sin, pos] = ins;
  if (!x || !cos || !sin) {
    return ctx.fail(INPUT_MISMATCH, 'rotary_embedding needs x, cos_cache and sin_cache');
  }
  if (x.shape.length !== 3 && x.shape.length !== 4) {
    ctx.fail(INPUT_MISMATCH, `x must be [B, H, S, D] or [B, S, hidden], got rank ${x.shape.length}`);
  }
  if (!isFloat(x.dtype) || cos.dtype !== x.dtype || sin.dtype !== x.dtype) {
    ctx.fail(INPUT_MISMATCH, `x and the caches must share one float dtype`);
  }
  const [, rd] = headOf(x, a, ctx);
  const B = x.shape[0], S = x.shape.length === 4 ? x.shape[2] : x.shape[1];
  const want = pos ? 2 : 3;
  for (const [c, name] of [[cos, 'cos_cache'], [sin, 'sin_cache']] as const) {
    if (c.shape.length !== want) {
      ctx.fail(INPUT_MISMATCH, `${name} must have rank ${want} ${pos ? 'with' : 'without'} position_ids`);
    }
    const last = c.shape[c.shape.length - 1];
    if (isStatic(last) && isStatic(rd) && last * 2 < rd) {
      ctx.fail(INPUT_MISMATCH, `${name} holds ${last} frequencies, ${rd / 2} needed`);
    }
    if (!pos) {
      checkDimEq(c.shape[0], B, `batch of ${name} and x`, ctx);
      checkDimEq(c.shape[1], S, `sequence of ${name} and x`, ctx);
    }
  }
  checkDimEq(cos.shape[0], sin.shape[0], 'rows of the caches', ctx, [1, 2]);
  if (pos) {
    if (pos.shape.length !== 2 || !['int64', 'int32'].includes(pos.dtype)) {
      ctx.fail(INPUT_MISMATCH, 'position_ids must be int64 [B, S]');
    }
    checkDimEq(pos.shape[0], B, 'batch of position_ids and x', ctx, [3, 0]);
    checkDimEq(pos.shape[1], S, 'sequence of position_ids and x', ctx, [3, 0]);
  }
  return [{ dtype: x.dtype, shape: x.shape }];
}

function lowerRotary(ctx: LowerCtx, a: RotaryAttrs): Lowering {
  const [x, cos, sin, pos] = ctx.inputs, four = x!.shape.length === 4;
  const D = four ? x!.shape[3] : floordiv(x!.shape[2], a.numHeads);
  const rd = a.rotaryDim ? imm(a.rotaryDim) : D, half = floordiv(rd, 2);
  return { kind: 'compute', at: (idx) => {
    const [b, s] = four ? [idx[0], idx[2]] : [idx[0], idx[1]];
    const last = idx[idx.length - 1];
    const d = four ? last : mod(last, D), head = four ? imm(0) : sub(last, d); // offset of the head
    // Clamped so that the pass-through features (d >= rd) still load inside the caches.
    const freq = min(a.interleaved ? floordiv(d, 2) : mod(d, half), sub(half, 1));
    const first = a.interleaved ? lt(mod(d, 2), 1) : lt(d, half);
    const i1 = a.interleaved ? mul(freq, 2) : freq, i2 = add(i1, a.interleaved ? imm(1) : half);
    const at = (k: Expr) => x!.at([...idx.slice(0, -1), add(head, k)]);
    let cIdx: Expr[];
    if (pos) {
      const rows = cos!.shape[0];
      const p = cast(pos.at([b, s]), 'int64');
      cIdx = [max(min(p, sub(rows, 1)), 0), freq];
    } else cIdx = [b, s, freq];
    const c = cos!.at(cIdx), sn = sin!.at(cIdx);
    const x1 = at(i1), x2 = at(i2);
    const rotated = select(first, sub(mul(c, x1), mul(sn, x2)), add(mul(sn, x1), mul(c, x2)));
    return select(lt(d, rd), rotated, x!.at(idx));
  } };
}

export const ROTARY_OPS: readonly OpDef[] = [
  declareOp({ name: 'rotary_embedding', traits: ['injective'], attrs: ROTARY_ATTRS, infer: inferRotary,
    lower: lowerRotary }),
];
