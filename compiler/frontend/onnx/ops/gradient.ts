// The `ai.onnx.preview.training::Gradient` converter: compile-time reverse-mode differentiation of
// tensor `y` with respect to the tensors named in `xs`, over the kestrel nodes already converted
// between them. The adjoint of y is seeded with ones of y's shape (Gradient takes no incoming
// gradient); each node on a path from an x to y passes its output adjoint to its inputs by the
// rule of its op. Requires: the converted graph (ctx.named, ctx.emitted) and the elementwise ops,
// greater, where, reduce_sum, shape and expand. Guarantees: only add, sub, mul, div, neg, relu and
// identity are differentiated (anything else on the path is `Gradient through <op>`, unsupported);
// an adjoint of a broadcast input is summed back over the broadcast axes to the input's shape;
// an x that y does not depend on gets zeros of its shape. The Gradient node's inputs must be the
// xs and zs tensors themselves (gradients at other values would need the forward graph again).

import { makeConst } from '../../../../ir/const.js';
import { dimEq, isStatic } from '../../../../ir/dim.js';
import type { Node, Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';

export const GRADIENT_EMITS = ['add', 'sub', 'mul', 'div', 'neg', 'greater', 'where', 'reduce_sum',
  'shape', 'expand', 'identity'];

const FLOATS = new Set(['float32', 'float64', 'float16', 'bfloat16']);

/** A tensor of y's dtype and v's shape filled with `fill`. */
function filled(ctx: ConvertCtx, v: Value, dtype: Value['type']['dtype'], fill: number): Value {
  const shape = v.type.shape;
  if (shape.every(isStatic)) {
    const n = (shape as number[]).reduce((p, q) => p * q, 1);
    return ctx.constant(makeConst(dtype, shape as number[], new Array<number>(n).fill(fill)));
  }
  const dims = ctx.emit('shape', [v], {})[0]!;
  return ctx.emit('expand', [ctx.scalar(dtype, fill), dims], {})[0]!;
}

/** `g` (an adjoint of a broadcast result) summed back to the shape of input `x`. */
function unbroadcast(ctx: ConvertCtx, g: Value, x: Value): Value {
  const gs = g.type.shape, xs = x.type.shape, lead = gs.length - xs.length;
  if (lead < 0) ctx.unsupported('Gradient through an op whose result has a lower rank than its input');
  const ones: number[] = [];
  xs.forEach((d, k) => {
    if (dimEq(d, gs[lead + k]!)) return;
    if (d !== 1) ctx.unsupported('Gradient through a broadcast the compiler cannot prove (symbolic dims)');
    ones.push(k);
  });
  let out = g;
  if (lead > 0) {
    const axes = Array.from({ length: lead }, (_, i) => i);
    out = ctx.emit('reduce_sum', [out], { axes, keepdims: 0, noopWithEmptyAxes: 0 })[0]!;
  }
  if (ones.length > 0) {
    out = ctx.emit('reduce_sum', [out], { axes: ones, keepdims: 1, noopWithEmptyAxes: 0 })[0]!;
  }
  return out;
}

/** The adjoints of a node's inputs from the adjoint `g` of its (single) output. */
function rule(ctx: ConvertCtx, n: Node, g: Value): (Value | null)[] {
  const e = (op: string, ins: Value[]): Value => ctx.emit(op, ins, {})[0]!;
  const [a, b] = n.inputs as Value[];
  switch (n.op) {
    case 'identity': return [g];
    case 'neg': return [e('neg', [g])];
    case 'add': return [g, g];
    case 'sub': return [g, e('neg', [g])];
    case 'mul': return [e('mul', [g, b!]), e('mul', [g, a!])];
    case 'div': {
      const ga = e('div', [g, b!]);
      return [ga, e('neg', [e('div', [e('mul', [ga, a!]), b!])])];
    }
    case 'relu': {
      const positive = e('greater', [a!, ctx.scalar(a!.type.dtype, 0)]);
      return [e('where', [positive, g, ctx.scalar(g.type.dtype, 0)])];
    }
    default: return ctx.unsupported(`Gradient through ${n.origin?.opType ?? n.op}`);
  }
}

/** The nodes of `all` on a path from one of `xs` to `y`, in order. */
function pathNodes(all: readonly Node[], xs: readonly Value[], y: Value): Node[] {
  const depends = new Set<Value>(xs);
  const forward = all.filter((n) => {
    if (!n.inputs.some((v) => v && depends.has(v))) return false;
    for (const o of n.outputs) depends.add(o);
    return true;
  });
  const needed = new Set<Value>([y]);
  const path: Node[] = [];
  for (let k = forward.length - 1; k >= 0; k--) {
    const n = forward[k]!;
    if (!n.outputs.some((o) => needed.has(o))) continue;
    path.push(n);
    for (const v of n.inputs) if (v && depends.has(v)) needed.add(v);
  }
  return path.reverse();
}

export function gradient(ctx: ConvertCtx): (Value | null)[] {
  const names = ctx.attrs.strings('xs'), zs = ctx.attrs.strings('zs', []), yName = ctx.attrs.string('y');
  const find = (name: string, attr: string): Value =>
    ctx.named(name) ?? ctx.unsupported(`Gradient ${attr} '${name}' is not a converted tensor`);
  const xs = names.map((x) => find(x, 'xs')), y = find(yName, 'y');
  [...xs, ...zs.map((z) => find(z, 'zs'))].forEach((v, i) => {
    if (ctx.inputs[i] !== v) ctx.unsupported('Gradient at values other than the xs and zs tensors');
  });
  if (ctx.inputs.length !== xs.length + zs.length) {
    ctx.unsupported(`Gradient with ${ctx.inputs.length} inputs for ${xs.length + zs.length} xs and zs`);
  }
  if (ctx.outputNames.length > xs.length) ctx.unsupported('Gradient with more outputs than xs');
  const dtype = y.type.dtype;
  if (!FLOATS.has(dtype)) ctx.unsupported(`Gradient of a ${dtype} tensor`);
  const adjoint = new Map<Value, Value>([[y, filled(ctx, y, dtype, 1)]]);
  const path = pathNodes(ctx.emitted(), xs, y);
  const reaching = new Set<Value>(xs);
  for (const n of path) {
    if (n.inputs.some((v) => v && reaching.has(v))) n.outputs.forEach((o) => reaching.add(o));
  }
  for (let k = path.length - 1; k >= 0; k--) {
    const n = path[k]!;
    const g = adjoint.get(n.outputs[0]!);
    if (n.outputs.length !== 1) ctx.unsupported(`Gradient through ${n.origin?.opType ?? n.op}`);
    if (!g) continue;
    rule(ctx, n, g).forEach((gi, i) => {
      const v = n.inputs[i];
      if (!gi || !v || !reaching.has(v)) return;
      const part = unbroadcast(ctx, gi, v);
      const before = adjoint.get(v);
      adjoint.set(v, before ? ctx.emit('add', [before, part], {})[0]! : part);
    });
  }
  return ctx.outputNames.map((o, i) => {
    if (!o) return null;
    const g = adjoint.get(xs[i]!) ?? filled(ctx, xs[i]!, dtype, 0);
    return ctx.emit('identity', [g], {}, [o])[0]!;
  });
}
