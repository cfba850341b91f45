// Converters for the `ai.onnx.preview.training` operators: the optimizers Adagrad, Adam and
// Momentum (standard and Nesterov), as decompositions into elementwise ops following the ONNX
// pseudo code, one update per optimized tensor; and Gradient (gradient.ts). Their own domain
// table (index.ts) keeps them apart from the ONNX standard. Requires: the elementwise ops, cast,
// where, greater, pow, sqrt. Guarantees: the scalar learning-rate factors are computed once from
// R and T (T cast to the tensors' dtype); each output takes the dtype of the tensor it updates.

import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { Codes } from '../../../diagnostics.js';
import { gradient, GRADIENT_EMITS } from './gradient.js';
import { row, type ConverterRow } from './types.js';

/** Elementwise helpers over one ONNX node's context. */
function ops(ctx: ConvertCtx) {
  const bin = (op: string) => (a: Value, b: Value): Value => ctx.emit(op, [a, b], {})[0]!;
  return {
    add: bin('add'), sub: bin('sub'), mul: bin('mul'), div: bin('div'), pow: bin('pow'),
    sqrt: (a: Value): Value => ctx.emit('sqrt', [a], {})[0]!,
    k: (like: Value, v: number): Value => ctx.scalar(like.type.dtype, v),
  };
}

/** Inputs R, T and `groups` lists of n tensors each; fails unless the count splits evenly. */
function groupsOf(ctx: ConvertCtx, groups: number): { r: Value; t: Value; lists: Value[][] } {
  const rest = ctx.inputs.length - 2;
  if (rest <= 0 || rest % groups !== 0) {
    ctx.fail(Codes.SHAPE_INFERENCE, `expects R, T and ${groups} lists of equal length, got `
      + `${ctx.inputs.length} inputs`);
  }
  const n = rest / groups;
  const lists = Array.from({ length: groups }, (_, g) =>
    Array.from({ length: n }, (_, i) => ctx.input(2 + g * n + i)));
  if (ctx.outputNames.length > rest) ctx.fail(Codes.SHAPE_INFERENCE, `has more than ${rest} outputs`);
  return { r: ctx.input(0), t: ctx.input(1), lists };
}

/** T cast to dtype of `like`, and the condition T > 0. */
function step(ctx: ConvertCtx, t: Value, like: Value): { tf: Value; positive: Value } {
  const tf = t.type.dtype === like.type.dtype ? t : ctx.emit('cast', [t], { to: like.type.dtype })[0]!;
  const positive = ctx.emit('greater', [t, ctx.scalar(t.type.dtype, 0)], {})[0]!;
  return { tf, positive };
}

function adagrad(ctx: ConvertCtx): Value[] {
  const { r, t, lists: [xs, gs, hs] } = groupsOf(ctx, 3);
  const o = ops(ctx);
  const norm = ctx.attrs.float('norm_coefficient', 0), decay = ctx.attrs.float('decay_factor', 0);
  const eps = ctx.attrs.float('epsilon', 1e-6);
  const { tf } = step(ctx, t, r);
  const rate = o.div(r, o.add(o.k(r, 1), o.mul(tf, o.k(r, decay))));
  const xNew: Value[] = [], hNew: Value[] = [];
  xs!.forEach((x, i) => {
    const g = o.add(o.mul(o.k(x, norm), x), gs![i]!);
    const h = o.add(hs![i]!, o.mul(g, g));
    const adaptive = o.add(o.sqrt(h), o.k(x, eps));
    xNew.push(o.sub(x, o.div(o.mul(rate, g), adaptive)));
    hNew.push(h);
  });
  return [...xNew, ...hNew];
}

function adam(ctx: ConvertCtx): Value[] {
  const { r, t, lists: [xs, gs, vs, hs] } = groupsOf(ctx, 4);
  const o = ops(ctx);
  const norm = ctx.attrs.float('norm_coefficient', 0), post = ctx.attrs.float('norm_coefficient_post', 0);
  const alpha = ctx.attrs.float('alpha', 0.9), beta = ctx.attrs.float('beta', 0.999);
  const eps = ctx.attrs.float('epsilon', 1e-6);
  const { tf, positive } = step(ctx, t, r);
  const one = o.k(r, 1);
  const corrected = o.div(o.mul(r, o.sqrt(o.sub(one, o.pow(o.k(r, beta), tf)))),
    o.sub(one, o.pow(o.k(r, alpha), tf)));
  const rate = ctx.emit('where', [positive, corrected, r], {})[0]!;
  const out: Value[][] = [[], [], []];
  xs!.forEach((x, i) => {
    const g = o.add(o.mul(o.k(x, norm), x), gs![i]!);
    const v = o.add(o.mul(o.k(x, alpha), vs![i]!), o.mul(o.k(x, 1 - alpha), g));
    const h = o.add(o.mul(o.k(x, beta), hs![i]!), o.mul(o.k(x, 1 - beta), o.mul(g, g)));
    const hSqrt = o.add(o.sqrt(h), o.k(x, eps));
    const xNew = o.sub(x, o.mul(rate, o.div(v, hSqrt)));
    out[0]!.push(post === 0 ? xNew : o.mul(o.k(x, 1 - post), xNew));
    out[1]!.push(v);
    out[2]!.push(h);
  });
  return out.flat();
}

function momentum(ctx: ConvertCtx): Value[] {
  const { r, t, lists: [xs, gs, vs] } = groupsOf(ctx, 3);
  const o = ops(ctx);
  for (const a of ['alpha', 'beta', 'norm_coefficient', 'mode']) {
    if (!ctx.attrs.has(a)) ctx.attrs.fail(a, 'is required');
  }
  const norm = ctx.attrs.float('norm_coefficient'), alpha = ctx.attrs.float('alpha');
  const beta = ctx.attrs.float('beta'), mode = ctx.attrs.string('mode');
  if (mode !== 'standard' && mode !== 'nesterov') {
    ctx.attrs.fail('mode', `'${mode}' is not standard or nesterov`);
  }
  const { positive } = step(ctx, t, r);
  const xNew: Value[] = [], vNew: Value[] = [];
  xs!.forEach((x, i) => {
    const betaAdj = ctx.emit('where', [positive, o.k(x, beta), o.k(x, 1)], {})[0]!;
    const g = o.add(o.mul(o.k(x, norm), x), gs![i]!);
    const v = o.add(o.mul(o.k(x, alpha), vs![i]!), o.mul(betaAdj, g));
    const direction = mode === 'standard' ? v : o.add(g, o.mul(o.k(x, alpha), v));
    xNew.push(o.sub(x, o.mul(r, direction)));
    vNew.push(v);
  });
  return [...xNew, ...vNew];
}

const EMITS = ['add', 'sub', 'mul', 'div', 'sqrt', 'cast', 'greater', 'where'];

export const TRAINING_ROWS: readonly ConverterRow[] = [
  row('Adagrad', EMITS, adagrad),
  row('Adam', [...EMITS, 'pow'], adam),
  row('Momentum', EMITS, momentum),
  row('Gradient', GRADIENT_EMITS, gradient),
];
