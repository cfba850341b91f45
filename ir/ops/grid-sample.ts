// Op record for `grid_sample {mode, padding, alignCorners}` [x, grid] (ONNX GridSample 16..):
// samples x [N, C, D1..Dr] at the normalised coordinates of grid [N, H1..Hr, r] (the last axis
// lists them innermost spatial axis first: x, y, z), giving [N, C, H1..Hr].
// Requires: x and grid floats of one rank r + 2 >= 3, grid's last dim r, grid's batch x's batch.
// Guarantees: the arithmetic of the ONNX reference (onnx/reference/ops/op_grid_sample.py), in
// float64 for coordinates: a coordinate is denormalised (align_corners: -1 and 1 are the centres
// of the corner pixels, else their outer edges), rounded half to even for nearest, then
// brought inside the borders by `padding` (border clamps, reflection mirrors as often as needed)
// when it falls outside them; linear uses the 2^r taps around it and cubic the 4^r taps with
// A = -0.75. A tap outside x reads 0 (zeros), the edge pixel (border) or its mirror image
// (reflection); every load index is clamped into x, so no tap ever leaves the buffer.
//
// Schedule: one kernel over the output's elements (the default element loop, vectorised along
// the last axis: the taps are gathers); fused elementwise consumers run in its stores. No knobs.

import { isStatic } from '../dim.js';
import type { DType } from '../dtype.js';
import type { TensorType } from '../graph.js';
import { elementLoops } from '../te-loops.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, and, binary, cast, div, eq, ge, gt, imm, letIn, lt, max, min, mul, select, sub, unary }
  from '../tir-build.js';
import type { Expr, Stmt, Var } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { checkDimEq, INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const GRID_SAMPLE_ATTRS = {
  mode: attr.oneOf(['linear', 'nearest', 'cubic']),
  padding: attr.oneOf(['zeros', 'border', 'reflection']),
  alignCorners: attr.flag(0),
};
type GridSampleAttrs = AttrValues<typeof GRID_SAMPLE_ATTRS>;

const FLOATS = new Set(['float32', 'float64', 'float16']);

function inferGridSample(ins: readonly (TensorType | null)[], _a: GridSampleAttrs,
  ctx: InferCtx): TensorType[] {
  const [x, grid] = ins;
  if (!x || !grid) return ctx.fail(INPUT_MISMATCH, 'grid_sample needs x and grid');
  if (!FLOATS.has(x.dtype) || !FLOATS.has(grid.dtype)) {
    ctx.fail(INPUT_MISMATCH, `grid_sample needs float x and grid, got ${x.dtype} and ${grid.dtype}`);
  }
  const rank = x.shape.length, r = rank - 2;
  if (r < 1) ctx.fail(INPUT_MISMATCH, `x must have rank >= 3 (N, C, spatial...), got ${rank}`);
  if (grid.shape.length !== rank) {
    ctx.fail(INPUT_MISMATCH, `grid has rank ${grid.shape.length}, expected ${rank} like x`);
  }
  const last = grid.shape[rank - 1];
  if (isStatic(last) && last !== r) {
    ctx.fail(INPUT_MISMATCH, `grid's last dim is ${last}, expected ${r} (one coordinate per spatial axis)`);
  }
  checkDimEq(last, r, 'grid coordinates per point and spatial axes of x', ctx, [1]);
  checkDimEq(grid.shape[0], x.shape[0], 'batch of grid and x', ctx, [1, 0]);
  return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[1], ...grid.shape.slice(1, rank - 1)] }];
}

const F64: DType = 'float64';
const fc = (v: number): Expr => imm(v, F64);
const floor = (e: Expr): Expr => unary('floor', e);
const clampIndex = (i: Expr, len: Expr): Expr => max(min(i, sub(len, 1)), 0);

/** Lets of one output element: each non-trivial expression bound once. */
class Lets {
  readonly list: [Var, Expr][] = [];
  constructor(private readonly ctx: LowerCtx) {}
  bind(hint: string, e: Expr): Expr {
    if (e.kind === 'const' || e.kind === 'var') return e;
    const v = this.ctx.fresh(hint, e.dtype);
    this.list.push([v, e]);
    return v;
  }
  wrap(s: Stmt): Stmt {
    return this.list.reduceRight<Stmt>((acc, [v, e]) => letIn(v, e, acc), s);
  }
}

/** x mirrored into [lo, hi] as often as it takes (the reference's _gs_reflect). */
function reflect(L: Lets, x: Expr, lo: Expr, hi: Expr): Expr {
  const span = L.bind('gspan', sub(hi, lo));
  const fold = (dx: Expr, fromLo: boolean): Expr => {
    const d = L.bind('gdx', dx);
    const n = L.bind('gn', floor(div(d, span)));
    const rest = sub(d, mul(n, span));
    const even = eq(sub(n, mul(fc(2), floor(mul(n, fc(0.5))))), fc(0));
    const nearSide = fromLo ? add(lo, rest) : sub(hi, rest);
    const farSide = fromLo ? sub(hi, rest) : add(lo, rest);
    return select(even, nearSide, farSide);
  };
  const inside = select(lt(x, lo), fold(sub(lo, x), true), select(gt(x, hi), fold(sub(x, hi), false), x));
  // A single pixel with corners aligned has nothing to mirror across.
  return select(gt(span, fc(0)), inside, lo);
}

