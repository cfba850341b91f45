// Shape and data-movement ops. Views (identity, reshape, flatten, squeeze, unsqueeze) share their
// input's storage and lower to a VM reshape, never a kernel; transpose and pad are injective
// computes that fuse; concat writes each input's region with its own loop nest.
// Attributes are declared once per op (below): axes normalised against the right rank, perm
// checked to be a permutation, pad modes listed, defaults (transpose: reversed axes) in the schema.

import {
  type Dim, dimAdd, dimEq, dimFloorDiv, dimMax, dimMin, dimMul, dimNeg, dimProduct, dimSub, dimVars, isStatic,
  parseDataSymbol, shapeToString, dimKey,
} from '../dim.js';
import { knownDims } from '../values.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import * as t from '../tir-build.js';
import { elementLoops, withFlat } from '../te-loops.js';
import type { Expr, Stmt } from '../tir.js';
import { attr, normaliseAxis, type AttrSpec, type AttrValues } from './attr-schema.js';
import { prodExpr } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';
import { Codes } from '../../compiler/diagnostics.js';

/** Flatten's axis: in [-r, r] for an input of rank r (r itself: everything in the first dim). */
const flattenAxis = (dflt: number): AttrSpec<number> => ({ onnx: 'int', dflt: () => dflt,
  parse: (v, rank, fail) => {
    const r = rank(0), a = typeof v === 'number' ? v : fail('is not a number');
    if (r === undefined) return a;
    if (!Number.isInteger(a) || a < -r || a > r) fail(`value ${a} is out of range for rank ${r}`);
    return a < 0 ? a + r : a;
  } });

/** Unsqueeze's axes: distinct, sorted, normalised against the output rank (input rank + count). */
const unsqueezeAxes: AttrSpec<readonly number[]> = { onnx: 'ints', parse: (v, rank, fail) => {
  if (!Array.isArray(v) || v.some((x) => typeof x !== 'number')) fail('is not a list of numbers');
  const xs = v as readonly number[], r = rank(0);
  const out = r === undefined ? [...xs] : xs.map((a) => normaliseAxis(a, r + xs.length, fail));
  if (new Set(out).size !== out.length) fail(`repeats an axis [${xs.join(', ')}]`);
  return out.sort((a, b) => a - b);
} };

const reversed = (r: number | undefined): number[] => [...Array(r ?? 0).keys()].reverse();
const PAD_MODE_LIST = ['constant', 'reflect', 'edge', 'wrap'] as const;

const SHAPE_ATTRS = { start: attr.int(0), end: attr.optional(attr.int()) };
const RESHAPE_ATTRS = { allowzero: attr.flag(0) };
const FLATTEN_ATTRS = { axis: flattenAxis(1) };
/** Squeeze's axes; none: every dim that is 1 at compile time. */
const SQUEEZE_ATTRS = { axes: attr.axes([]) };
const UNSQUEEZE_ATTRS = { axes: unsqueezeAxes };
const TRANSPOSE_ATTRS = { perm: attr.ints((rank) => reversed(rank(0))) };
const CONCAT_ATTRS = { axis: attr.axis() };
/** Pads as numbers, or absent: read from input 2 at run time, spread over `axes` (all axes). */
const PAD_ATTRS = {
  mode: attr.oneOf(PAD_MODE_LIST), pads: attr.optional(attr.ints()), axes: attr.optional(attr.axisList()),
};
type PadAttrs = AttrValues<typeof PAD_ATTRS>;

function checkPerm(a: AttrValues<typeof TRANSPOSE_ATTRS>, rank: (i: number) => number | undefined,
  fail: (attr: string, message: string) => never): void {
  const r = rank(0), p = a.perm;
  if (r === undefined) return;
  if (p.length !== r || new Set(p).size !== p.length || p.some((x) => x < 0 || x >= r)) {
    fail('perm', `[${p.join(', ')}] is not a permutation of rank ${r}`);
  }
}

