// Shape and data-movement ops. Views (identity, reshape, flatten, squeeze, unsqueeze) share their
// input's storage and lower to a VM reshape, never a kernel; transpose and pad are injective
// computes that fuse; concat writes each input's region with its own loop nest.

import { type Dim, dimEq, dimFloorDiv, dimProduct, dimAdd, isStatic, shapeToString } from '../dim.js';
import { constValues } from '../const.js';
import type { Attrs, TensorType } from '../graph.js';
import * as t from '../tir-build.js';
import { elementLoops } from '../te-loops.js';
import { defineOps, type InferCtx, type OpDef } from './registry.js';

const ints = (attrs: Attrs, k: string): number[] => (Array.isArray(attrs[k]) ? [...attrs[k] as number[]] : []);

function checkAxis(axis: number, rank: number, ctx: InferCtx, what = 'axis'): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) ctx.fail('KC0401', `${what} ${axis} is out of range for rank ${rank}`);
  return a;
}

const identity: OpDef = {
  name: 'identity', traits: ['view'],
  infer: (inputs) => [inputs[0]!],
};

function reshapeTarget(x: TensorType, target: number[], allowzero: boolean, ctx: InferCtx): Dim[] {
  const out: (Dim | null)[] = target.map((d, i) => {
    if (d === 0 && !allowzero) {
      if (i >= x.shape.length) ctx.fail('KC0402', `reshape: 0 at position ${i} but input rank is ${x.shape.length}`);
      return x.shape[i];
    }
    if (d === -1) return null;
    if (d < 0) ctx.fail('KC0401', `reshape: invalid target dim ${d}`);
    return d;
  });
  const holes = out.filter((d) => d === null).length;
  if (holes > 1) ctx.fail('KC0401', 'reshape: more than one -1 in the target shape');
  const total = dimProduct(x.shape);
  if (holes === 1) {
    const known = dimProduct(out.filter((d): d is Dim => d !== null));
    if (known === 0) ctx.fail('KC0401', 'reshape: cannot infer -1 next to a zero dim');
    const fill = dimFloorDiv(total, known);
    return out.map((d) => (d === null ? fill : d));
  }
  const dims = out as Dim[];
  const prod = dimProduct(dims);
  if (isStatic(prod) && isStatic(total) && prod !== total) {
    ctx.fail('KC0402', `reshape: cannot reshape ${shapeToString(x.shape)} to ${shapeToString(dims)}`);
  }
  return dims;
}

const reshape: OpDef = {
  name: 'reshape', traits: ['view'],
  infer: (inputs, attrs, ctx) => {
    const target = ctx.constant(1);
    if (!target) return ctx.fail('KC0402', 'reshape: the target shape must be a compile-time constant');
    return [{ dtype: inputs[0]!.dtype, shape: reshapeTarget(inputs[0]!, constValues(target), attrs.allowzero === 1, ctx) }];
  },
};

const flatten: OpDef = {
  name: 'flatten', traits: ['view'],
  infer: (inputs, attrs, ctx) => {
    const x = inputs[0]!;
    const axis = attrs.axis as number;
    if (axis < 0 || axis > x.shape.length) ctx.fail('KC0401', `flatten: axis ${axis} out of range`);
    return [{ dtype: x.dtype, shape: [dimProduct(x.shape.slice(0, axis)), dimProduct(x.shape.slice(axis))] }];
  },
};

const squeeze: OpDef = {
  name: 'squeeze', traits: ['view'],
  infer: (inputs, attrs, ctx) => {
    const x = inputs[0]!;
    const axes = ints(attrs, 'axes').map((a) => checkAxis(a, x.shape.length, ctx));
    for (const a of axes) if (x.shape[a] !== 1 && isStatic(x.shape[a])) ctx.fail('KC0401', `squeeze: axis ${a} has size ${x.shape[a]}`);
    const drop = axes.length ? new Set(axes) : new Set(x.shape.flatMap((d, i) => (d === 1 ? [i] : [])));
    return [{ dtype: x.dtype, shape: x.shape.filter((_, i) => !drop.has(i)) }];
  },
};

const unsqueeze: OpDef = {
  name: 'unsqueeze', traits: ['view'],
  infer: (inputs, attrs, ctx) => {
    const x = inputs[0]!;
    const rank = x.shape.length + ints(attrs, 'axes').length;
    const axes = new Set(ints(attrs, 'axes').map((a) => checkAxis(a, rank, ctx)));
    const out: Dim[] = [];
    let k = 0;
    for (let i = 0; i < rank; i++) out.push(axes.has(i) ? 1 : x.shape[k++]);
    return [{ dtype: x.dtype, shape: out }];
  },
};

