// The run-time-axes path of the ONNX reductions: `axes` given as an input whose contents the
// compiler cannot see (a graph input, a computed tensor) becomes `reduce_axes_plan` and
// `reduce_*_axes` (ir/ops/reduce-axes.ts). Requires: the static path (./reduce.ts) already took constant and
// shape-derived axes. Guarantees: an axes tensor of static length 0 takes the static path (reduce
// everything, or copy with noop_with_empty_axes); without keepdims the length must be static (the
// output rank depends on it) or the node is reported unsupported.

import { isStatic } from '../../../../ir/dim.js';
import type { Value } from '../../../../ir/graph.js';
import { axesFormOf } from '../../../../ir/ops/reduce-axes.js';
import { valuesOf } from '../../../../ir/values.js';
import type { ConvertCtx } from '../context.js';

/** True when input i is an axes tensor of static length 0 (whatever its origin). */
export function emptyAxes(ctx: ConvertCtx, i: number): boolean {
  const v = ctx.optInput(i);
  return !!v && v.type.shape.length === 1 && v.type.shape[0] === 0;
}

/** True when the axes input is present and its contents are not known at compile time. */
export function runTimeAxes(ctx: ConvertCtx, i: number): boolean {
  const v = ctx.optInput(i);
  if (!v || emptyAxes(ctx, i)) return false;
  const xs = valuesOf(v);
  return !xs || !xs.every(isStatic) || (!v.data && !v.type.elems);
}

/** reduce_axes_plan (checks, mask, output shape), then the reduction over [x, mask, shape]. */
export function reduceRunTimeAxes(ctx: ConvertCtx, op: string): Value[] {
  const axes = ctx.input(1);
  const keep = ctx.attrs.int('keepdims', 1) !== 0;
  if (axes.type.shape.length !== 1 || (!keep && !isStatic(axes.type.shape[0]))) {
    return ctx.unsupported(`${ctx.node.opType} without keepdims, with axes of run-time length`);
  }
  const [mask, shape] = ctx.emitFrom('reduce_axes_plan', [ctx.input(0), axes], { keepdims: 'keepdims',
    noopWithEmptyAxes: 'noop_with_empty_axes' });
  return ctx.result(axesFormOf(op), [ctx.input(0), mask, shape], {});
}