const identity = declareOp({
  name: 'identity', traits: ['view'], attrs: {},
  infer: (inputs, _attrs, ctx) => [viewElems(inputs[0]!, ctx)],
});

/** ONNX Shape: the input's dims (optionally a [start, end) slice, clamped), always known as dims. */
const shape = declareOp({
  name: 'shape', traits: ['view'], attrs: SHAPE_ATTRS,
  infer: (inputs, a) => {
    const dims = inputs[0]!.shape;
    const r = dims.length;
    const clamp = (x: number) => Math.min(Math.max(x < 0 ? x + r : x, 0), r);
    const start = clamp(a.start), end = clamp(a.end ?? r);
    const elems = dims.slice(start, Math.max(start, end));
    return [{ dtype: 'int64', shape: [elems.length], elems }];
  },
});

/** ONNX Size: the input's element count as an int64 scalar. */
const size = declareOp({
  name: 'size', traits: ['view'], attrs: {},
  infer: (inputs) => [{ dtype: 'int64', shape: [], elems: [dimProduct(inputs[0]!.shape)] }],
});

/** Encodes "t == 0 ? a : b" style choices for integer dims known to be >= -1. */
const isZero = (t: Dim): Dim => dimSub(1, dimMin(dimMax(t, dimNeg(t)), 1));
const isMinusOne = (t: Dim): Dim => dimMax(dimNeg(t), 0);

/**
 * Output dims of Reshape. Static targets follow ONNX directly (0 copies the input dim unless
 * allowzero, -1 is inferred). Targets read from data at run time may be 0 or -1 too, so their
 * dims are written as arithmetic that takes every case into account when the VM evaluates it.
 */
function reshapeTarget(x: TensorType, target: readonly Dim[], allowzero: boolean, ctx: InferCtx): Dim[] {
  const total = dimProduct(x.shape);
  const dynamic = target.map((d) => !isStatic(d) && dimVars(d).some((v) => parseDataSymbol(v)));
  const inDim = (i: number): Dim => (i < x.shape.length ? x.shape[i] : 0);
  const known: Dim[] = [];
  const out: (Dim | null)[] = target.map((d, i) => {
    if (dynamic[i]) {
      const z = allowzero ? 0 : isZero(d);
      // max(.., 0) is an atom: it keeps the product below from multiplying out (its value is >= 0
      // anyway), which would grow exponentially with the number of run-time entries.
      known.push(dimMax(dimAdd(dimAdd(d, dimMul(z, inDim(i))), dimMul(isMinusOne(d), 2)), 0));
      return null;
    }
    if (d === 0 && !allowzero) {
      if (i >= x.shape.length) ctx.fail(Codes.SHAPE_INFERENCE,
        `reshape: 0 at position ${i} but input rank is ${x.shape.length}`);
      known.push(x.shape[i]);
      return x.shape[i];
    }
    if (d === -1) return null;
    if (isStatic(d) && d < 0) ctx.fail(Codes.ATTRIBUTE, `reshape: invalid target dim ${d}`);
    known.push(d);
    return d;
  });
  const holes = target.filter((d) => d === -1).length;
  if (holes > 1) ctx.fail(Codes.ATTRIBUTE, 'reshape: more than one -1 in the target shape');
  const product = dimProduct(known);
  if (product === 0 && (holes === 1 || dynamic.some(Boolean))) {
    ctx.fail(Codes.ATTRIBUTE, 'reshape: cannot infer -1 next to a zero dim');
  }
  // Targets read at run time may all be 0 (with no -1 the fill is unused): max(.., 1) keeps that
  // from dividing by zero. Shape-derived targets divide exactly and simplify.
  const fill = dimFloorDiv(total, dynamic.some(Boolean) ? dimMax(product, 1) : product);
  const dims = out.map((d, i) => {
    if (d !== null) return d;
    if (!dynamic[i]) return fill;
    const t = target[i];
    return dimAdd(dimAdd(t, dimMul(allowzero ? 0 : isZero(t), inDim(i))),
      dimMul(isMinusOne(t), dimAdd(fill, 1)));
  });
  // Only a static target can be checked here; multiplying out the run-time entries' arithmetic
  // would take time exponential in their number (a rank-64 target read from data).
  const prod = dims.every((d) => isStatic(d)) ? dimProduct(dims) : undefined;
  if (prod !== undefined && isStatic(total) && prod !== total) {
    ctx.fail(Codes.SHAPE_INFERENCE,
      `reshape: cannot reshape ${shapeToString(x.shape)} to ${shapeToString(dims)}`);
  }
  return dims;
}

