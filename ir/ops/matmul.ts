// Op records for `gemm` (ONNX Gemm: alpha*A'B' + beta*C, C unidirectionally broadcast to (M, N))
// and `matmul` (numpy semantics: 1-D promotion, broadcasting of leading batch dims), sharing one
// register-tiled micro-kernel.
// Requires: float inputs of one dtype; anchors get materialised row-major inputs.
// Guarantees: every output element is written once through the sink after an f32 reduction over
// k in increasing order; FMAs are add(mul(a, b), acc) on a broadcast A element and a vector of B.
//
// Schedule (knobs; the register tile of ./gemm-micro.ts):
//   mm.vec  lanes per vector along N (V)            (default target.vectorLanes)
//   mm.tn   vectors per register tile along N (TN)  (default 4, 2 with 16 registers; balanced)
//   mm.tm   rows per register tile (TM)             (default 4, 6 with 16 registers; <= M)
// Each task keeps a TM x TN*V tile of accumulators in registers across the whole K loop. Tails
// along M clamp the A row (results are discarded), tails along N mask the B loads and the stores.
// Packed B (attrs packedLanes = L, packedN = N; compiler/passes/pack-matmul-weights.ts): a
// constant 2-D B, transposed or not, arrives as [ceil(N/L)][K][L] column panels, zero past N; the
// micro-kernel streams TN panels per tile with no gather (transB costs nothing). The node's types
// are those of the unpacked product.

import type { Dim } from '../dim.js';
import { dimKey } from '../dim.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import type { Buffer, Expr, Stmt } from '../tir.js';
import { withFlat } from '../te-loops.js';
import { add, flatIndex, floordiv, imm, mod, mul, unflatten } from '../tir-build.js';
import { attr, type AttrValues } from './attr-schema.js';
import {
  INPUT_MISMATCH, bcastCoord, checkBroadcastTo, checkDimEq, knob, prodExpr, requireFloat,
} from './attrs.js';
import { declareOp } from './declare.js';
import { type BPanels, type MMTiles, microKernel } from './gemm-micro.js';
import type { InferCtx, OpDef } from './registry.js';
import { broadcastAssumption, broadcastDim } from './broadcast.js';

// A packed B (pack-matmul-weights sets both; absent: B as the ONNX node gave it).
const PACKED_ATTRS = {
  packedLanes: attr.optional(attr.internal<number>()),
  packedN: attr.optional(attr.internal<number>()),
};
const MATMUL_ATTRS = PACKED_ATTRS;
const GEMM_ATTRS = {
  alpha: attr.float(1), beta: attr.float(1), transA: attr.flag(0), transB: attr.flag(0), ...PACKED_ATTRS,
};
type Packed = AttrValues<typeof PACKED_ATTRS>;
type GemmAttrs = AttrValues<typeof GEMM_ATTRS>;

/** The batch dims of a matmul: a and b broadcast (both are inputs 0 and 1 of the node). */
function broadcastShapes(a: readonly Dim[], b: readonly Dim[], ctx: InferCtx): Dim[] {
  const r = Math.max(a.length, b.length), out: Dim[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1, db = b[b.length - r + i] ?? 1;
    out.push(broadcastDim(da, db)
      ?? ctx.fail(INPUT_MISMATCH, `cannot broadcast ${dimKey(da)} with ${dimKey(db)}`));
    const assumed = broadcastAssumption(da, db);
    if (assumed.length) ctx.require(assumed, 'inputs $0 and $1: batch dims cannot be broadcast', [0, 1]);
  }
  return out;
}

/** Panels of a packed B (attr packedLanes), checked against its logical [K, N] shape; else null. */
function packedB(b: TensorType, attrs: Packed, ctx: InferCtx): TensorType | null {
  const L = attrs.packedLanes ?? 0, n = attrs.packedN ?? 0;
  if (!L) return null;
  if (b.shape.length !== 3 || n < 1) ctx.fail(INPUT_MISMATCH, 'packed B must be [ceil(N/L), K, L]');
  checkDimEq(b.shape[0], Math.ceil(n / L), 'packed B panels', ctx, [1]);
  checkDimEq(b.shape[2], L, 'packed B lanes', ctx, [1]);
  return { dtype: b.dtype, shape: [b.shape[1], n] };
}

