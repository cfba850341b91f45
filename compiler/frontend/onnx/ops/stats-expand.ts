// Converters for ONNX ops that normalise by statistics of the input itself, composed of kestrel
// ops: MeanVarianceNormalization (the standard's function body: (X - E[X]) / (sqrt(E[X²] -
// E[X]²) + 1e-9) over `axes`) and BatchNormalization with training_mode = 1 (opset 14+: Y
// normalised by the batch mean and the population variance over every axis but 1, and the
// running mean/variance outputs input * momentum + batch * (1 - momentum), as onnx's reference
// computes them). Requires: the kestrel reduce_mean, squeeze, sub, mul, add, div, sqrt and
// batch_norm ops. Guarantees: the statistics are reduced once and shared by every output.

import type { Value } from '../../../../ir/graph.js';
import { Codes } from '../../../diagnostics.js';
import type { ConvertCtx } from '../context.js';

export const STATS_EMITS = ['reduce_mean', 'squeeze', 'sub', 'mul', 'add', 'div', 'sqrt', 'batch_norm'];

const one = (ctx: ConvertCtx, op: string, ins: (Value | null)[], attrs = {}): Value =>
  ctx.emit(op, ins, attrs)[0]!;
const mean = (ctx: ConvertCtx, x: Value, axes: number[]): Value =>
  one(ctx, 'reduce_mean', [x], { axes, keepdims: 1 });
const scalar = (ctx: ConvertCtx, like: Value, v: number): Value => ctx.scalar(like.type.dtype, v);

export function meanVarianceNorm(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), r = ctx.rank(x);
  const given = ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : [0, 2, 3];
  const axes = given.map((a) => ctx.axis(a, r, 'axes'));
  const m = mean(ctx, x, axes);
  const variance = one(ctx, 'sub', [mean(ctx, one(ctx, 'mul', [x, x]), axes), one(ctx, 'mul', [m, m])]);
  const std = one(ctx, 'add', [one(ctx, 'sqrt', [variance]), scalar(ctx, x, 1e-9)]);
  return ctx.result('div', [one(ctx, 'sub', [x, m]), std], {});
}

/** BatchNormalization, training_mode = 1: [Y, running_mean, running_var] (the last two optional). */
export function batchNormTraining(ctx: ConvertCtx): (Value | null)[] {
  const x = ctx.input(0), r = ctx.rank(x);
  if (r < 2) ctx.fail(Codes.SHAPE_INFERENCE, 'BatchNormalization needs an input of rank 2 or more');
  const axes = [0, ...Array.from({ length: r - 2 }, (_, i) => i + 2)];
  const m = mean(ctx, x, axes);
  const d = one(ctx, 'sub', [x, m]);
  const flat = (v: Value): Value => one(ctx, 'squeeze', [v], { axes });
  const bm = flat(m), bv = flat(mean(ctx, one(ctx, 'mul', [d, d]), axes));
  const [y] = ctx.resultFrom('batch_norm', [x, ctx.input(1), ctx.input(2), bm, bv], { epsilon: 'epsilon' });
  const momentum = ctx.attrs.float('momentum', 0.9);
  const names = ctx.outputNames;
  const running = (k: number, input: Value, batch: Value): Value | null => (names[k]
    ? ctx.emit('add', [one(ctx, 'mul', [input, scalar(ctx, input, momentum)]),
      one(ctx, 'mul', [batch, scalar(ctx, batch, 1 - momentum)])], {}, [names[k]])[0]! : null);
  return [y!, running(1, ctx.input(3), bm), running(2, ctx.input(4), bv)];
}