/** A view of a small int32/int64 tensor keeps its known elements. */
function viewElems(out: TensorType, ctx: InferCtx): TensorType {
  const shapeType = out.dtype === 'int64' || out.dtype === 'int32';
  const elems = shapeType && out.shape.length <= 1 ? ctx.values(0) : undefined;
  const n = out.shape.length === 0 ? 1 : out.shape[0];
  return elems && elems.length === n ? { ...out, elems } : out;
}

const reshape = declareOp({
  name: 'reshape', traits: ['view'], attrs: RESHAPE_ATTRS,
  infer: (inputs, a, ctx) => {
    const target = ctx.values(1);
    if (!target) {
      const t = inputs[1]!;
      if (t.shape.length === 1 && !isStatic(t.shape[0])) {
        return ctx.fail(Codes.SYMBOLIC_RANK,
            `reshape: the target shape has symbolic length ${dimKey(t.shape[0])}, `
          + 'so the output rank is not known at compile time');
      }
      return ctx.fail(Codes.SHAPE_INFERENCE,
          'reshape: the target shape must be a 1-D integer tensor of static length');
    }
    const out = { dtype: inputs[0]!.dtype,
      shape: reshapeTarget(inputs[0]!, target, a.allowzero === 1, ctx) };
    return [viewElems(out, ctx)];
  },
});

const flatten = declareOp({
  name: 'flatten', traits: ['view'], attrs: FLATTEN_ATTRS,
  infer: (inputs, { axis }, ctx) => {
    const x = inputs[0]!;
    return [viewElems({ dtype: x.dtype,
      shape: [dimProduct(x.shape.slice(0, axis)), dimProduct(x.shape.slice(axis))] }, ctx)];
  },
});

const squeeze = declareOp({
  name: 'squeeze', traits: ['view'], attrs: SQUEEZE_ATTRS,
  infer: (inputs, { axes }, ctx) => {
    const x = inputs[0]!;
    for (const a of axes) if (x.shape[a] !== 1 && isStatic(x.shape[a])) ctx.fail(Codes.ATTRIBUTE,
      `squeeze: axis ${a} has size ${x.shape[a]}`);
    const drop = axes.length ? new Set(axes) : new Set(x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    return [viewElems({ dtype: x.dtype, shape: x.shape.filter((_, i) => !drop.has(i)) }, ctx)];
  },
});

const unsqueeze = declareOp({
  name: 'unsqueeze', traits: ['view'], attrs: UNSQUEEZE_ATTRS,
  infer: (inputs, a, ctx) => {
    const x = inputs[0]!;
    const rank = x.shape.length + a.axes.length;
    const axes = new Set(a.axes);
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) out.push(axes.has(i) ? 1 : x.shape[k++]);
    return [viewElems({ dtype: x.dtype, shape: out }, ctx)];
  },
});

const transpose = declareOp({
  name: 'transpose', traits: ['injective'], attrs: TRANSPOSE_ATTRS, check: checkPerm,
  infer: (inputs, { perm }) => {
    const x = inputs[0]!;
    return [{ dtype: x.dtype, shape: perm.map((a) => x.shape[a]) }];
  },
  lower: (ctx, { perm: p }) => {
    const x = ctx.inputs[0]!;
    return {
      kind: 'compute',
      at: (idx) => {
        const src = new Array(idx.length);
        p.forEach((a, k) => { src[a] = idx[k]; });
        return x.at(src);
      },
    };
  },
});