const transpose: OpDef = {
  name: 'transpose', traits: ['injective'],
  infer: (inputs, attrs, ctx) => {
    const x = inputs[0]!;
    const perm = ints(attrs, 'perm');
    const p = perm.length ? perm : x.shape.map((_, i) => x.shape.length - 1 - i);
    if (p.length !== x.shape.length || new Set(p).size !== p.length || p.some((a) => a < 0 || a >= p.length)) {
      ctx.fail('KC0401', `transpose: perm [${p}] is not a permutation of rank ${x.shape.length}`);
    }
    return [{ dtype: x.dtype, shape: p.map((a) => x.shape[a]) }];
  },
  lower: (ctx) => {
    const x = ctx.inputs[0]!;
    const perm = ints(ctx.attrs, 'perm');
    const p = perm.length ? perm : x.shape.map((_, i) => x.shape.length - 1 - i);
    return {
      kind: 'compute',
      at: (idx) => {
        const src = new Array(idx.length);
        p.forEach((a, k) => { src[a] = idx[k]; });
        return x.at(src);
      },
    };
  },
};

const concat: OpDef = {
  name: 'concat', traits: ['opaque'],
  infer: (inputs, attrs, ctx) => {
    const xs = inputs.filter((x): x is TensorType => x !== null);
    const rank = xs[0].shape.length;
    const axis = checkAxis(attrs.axis as number, rank, ctx);
    let along: Dim = 0;
    for (const x of xs) {
      if (x.shape.length !== rank || x.dtype !== xs[0].dtype) ctx.fail('KC0402', 'concat: inputs differ in rank or dtype');
      x.shape.forEach((d, i) => {
        if (i !== axis && !dimEq(d, xs[0].shape[i]) && isStatic(d) && isStatic(xs[0].shape[i])) {
          ctx.fail('KC0402', `concat: dim ${i} differs: ${shapeToString(x.shape)} vs ${shapeToString(xs[0].shape)}`);
        }
      });
      along = dimAdd(along, x.shape[axis]);
    }
    return [{ dtype: xs[0].dtype, shape: xs[0].shape.map((d, i) => (i === axis ? along : d)) }];
  },
  lower: (ctx) => {
    const axis = ctx.attrs.axis as number;
    const out = ctx.outputs[0];
    const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
    let offset = t.imm(0);
    const parts = [];
    for (const x of ctx.inputs) {
      if (!x) continue;
      const off = offset;
      parts.push(elementLoops(env, x.shape, (idx) => out.store(idx.map((e, i) => (i === axis ? t.add(e, off) : e)), x.at(idx))));
      offset = t.add(offset, x.shape[axis]);
    }
    return { kind: 'kernel', body: t.seq(...parts) };
  },
};

const pad: OpDef = {
  name: 'pad', traits: ['injective'],
  infer: (inputs, attrs, ctx) => {
    const x = inputs[0]!;
    const pads = ints(attrs, 'pads');
    const r = x.shape.length;
    if (pads.length !== 2 * r) ctx.fail('KC0401', `pad: ${pads.length} pads for rank ${r}`);
    if (attrs.mode !== undefined && attrs.mode !== 'constant') ctx.fail('KC0401', `pad: mode '${String(attrs.mode)}' is not supported yet`);
    return [{ dtype: x.dtype, shape: x.shape.map((d, i) => dimAdd(d, pads[i] + pads[i + r])) }];
  },
  lower: (ctx) => {
    const x = ctx.inputs[0]!;
    const v = ctx.inputs[1];
    const pads = ints(ctx.attrs, 'pads');
    const r = x.shape.length;
    const fill = v ? v.at(v.shape.map(() => t.imm(0))) : t.imm(0, x.dtype);
    return {
      kind: 'compute',
      at: (idx) => {
        const src = idx.map((e, i) => t.sub(e, pads[i]));
        const inside = src.map((s, i) => t.and(t.ge(s, 0), t.lt(s, x.shape[i]))).reduce((a, b) => t.and(a, b), t.imm(1, 'bool'));
        const safe = src.map((s) => t.select(inside, s, t.imm(0)));
        return t.select(inside, x.at(safe), fill);
      },
    };
  },
};

defineOps([identity, reshape, flatten, squeeze, unsqueeze, transpose, concat, pad]);
