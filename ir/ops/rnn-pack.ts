// `rnn_pack` {hidden, gates, ub, dirs}: a recurrent weight R (D, G*H, H) packed into the panels
// the recurrence of ir/ops/rnn.ts reads, (D, NB, H, G, UB) with NB = ceil(H / UB):
// out[d, nb, k, g, u] = R[d, g*H + nb*UB + u, k], zero for units >= H. The ONNX converter packs a
// constant R at compile time with `packR` and emits this op only for an R known at run time.
// Requires: all four attributes (the converter sets them). Guarantees: the kernel and packR write
// the same layout (test/ops/rnn.test.ts compares them).

import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, imm, lt, min, mul, select } from '../tir-build.js';
import { attr, type AttrValues } from './attr-schema.js';
import { checkDimEq, requireFloat } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const PACK_ATTRS = {
  hidden: attr.int(undefined, { min: 1 }), gates: attr.int(undefined, { min: 1 }),
  ub: attr.int(undefined, { min: 1 }), dirs: attr.int(undefined, { min: 1, max: 2 }),
};
type PackAttrs = AttrValues<typeof PACK_ATTRS>;

function inferPack(ins: readonly (TensorType | null)[], a: PackAttrs, ctx: InferCtx): TensorType[] {
  const rT = requireFloat(ins, 0, 'R', ctx, 3, 3);
  const { hidden: H, gates: G, ub, dirs: D } = a;
  checkDimEq(rT.shape[0], D, 'R directions', ctx);
  checkDimEq(rT.shape[1], G * H, 'R rows', ctx);
  checkDimEq(rT.shape[2], H, 'R columns', ctx);
  return [{ dtype: rT.dtype, shape: [D, Math.ceil(H / ub), H, G, ub] }];
}

/** out[d, nb, k, g, u] = R[d, g*H + nb*UB + u, k] (zero past the last unit). */
function lowerPack(ctx: LowerCtx, { hidden: H, ub }: PackAttrs): Lowering {
  const R = ctx.inputs[0]!;
  return {
    kind: 'compute',
    at: ([d, nb, k, g, u]) => {
      const unit = add(mul(nb, ub), u);
      const v = R.at([d, add(mul(g, H), min(unit, H - 1)), k]);
      return H % ub === 0 ? v : select(lt(unit, H), v, imm(0, R.dtype));
    },
  };
}

/** Packs constant R (D, G*H, H) into the rnn_pack layout at compile time. */
export function packR(r: Float32Array, D: number, G: number, H: number, ub: number): Float32Array {
  const NB = Math.ceil(H / ub), out = new Float32Array(D * NB * H * G * ub);
  for (let d = 0; d < D; d++) for (let nb = 0; nb < NB; nb++) for (let k = 0; k < H; k++) {
    for (let g = 0; g < G; g++) for (let u = 0; u < ub; u++) {
      const unit = nb * ub + u;
      if (unit < H) out[(((d * NB + nb) * H + k) * G + g) * ub + u] = r[(d * G * H + g * H + unit) * H + k];
    }
  }
  return out;
}

export const RNN_PACK: OpDef = declareOp({
  name: 'rnn_pack', traits: ['injective'], attrs: PACK_ATTRS, infer: inferPack, lower: lowerPack,
});
