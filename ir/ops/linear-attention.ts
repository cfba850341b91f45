// Op record for `linear_attention {scale}`: the token recurrence of ONNX LinearAttention (opset
// 27), one kernel. The converter (compiler/frontend/onnx/ops/sequence-model.ts) unpacks heads and
// casts to float32.
//   inputs  q [B, Hq, T, dk], k [B, Hkv, T, dk], v [B, Hkv, T, dv], state (optional, the past
//           state [B, Hkv, dk, dv]; zeros when absent), decay (optional, log-space gate
//           [B, Hkv, T, 1 | dk]), beta (optional, update rate [B, 1 | Hkv, T, 1])
//   outputs y [B, Hq, T, dv], the present state [B, Hkv, dk, dv]
// Per step t: S *= exp(decay_t) (rows d of S, when decay is given); v' = beta_t * (v_t - Sᵀ k_t)
// (when beta is given, else v_t); S += k_t ⊗ v'; then for each query head of the group
// y_t = scale * q_tᵀ S (query head hq reads kv head hq / (Hq / Hkv)).
// Requires: float32; static dk and dv (the state of one head lives in scratch, at most
// MAX_STATE floats); Hq a multiple of Hkv.
// Guarantees: the steps run in order, in float32, as the standard's reference does; one parallel
// task per (batch, kv head) runs the whole time loop, so no step waits on another task.

import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import type { Expr, Stmt } from '../tir.js';
import {
  add, alloc, div, imm, letIn, load, loop, mul, seq, store, sub, unary, unflatten,
} from '../tir-build.js';
import { attr, type AttrValues } from './attr-schema.js';
import { INPUT_MISMATCH, bcastCoord, checkDimEq, constOf } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const LINEAR_ATTENTION_ATTRS = { scale: attr.float(1) };
type LinearAttentionAttrs = AttrValues<typeof LINEAR_ATTENTION_ATTRS>;

/** Most floats of one head's state (dk * dv) the kernel keeps in scratch. */
export const MAX_STATE = 256 * 256;