const concat = declareOp({
  name: 'concat', traits: ['opaque'], attrs: CONCAT_ATTRS,
  infer: (inputs, { axis }, ctx) => {
    const xs = inputs.filter((x): x is TensorType => x !== null);
    const first = inputs.findIndex((x) => x !== null);
    const rank = xs[0].shape.length;
    let along: Dim = 0;
    inputs.forEach((x, k) => {
      if (!x) return;
      if (x.shape.length !== rank || x.dtype !== xs[0].dtype) ctx.fail(Codes.SHAPE_INFERENCE,
        'concat: inputs differ in rank or dtype');
      x.shape.forEach((d, i) => {
        if (i !== axis && !dimEq(d, xs[0].shape[i]) && isStatic(d) && isStatic(xs[0].shape[i])) {
          ctx.fail(Codes.SHAPE_INFERENCE,
            `concat: dim ${i} differs: ${shapeToString(x.shape)} vs ${shapeToString(xs[0].shape)}`);
        }
        if (i === axis) return;
        ctx.require([[d, xs[0].shape[i]]], `inputs $0 and $1 differ on axis ${i}`, [first, k]);
      });
      along = dimAdd(along, x.shape[axis]);
    });
    const out = { dtype: xs[0].dtype, shape: xs[0].shape.map((d, i) => (i === axis ? along : d)) };
    const parts = rank === 1 ? inputs.map((_, i) => (inputs[i] ? ctx.values(i) : [])) : [];
    const known = parts.length > 0 && parts.every((p) => p !== undefined && knownDims(p));
    return [known ? { ...out, elems: parts.flatMap((p) => [...p!]) } : out];
  },
  lower: (ctx, { axis }) => {
    let offset: Expr = t.imm(0);
    const parts = [];
    for (const x of ctx.inputs) {
      if (!x) continue;
      parts.push(concatPart(ctx, x, axis, offset));
      offset = t.add(offset, x.shape[axis]);
    }
    return { kind: 'kernel', body: t.seq(...parts) };
  },
});

/**
 * Copies one concat input into the output at `offset` along `axis`, walking it as
 * [before, C, after] (the axes around `axis` merged): rows of `after` contiguous elements, so a
 * channel concat of 55x55 planes copies rows of 3025 floats rather than 55. The coordinates
 * handed to the input and the sink remember their flat offsets, so neither divides per lane.
 */
function concatPart(ctx: LowerCtx, x: TensorAccess, axis: number, offset: Expr): Stmt {
  const out = ctx.outputs[0];
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  const beforeDims = x.shape.slice(0, axis), afterDims = x.shape.slice(axis + 1);
  const before = prodExpr(beforeDims), after = prodExpr(afterDims);
  const C = x.shape[axis], total = out.shape[axis];
  const lastAxis = after.kind === 'const' && after.value === 1;
  const shape = lastAxis ? [before, C] : [before, C, after];
  return elementLoops(env, shape, (idx) => {
    const [a, c] = idx, j = lastAxis ? t.imm(0) : idx[2];
    const full = [...t.unflatten(a, beforeDims), c, ...t.unflatten(j, afterDims)];
    const src = withFlat(full, t.add(t.mul(t.add(t.mul(a, C), c), after), j), x.shape);
    const dstIdx = full.map((e, i) => (i === axis ? t.add(e, offset) : e));
    const dst = withFlat(dstIdx, t.add(t.mul(t.add(t.mul(a, total), t.add(c, offset)), after), j), out.shape);
    return out.store(dst, x.at(src));
  });
}

