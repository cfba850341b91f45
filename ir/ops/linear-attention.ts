// Op record for `linear_attention {scale}`: the token recurrence of ONNX LinearAttention (opset
// 27), one kernel. The converter (compiler/frontend/onnx/ops/sequence-model.ts) unpacks heads and
// casts to float32.
//   inputs  q [B, Hq, T, dk], k [B, Hkv, T, dk], v [B, Hkv, T, dv], state (optional, the past
//           state [B, Hkv, dk, dv]; zeros when absent), decay (optional, log-space gate
//           [B, Hkv, T, 1 | dk]), beta (optional, update rate [B, 1 | Hkv, T, 1]), scale
//           (optional, a 0-D tensor that overrides the attribute: a scale known only at run time)
//   outputs y [B, Hq, T, dv], the present state [B, Hkv, dk, dv]
// Per step t: S *= exp(decay_t) (rows d of S, when decay is given); v' = beta_t * (v_t - Sᵀ k_t)
// (when beta is given, else v_t); S += k_t ⊗ v'; then for each query head of the group
// y_t = scale * q_tᵀ S (query head hq reads kv head hq / (Hq / Hkv)).
// Requires: float32; Hq a multiple of Hkv.
// Guarantees: the steps run in order, in float32, as the standard's reference does; one parallel
// task per (batch, kv head) runs the whole time loop, so no step waits on another task. The state
// lives in the present-state output itself (an opaque op's outputs are plain buffers), so any dk
// and dv work; column m of S is updated and read on its own (v'[m] needs only column m).
// Decay widths and beta head counts known only at run time are checked before the node runs to be
// 1 or full (checkBroadcastTo), then read through a broadcast clamp.

import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import {
  add, alloc, div, imm, letIn, load, loop, mul, seq, store, sub, unary, unflatten,
} from '../tir-build.js';
import { attr, type AttrValues } from './attr-schema.js';
import { INPUT_MISMATCH, bcastCoord, checkBroadcastTo, checkDimEq, sinkBuffer } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const LINEAR_ATTENTION_ATTRS = { scale: attr.float(1) };
type LinearAttentionAttrs = AttrValues<typeof LINEAR_ATTENTION_ATTRS>;

function infer(ins: readonly (TensorType | null)[], _a: LinearAttentionAttrs, ctx: InferCtx): TensorType[] {
  const names = ['q', 'k', 'v', 'state', 'decay', 'beta', 'scale'];
  ins.forEach((t, i) => {
    if (!t) return;
    if (t.dtype !== 'float32' || t.shape.length !== (i === 6 ? 0 : 4)) {
      ctx.fail(INPUT_MISMATCH, `linear_attention ${names[i]} must be a ${i === 6 ? 0 : 4}-D float32 tensor`);
    }
  });
  const [q, k, v, state, decay, beta] = ins;
  if (!q || !k || !v) return ctx.fail(INPUT_MISMATCH, 'linear_attention needs q, k and v');
  const [B, Hq, T, dk] = q.shape, [, Hkv, , dv] = v.shape;
  checkDimEq(k.shape[0], B, 'linear_attention batch of k and q', ctx, [1, 0]);
  checkDimEq(k.shape[2], T, 'linear_attention steps of k and q', ctx, [1, 0]);
  checkDimEq(k.shape[3], dk, 'linear_attention key dims of k and q', ctx, [1, 0]);
  checkDimEq(v.shape[0], B, 'linear_attention batch of v and q', ctx, [2, 0]);
  checkDimEq(v.shape[1], k.shape[1], 'linear_attention heads of v and k', ctx, [2, 1]);
  checkDimEq(v.shape[2], T, 'linear_attention steps of v and q', ctx, [2, 0]);
  if (typeof Hq === 'number' && typeof Hkv === 'number' && Hq % Hkv !== 0) {
    ctx.fail(INPUT_MISMATCH, `linear_attention query heads ${Hq} are not a multiple of kv heads ${Hkv}`);
  }
  const stShape = [B, Hkv, dk, dv];
  if (state) stShape.forEach((d, i) => checkDimEq(state.shape[i], d, 'linear_attention state', ctx, [3]));
  if (decay) {
    [B, Hkv, T].forEach((d, i) => checkDimEq(decay.shape[i], d, 'linear_attention decay', ctx, [4]));
    checkBroadcastTo(decay.shape[3], dk, 'linear_attention decay width', ctx, [4]);
  }
  if (beta) {
    checkDimEq(beta.shape[0], B, 'linear_attention beta batch', ctx, [5]);
    checkBroadcastTo(beta.shape[1], Hkv, 'linear_attention beta heads', ctx, [5]);
    checkDimEq(beta.shape[2], T, 'linear_attention beta steps', ctx, [5]);
    checkDimEq(beta.shape[3], 1, 'linear_attention beta width', ctx, [5]);
  }
  return [{ dtype: 'float32', shape: [B, Hq, T, dv] }, { dtype: 'float32', shape: stShape }];
}