function infer(ins: readonly (TensorType | null)[], _a: LinearAttentionAttrs, ctx: InferCtx): TensorType[] {
  const names = ['q', 'k', 'v', 'state', 'decay', 'beta'];
  ins.forEach((t, i) => {
    if (!t) return;
    if (t.dtype !== 'float32' || t.shape.length !== 4) {
      ctx.fail(INPUT_MISMATCH, `linear_attention ${names[i]} must be a 4-D float32 tensor`);
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
  if (typeof dk !== 'number' || typeof dv !== 'number' || dk * dv > MAX_STATE) {
    ctx.fail(INPUT_MISMATCH, `linear_attention needs static head sizes with dk * dv <= ${MAX_STATE}`);
  }
  if (typeof Hq === 'number' && typeof Hkv === 'number' && Hq % Hkv !== 0) {
    ctx.fail(INPUT_MISMATCH, `linear_attention query heads ${Hq} are not a multiple of kv heads ${Hkv}`);
  }
  const stShape = [B, Hkv, dk, dv];
  if (state) stShape.forEach((d, i) => checkDimEq(state.shape[i], d, 'linear_attention state', ctx, [3]));
  if (decay) {
    [B, Hkv, T].forEach((d, i) => checkDimEq(decay.shape[i], d, 'linear_attention decay', ctx, [4]));
    if (decay.shape[3] !== 1) checkDimEq(decay.shape[3], dk, 'linear_attention decay width', ctx, [4]);
  }
  if (beta) {
    checkDimEq(beta.shape[0], B, 'linear_attention beta batch', ctx, [5]);
    if (beta.shape[1] !== 1) checkDimEq(beta.shape[1], Hkv, 'linear_attention beta heads', ctx, [5]);
    checkDimEq(beta.shape[2], T, 'linear_attention beta steps', ctx, [5]);
    checkDimEq(beta.shape[3], 1, 'linear_attention beta width', ctx, [5]);
  }
  return [{ dtype: 'float32', shape: [B, Hq, T, dv] }, { dtype: 'float32', shape: stShape }];
}

function lower(ctx: LowerCtx, a: LinearAttentionAttrs): Lowering {
  const [q, k, v, state, decay, beta] = ctx.inputs;
  const [y, present] = ctx.outputs;
  const [B, Hq, T, DK] = q!.shape, [, Hkv, , DV] = v!.shape;
  const dk = constOf(DK), dv = constOf(DV);
  if (dk === undefined || dv === undefined) throw new Error('internal: linear_attention needs static dk, dv');
  const p = ctx.fresh('p'), t = ctx.fresh('t'), d = ctx.fresh('d'), m = ctx.fresh('m'), g = ctx.fresh('g');
  const [b, h] = unflatten(p, [B, Hkv]);
  const st = ctx.scratch('st', 'float32'), vt = ctx.scratch('vt', 'float32'), o = ctx.scratch('o', 'float32');
  const at = (dd: Expr, mm: Expr): Expr => add(mul(dd, dv), mm);
  const sAt = (dd: Expr, mm: Expr): Expr => load(st, at(dd, mm));
  const rows = (body: Stmt): Stmt => loop(d, dk, loop(m, dv, body));
  const kd = ctx.fresh('kd', 'float32'), gd = ctx.fresh('gd', 'float32'), qd = ctx.fresh('qd', 'float32');
  const init = rows(store(st, at(d, m), state ? state.at([b, h, d, m]) : imm(0, 'float32')));
  const steps: Stmt[] = [];
  if (decay) {
    const col = constOf(decay.shape[3]) === 1 ? imm(0) : d;
    steps.push(loop(d, dk, letIn(gd, unary('exp', decay.at([b, h, t, col])),
      loop(m, dv, store(st, at(d, m), mul(sAt(d, m), gd))))));
  }
  const vAt = v!.at([b, h, t, m]);
  if (beta) {
    const bt = beta.at([b, bcastCoord(h, beta.shape[1]), t, imm(0)]);
    steps.push(loop(m, dv, store(vt, m, imm(0, 'float32'))),
      loop(d, dk, letIn(kd, k!.at([b, h, t, d]),
        loop(m, dv, store(vt, m, add(load(vt, m), mul(sAt(d, m), kd)))))),
      loop(m, dv, store(vt, m, mul(bt, sub(vAt, load(vt, m))))));
  } else {
    steps.push(loop(m, dv, store(vt, m, vAt)));
  }
  steps.push(loop(d, dk, letIn(kd, k!.at([b, h, t, d]),
    loop(m, dv, store(st, at(d, m), add(sAt(d, m), mul(kd, load(vt, m))))))));
  // Query heads h*G .. h*G + G - 1 read this kv head's state.
  const G = ctx.fresh('G'), hq = add(mul(h, G), g);
  steps.push(loop(g, G, seq(
    loop(m, dv, store(o, m, imm(0, 'float32'))),
    loop(d, dk, letIn(qd, q!.at([b, hq, t, d]),
      loop(m, dv, store(o, m, add(load(o, m), mul(qd, sAt(d, m))))))),
    loop(m, dv, y.store([b, hq, t, m], mul(load(o, m), imm(a.scale, 'float32')))),
  )));
  const body = seq(init, loop(t, T, seq(...steps)), rows(present.store([b, h, d, m], sAt(d, m))));
  const task = letIn(G, div(Hq, Hkv), alloc(st, dk * dv, alloc(vt, dv, alloc(o, dv, body))));
  return { kind: 'kernel', body: loop(p, mul(B, Hkv), task, 'parallel') };
}

export const LINEAR_ATTENTION_OPS: readonly OpDef[] = [
  declareOp({ name: 'linear_attention', traits: ['opaque'], attrs: LINEAR_ATTENTION_ATTRS, infer, lower }),
];