/**
 * Where a padded position reads from, per ONNX Pad mode (pads no larger than the input, as ONNX
 * requires for reflect): reflect mirrors without repeating the edge, edge repeats it, wrap
 * wraps around.
 */
const PAD_INDEX: Readonly<Record<string, (s: Expr, n: Expr) => Expr>> = {
  reflect: (s, n) => {
    const up = t.select(t.lt(s, 0), t.sub(0, s), s);
    const folded = t.select(t.ge(up, n), t.sub(t.mul(2, t.sub(n, 1)), up), up);
    return t.max(t.min(folded, t.sub(n, 1)), 0);
  },
  edge: (s, n) => t.max(t.min(s, t.sub(n, 1)), 0),
  wrap: (s, n) => t.mod(s, n),
};

/**
 * Pad amounts per axis (begins then ends) as dims: the `pads` attribute, or the run-time pads
 * tensor (input 2) spread over `axes` (default: all axes).
 */
function padDims(rank: number, a: PadAttrs, ctx: InferCtx): Dim[] {
  if (a.pads) return [...a.pads];
  const given = ctx.values(2);
  if (!given) {
    return ctx.fail(Codes.SYMBOLIC_RANK,
        'pad: the pads input has no static length, so the output rank is unknown');
  }
  const axes = a.axes ?? [...Array(rank).keys()];
  if (given.length !== 2 * axes.length) ctx.fail(Codes.ATTRIBUTE,
    `pad: ${given.length} pads for ${axes.length} axes`);
  const full: Dim[] = new Array<Dim>(2 * rank).fill(0);
  axes.forEach((a, i) => { full[a] = given[i]; full[a + rank] = given[i + axes.length]; });
  return full;
}

/** The same pad amounts as int64 expressions for a lowering (loads from the pads tensor). */
function padExprs(ctx: LowerCtx, a: PadAttrs, rank: number): Expr[] {
  if (a.pads) return a.pads.map((p) => t.imm(p));
  const src = ctx.inputs[2]!;
  const axes = a.axes ?? [...Array(rank).keys()];
  const full: Expr[] = new Array<Expr>(2 * rank).fill(t.imm(0));
  const at = (k: number) => t.cast(src.at([t.imm(k)]), 'int64');
  axes.forEach((a, i) => { full[a] = at(i); full[a + rank] = at(i + axes.length); });
  return full;
}

const pad = declareOp({
  name: 'pad', traits: ['injective'], attrs: PAD_ATTRS,
  infer: (inputs, a, ctx) => {
    const x = inputs[0]!;
    const r = x.shape.length;
    const pads = padDims(r, a, ctx);
    if (pads.length !== 2 * r) ctx.fail(Codes.ATTRIBUTE, `pad: ${pads.length} pads for rank ${r}`);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => dimAdd(dimAdd(d, pads[i]), pads[i + r])) }];
  },
  lower: (ctx, a): Lowering => {
    const x = ctx.inputs[0]!;
    const v = ctx.inputs[1];
    const r = x.shape.length;
    const pads = padExprs(ctx, a, r);
    const fill = v ? v.at(v.shape.map(() => t.imm(0))) : t.imm(0, x.dtype);
    const mode = a.mode;
    return {
      kind: 'compute',
      at: (idx) => {
        const src = idx.map((e, i) => t.sub(e, pads[i]));
        if (mode !== 'constant') return x.at(src.map((s, i) => PAD_INDEX[mode](s, x.shape[i])));
        const inside = src.map((s, i) => t.and(t.ge(s, 0), t.lt(s, x.shape[i]))).reduce((a, b) => t.and(a, b),
          t.imm(1, 'bool'));
        const safe = src.map((s) => t.select(inside, s, t.imm(0)));
        return t.select(inside, x.at(safe), fill);
      },
    };
  },
});

export const SHAPE_OPS: readonly OpDef[] = [
  identity, shape, size, reshape, flatten, squeeze, unsqueeze, transpose, concat, pad,
];