/** Cubic convolution weights (A = -0.75) of the taps at -1, 0, 1, 2 around offset t in [0, 1). */
function cubicWeights(t: Expr): Expr[] {
  const A = -0.75;
  const far = (s: Expr): Expr => // |s| in [1, 2)
    sub(mul(add(mul(sub(mul(fc(A), s), fc(5 * A)), s), fc(8 * A)), s), fc(4 * A));
  const near = (s: Expr): Expr => add(mul(sub(mul(fc(A + 2), s), fc(A + 3)), mul(s, s)), fc(1)); // |s| < 1
  const q = sub(fc(1), t);
  return [far(add(t, fc(1))), near(t), near(q), far(add(q, fc(1)))];
}

/** One tap on one axis: the index to load (inside x), whether it counts, and its weight. */
interface Tap { readonly index: Expr; readonly valid: Expr | null; readonly weight: Expr | null }

/** The taps of spatial axis of length `len` for normalised coordinate `g`. */
function axisTaps(L: Lets, a: GridSampleAttrs, g: Expr, len: Expr): Tap[] {
  const lenF = cast(len, F64);
  const lo = a.alignCorners ? fc(0) : fc(-0.5);
  const hi = L.bind('ghi', a.alignCorners ? sub(lenF, fc(1)) : sub(lenF, fc(0.5)));
  let x = a.alignCorners ? mul(mul(add(g, fc(1)), fc(0.5)), sub(lenF, fc(1)))
    : mul(sub(mul(add(g, fc(1)), lenF), fc(1)), fc(0.5));
  x = L.bind('gx', x);
  if (a.mode === 'nearest') {
    x = L.bind('gx', unary('round', x));
  }
  if (a.padding !== 'zeros') {
    const outside = binary('or', lt(x, lo), gt(x, hi));
    const moved = a.padding === 'border' ? max(min(x, sub(lenF, fc(1))), fc(0)) : reflect(L, x, lo, hi);
    x = L.bind('gx', select(outside, moved, x));
  }
  const tap = (i: Expr, weight: Expr | null): Tap => {
    if (a.padding === 'zeros') {
      return { index: L.bind('gi', clampIndex(i, len)), valid: and(ge(i, 0), lt(i, len)), weight };
    }
    const j = a.padding === 'border' ? i : cast(reflect(L, cast(i, F64), lo, hi), 'int64');
    return { index: L.bind('gi', clampIndex(j, len)), valid: null, weight };
  };
  if (a.mode === 'nearest') return [tap(L.bind('gt', cast(x, 'int64')), null)];
  const i0 = L.bind('g0', cast(floor(x), 'int64'));
  const t = L.bind('gt', sub(x, cast(i0, F64)));
  if (a.mode === 'linear') return [tap(i0, sub(fc(1), t)), tap(add(i0, 1), t)];
  const ws = cubicWeights(t);
  return [-1, 0, 1, 2].map((o, k) => tap(add(i0, o), L.bind('gw', ws[k])));
}

function lowerGridSample(ctx: LowerCtx, a: GridSampleAttrs): Lowering {
  const [x, grid] = [ctx.inputs[0]!, ctx.inputs[1]!], out = ctx.outputs[0];
  const r = x.shape.length - 2;
  const acc: DType = x.dtype === 'float64' ? 'float64' : 'float32';
  const body = elementLoops({ fresh: ctx.fresh, lanes: ctx.target.vectorLanes }, out.shape, (idx) => {
    const L = new Lets(ctx);
    const [n, c, ...o] = idx;
    // Spatial axis k of x takes coordinate r - 1 - k of the grid (x, y, z: innermost first).
    const taps = Array.from({ length: r }, (_, k) => {
      const g = L.bind('gg', cast(grid.at([n, ...o, imm(r - 1 - k)]), F64));
      return axisTaps(L, a, g, x.shape[2 + k]);
    });
    type Term = { idx: Expr[]; valid: Expr | null; w: Expr | null };
    let terms: Term[] = [{ idx: [n, c], valid: null, w: null }];
    for (const axis of taps) {
      terms = terms.flatMap((tm) => axis.map((p) => ({
        idx: [...tm.idx, p.index],
        valid: p.valid === null ? tm.valid : tm.valid === null ? p.valid : and(tm.valid, p.valid),
        w: p.weight === null ? tm.w : tm.w === null ? p.weight : mul(tm.w, p.weight),
      })));
    }
    const value = terms.map((tm) => {
      let v = cast(x.at(tm.idx), acc);
      if (tm.w !== null) v = mul(cast(tm.w, acc), v);
      return tm.valid === null ? v : select(tm.valid, v, imm(0, acc));
    }).reduce((p, q) => add(p, q));
    return L.wrap(out.store(idx, cast(value, out.dtype)));
  });
  return { kind: 'kernel', body };
}

export { GRID_SAMPLE_ATTRS };

export const GRID_SAMPLE_OPS: readonly OpDef[] = [
  declareOp({ name: 'grid_sample', traits: ['anchor'], attrs: GRID_SAMPLE_ATTRS, infer: inferGridSample,
    lower: lowerGridSample }),
];