function inferMatmul(ins: readonly (TensorType | null)[], attrs: Packed, ctx: InferCtx): TensorType[] {
  const a = requireFloat(ins, 0, 'matmul A', ctx, 1), b0 = requireFloat(ins, 1, 'matmul B', ctx, 1);
  const b = packedB(b0, attrs, ctx) ?? b0;
  if (a.dtype !== b.dtype) ctx.fail(INPUT_MISMATCH, `matmul dtypes differ: ${a.dtype} vs ${b.dtype}`);
  const ra = a.shape.length, rb = b.shape.length;
  const ka = a.shape[ra - 1], kb = rb === 1 ? b.shape[0] : b.shape[rb - 2];
  checkDimEq(ka, kb, 'matmul inner dims', ctx, [0, 1]);
  const lead = (s: readonly Dim[]): Dim[] => s.slice(0, Math.max(0, s.length - 2));
  const batch = broadcastShapes(lead(a.shape), lead(b.shape), ctx);
  const rows = ra > 1 ? [a.shape[ra - 2]] : [], cols = rb > 1 ? [b.shape[rb - 1]] : [];
  return [{ dtype: a.dtype, shape: [...batch, ...rows, ...cols] }];
}

function inferGemm(ins: readonly (TensorType | null)[], attrs: GemmAttrs, ctx: InferCtx): TensorType[] {
  const packed = (attrs.packedLanes ?? 0) !== 0;
  const a = requireFloat(ins, 0, 'gemm A', ctx, 2, 2);
  const b0 = requireFloat(ins, 1, 'gemm B', ctx, packed ? 3 : 2, packed ? 3 : 2);
  const b = packedB(b0, attrs, ctx) ?? b0;
  if (a.dtype !== b.dtype) ctx.fail(INPUT_MISMATCH, `gemm dtypes differ: ${a.dtype} vs ${b.dtype}`);
  const tA = attrs.transA !== 0, tB = !packed && attrs.transB !== 0;
  const [m, ka] = tA ? [a.shape[1], a.shape[0]] : a.shape;
  const [kb, n] = tB ? [b.shape[1], b.shape[0]] : b.shape;
  checkDimEq(ka, kb, 'gemm inner dims', ctx, [0, 1]);
  const c = ins[2];
  if (c) {
    if (c.shape.length > 2) ctx.fail(INPUT_MISMATCH, `gemm C must have rank <= 2, got ${c.shape.length}`);
    const want = [m, n].slice(2 - c.shape.length);
    c.shape.forEach((d, i) => checkBroadcastTo(d, want[i], 'gemm C broadcast to (M, N)', ctx, [2]));
  }
  return [{ dtype: a.dtype, shape: [m, n] }];
}

// Packed panels fix the vector width (the knob would only turn panel loads into gathers).
const mmTiles = (ctx: LowerCtx, panels?: BPanels): MMTiles => ({
  V: panels?.lanes ?? knob(ctx.knobs, 'mm.vec', ctx.target.vectorLanes), tn: knob(ctx.knobs, 'mm.tn', 2),
  tm: knob(ctx.knobs, 'mm.tm', 6),
});

/** The panels of a packed B (attrs packedLanes/packedN), whose buffer is [NP][K][L]. */
function bPanels(attrs: Packed, K: Expr): BPanels | undefined {
  const L = attrs.packedLanes ?? 0;
  if (!L) return undefined;
  return {
    lanes: L, count: imm(Math.ceil((attrs.packedN ?? 0) / L)),
    index: (_bc, k, p, l) => add(mul(add(mul(p, K), k), L), l),
  };
}

/** B's flat index of (k, j): row-major [K][N], transposed [N][K], or in packed panels. */
function bIndexOf(panels: BPanels | undefined, tB: boolean, K: Expr, N: Expr) {
  const L = panels?.lanes ?? 1;
  return (bc: readonly Expr[], k: Expr, j: Expr): Expr => {
    if (panels) return panels.index(bc, k, floordiv(j, L), mod(j, L));
    return tB ? add(mul(j, K), k) : add(mul(k, N), j);
  };
}

const materialised = (t: TensorAccess | null | undefined, what: string): Buffer => {
  if (!t?.buffer) throw new Error(`internal: ${what} must be materialised`);
  return t.buffer;
};

function lowerGemm(ctx: LowerCtx, attrs: GemmAttrs): Lowering {
  const a = ctx.inputs[0]!, b = ctx.inputs[1]!, c = ctx.inputs[2];
  const tA = attrs.transA !== 0;
  const K = tA ? a.shape[0] : a.shape[1];
  const panels = bPanels(attrs, K);
  const tB = !panels && attrs.transB !== 0;
  const { alpha, beta } = attrs;
  const out = ctx.outputs[0];
  const [M, N] = out.shape;
  const dt = a.dtype;
  const emit = (_bc: readonly Expr[], i: Expr, j: Expr, acc: Expr): Stmt => {
    let v = alpha === 1 ? acc : mul(imm(alpha, dt), acc);
    if (c && beta !== 0) {
      const cIdx = [i, j].slice(2 - c.shape.length).map((e, d) => bcastCoord(e, c.shape[d]));
      const cv = c.at(cIdx);
      v = add(v, beta === 1 ? cv : mul(imm(beta, dt), cv));
    }
    return out.store([i, j], v);
  };
  const body = microKernel(ctx, {
    a: materialised(a, 'gemm A'), b: materialised(b, 'gemm B'), dtype: dt, batch: [], M, N, K,
    aIndex: (_bc, i, k) => (tA ? add(mul(k, M), i) : add(mul(i, K), k)),
    bIndex: bIndexOf(panels, tB, K, N), bPanels: panels,
    emit, vectorizable: out.vectorizable,
  }, mmTiles(ctx, panels));
  return { kind: 'kernel', body };
}