function lower(ctx: LowerCtx, a: LinearAttentionAttrs): Lowering {
  const [q, k, v, state, decay, beta, scaleIn] = ctx.inputs;
  const [y, present] = ctx.outputs;
  const [B, Hq, T, DK] = q!.shape, [, Hkv, , DV] = v!.shape;
  const st = sinkBuffer(present);
  const p = ctx.fresh('p'), t = ctx.fresh('t'), d = ctx.fresh('d'), m = ctx.fresh('m'), g = ctx.fresh('g');
  const [b, h] = unflatten(p, [B, Hkv]);
  const acc = ctx.scratch('acc', 'float32');
  const at = (dd: Expr, mm: Expr): Expr => add(mul(add(mul(p, DK), dd), DV), mm);
  const sAt = (dd: Expr, mm: Expr): Expr => load(st, at(dd, mm));
  const rows = (body: Stmt): Stmt => loop(d, DK, loop(m, DV, body));
  /** acc = sum over d of term(d), then `then` (acc read with load(acc, 0)). */
  const dot = (term: Expr, then: Stmt): Stmt => seq(store(acc, 0, imm(0, 'float32')),
    loop(d, DK, store(acc, 0, add(load(acc, 0), term))), then);
  const gd = ctx.fresh('gd', 'float32'), vm = ctx.fresh('vm', 'float32'), sc = ctx.fresh('scale', 'float32');
  const kAt = k!.at([b, h, t, d]);
  const init = rows(store(st, at(d, m), state ? state.at([b, h, d, m]) : imm(0, 'float32')));
  const steps: Stmt[] = [];
  if (decay) {
    steps.push(loop(d, DK, letIn(gd, unary('exp', decay.at([b, h, t, bcastCoord(d, decay.shape[3])])),
      loop(m, DV, store(st, at(d, m), mul(sAt(d, m), gd))))));
  }
  // Column m of S only depends on column m: v'[m] from it, then the column's update.
  const vAt = v!.at([b, h, t, m]);
  const update = loop(d, DK, store(st, at(d, m), add(sAt(d, m), mul(kAt, vm))));
  if (beta) {
    const bt = beta.at([b, bcastCoord(h, beta.shape[1]), t, imm(0)]);
    steps.push(loop(m, DV, dot(mul(sAt(d, m), kAt), letIn(vm, mul(bt, sub(vAt, load(acc, 0))), update))));
  } else {
    steps.push(loop(m, DV, letIn(vm, vAt, update)));
  }
  // Query heads h*G .. h*G + G - 1 read this kv head's state.
  const G = ctx.fresh('G'), hq = add(mul(h, G), g);
  steps.push(loop(g, G, loop(m, DV, dot(mul(q!.at([b, hq, t, d]), sAt(d, m)),
    y.store([b, hq, t, m], mul(load(acc, 0), sc))))));
  const scale = scaleIn ? scaleIn.at(scaleIn.shape.map(() => imm(0))) : imm(a.scale, 'float32');
  const task = letIn(G, div(Hq, Hkv), letIn(sc, scale, alloc(acc, 1, seq(init, loop(t, T, seq(...steps))))));
  return { kind: 'kernel', body: loop(p, mul(B, Hkv), task, 'parallel') };
}

export const LINEAR_ATTENTION_OPS: readonly OpDef[] = [
  declareOp({ name: 'linear_attention', traits: ['opaque'], attrs: LINEAR_ATTENTION_ATTRS, infer, lower }),
];