function lowerMatmul(ctx: LowerCtx, attrs: Packed): Lowering {
  const a = ctx.inputs[0]!, b = ctx.inputs[1]!, out = ctx.outputs[0];
  const ra = a.shape.length, K = a.shape[ra - 1];
  const panels = bPanels(attrs, K);
  const rb = panels ? 2 : b.shape.length;
  const M = ra > 1 ? a.shape[ra - 2] : imm(1);
  const N = panels ? imm(attrs.packedN ?? 0) : rb > 1 ? b.shape[rb - 1] : imm(1);
  const aBatch = a.shape.slice(0, Math.max(0, ra - 2));
  const bBatch = panels ? [] : b.shape.slice(0, Math.max(0, rb - 2));
  const nb = out.shape.length - (ra > 1 ? 1 : 0) - (rb > 1 ? 1 : 0);
  const batch = out.shape.slice(0, nb);
  if (batch.length && ra > 1 && rb > 1 && !bBatch.length) {
    return foldedBatch(ctx, a, b, batch, M, N, K, panels);
  }
  // Batch offset of an operand: its own (right-aligned, broadcast) coordinates, row-major.
  const offset = (own: readonly Expr[], bc: readonly Expr[]): Expr =>
    flatIndex(own.map((d, x) => bcastCoord(bc[bc.length - own.length + x], d)), own);
  const body = microKernel(ctx, {
    a: materialised(a, 'matmul A'), b: materialised(b, 'matmul B'), dtype: a.dtype, batch, M, N, K,
    aIndex: (bc, i, k) => add(mul(add(mul(offset(aBatch, bc), M), i), K), k),
    bIndex: panels ? bIndexOf(panels, false, K, N)
      : (bc, k, j) => add(mul(add(mul(offset(bBatch, bc), K), k), N), j),
    bPanels: panels,
    emit: (bc, i, j, acc) => out.store([...bc, ...(ra > 1 ? [i] : []), ...(rb > 1 ? [j] : [])], acc),
    vectorizable: out.vectorizable,
  }, mmTiles(ctx, panels));
  return { kind: 'kernel', body };
}

/**
 * A matmul whose B has no batch dims (a weight): A is row-major [...batch, M, K], so its batch
 * dims fold into the rows of one (batch*M) x N product. B is then swept once instead of once per
 * batch, and only the last row block has a tail (2 x 33 rows: 17 blocks of 4, not 2 x 9).
 */
function foldedBatch(ctx: LowerCtx, a: TensorAccess, b: TensorAccess, batch: readonly Expr[], M: Expr,
  N: Expr, K: Expr, panels: BPanels | undefined): Lowering {
  const out = ctx.outputs[0];
  const body = microKernel(ctx, {
    a: materialised(a, 'matmul A'), b: materialised(b, 'matmul B'), dtype: a.dtype, batch: [],
    M: prodExpr([...batch, M]), N, K,
    aIndex: (_bc, i, k) => add(mul(i, K), k),
    bIndex: panels ? bIndexOf(panels, false, K, N) : (_bc, k, j) => add(mul(k, N), j),
    bPanels: panels,
    // The coordinates remember their flat offset i*N + j: a plain or same-shaped sink needs no
    // division by the symbolic row count.
    emit: (_bc, i, j, acc) =>
      out.store(withFlat([...unflatten(i, [...batch, M]), j], add(mul(i, N), j), out.shape), acc),
    vectorizable: out.vectorizable,
  }, mmTiles(ctx, panels));
  return { kind: 'kernel', body };
}

export const MATMUL_OPS: readonly OpDef[] = [
  declareOp({ name: 'gemm', traits: ['anchor'], attrs: GEMM_ATTRS, infer: inferGemm, lower: lowerGemm }),
  declareOp({
    name: 'matmul', traits: ['anchor'], attrs: MATMUL_ATTRS, infer: inferMatmul, lower: lowerMatmul,
  }),
];
