// Converters for ONNX data-movement ops: Concat, Reshape, Flatten, Transpose, Squeeze, Unsqueeze,
// Pad and Constant. Requires: the kestrel shape ops (ir/ops/shape.ts), whose schemas normalise and
// check the attributes. Guarantees: operands ONNX gives as inputs in new opsets but as attributes
// in old ones reach kestrel in one form; run-time axes go through runtime-axes.ts.

import type { Attrs, Value } from '../../../../ir/graph.js';
import { constInts, int64Data, type ConvertCtx } from '../context.js';
import { tensorFromMsg } from '../tensor.js';
import { fullPads, RUNTIME_AXES_EMITS, squeezeRuntime, unsqueezeRuntime } from './runtime-axes.js';
import { row, type ConverterRow } from './types.js';
import { Codes } from '../../../diagnostics.js';

/** Integer list from a constant input, or undefined when the input is absent. */
function constList(ctx: ConvertCtx, i: number, what: string): number[] | undefined {
  const v = ctx.optInput(i);
  if (!v) return undefined;
  if (!v.data) ctx.unsupported(`${ctx.node.opType} with non-constant ${what}`);
  return constInts(v.data) ?? ctx.unsupported(`${ctx.node.opType} ${what} of type ${v.data.dtype}`);
}

function concat(ctx: ConvertCtx): Value[] {
  const ins = ctx.inputs.filter((v): v is Value => v !== null);
  if (ins.length === 0) ctx.fail(Codes.SHAPE_INFERENCE, 'needs at least one input');
  // axis is required from opset 4; before, it defaulted to 1.
  const legacy: Attrs = ctx.opset < 4 && !ctx.attrs.has('axis') ? { axis: 1 } : {};
  return ctx.resultFrom('concat', ins, { axis: 'axis' }, legacy);
}

function reshape(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  const shape = ctx.opset < 5 ? ctx.constant(int64Data(ctx.attrs.ints('shape'))) : ctx.input(1);
  return ctx.resultFrom('reshape', [x, shape], { allowzero: 'allowzero' });
}

/** Squeeze/Unsqueeze: axes are an attribute before opset 13 and a constant input from 13. */
function axesOf(ctx: ConvertCtx, kestrel: string): Value[] {
  const x = ctx.input(0);
  if (ctx.opset < 13) return ctx.resultFrom(kestrel, [x], { axes: 'axes' });
  const given = ctx.optInput(1);
  if (given && !given.data) return kestrel === 'squeeze' ? squeezeRuntime(ctx) : unsqueezeRuntime(ctx);
  const axes = constList(ctx, 1, 'axes');
  return ctx.resultFrom(kestrel, [x], {}, axes ? { axes } : {});
}

/** Pad: pads/value are attributes before opset 11 and inputs from 11 (axes input from 18). */
function pad(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), r = ctx.rank(x);
  if (ctx.opset < 11) {
    const value = ctx.attrs.float('value', 0);
    return ctx.resultFrom('pad', [x, value === 0 ? null : ctx.scalar(x.type.dtype, value)],
      { mode: 'mode', pads: ctx.opset < 2 ? 'paddings' : 'pads' });
  }
  const axesIn = ctx.optInput(3);
  if (axesIn && !axesIn.data) {
    // Axes known only at run time: their one-hot spreads the pads over every dim.
    return ctx.resultFrom('pad', [x, ctx.optInput(2), fullPads(ctx, ctx.input(1), r)], { mode: 'mode' });
  }
  const axes = constList(ctx, 3, 'axes');
  if (!ctx.input(1).data) {
    // Pads known only at run time: the op reads them from the tensor (shape via data symbols).
    return ctx.resultFrom('pad', [x, ctx.optInput(2), ctx.input(1)], { mode: 'mode' }, axes ? { axes } : {});
  }
  let pads = constList(ctx, 1, 'pads') ?? ctx.fail(Codes.SHAPE_INFERENCE, 'Pad needs pads');
  if (axes) pads = expandPads(ctx, pads, axes.map((a) => ctx.axis(a, r, 'axes')), r);
  if (pads.length !== 2 * r) ctx.attrs.fail('pads', `has ${pads.length} values, expected ${2 * r}`);
  return ctx.resultFrom('pad', [x, ctx.optInput(2)], { mode: 'mode' }, { pads });
}

function expandPads(ctx: ConvertCtx, pads: number[], axes: number[], r: number): number[] {
  if (pads.length !== 2 * axes.length) ctx.attrs.fail('pads', 'length differs from 2 x number of axes');
  const full = new Array<number>(2 * r).fill(0);
  axes.forEach((a, i) => { full[a] = pads[i]!; full[a + r] = pads[i + axes.length]!; });
  return full;
}

/** Constant becomes a constant Value (no node); value_float(s)/value_int(s) become tensors. */
function constant(ctx: ConvertCtx): Value[] {
  const a = ctx.attrs, name = ctx.outputNames[0] || ctx.node.name;
  const t = a.tensor('value');
  if (t) return [ctx.constant(tensorFromMsg(t, {}, name), name)];
  if (a.has('value_float')) return [ctx.scalar('float32', a.float('value_float'), name)];
  if (a.has('value_int')) return [ctx.scalar('int64', a.int('value_int'), name)];
  if (a.has('value_floats')) {
    const f = Float32Array.from(a.floats('value_floats'));
    return [ctx.constant({ dtype: 'float32', shape: [f.length], bytes: new Uint8Array(f.buffer) }, name)];
  }
  if (a.has('value_ints')) return [ctx.constant(int64Data(a.ints('value_ints')), name)];
  return ctx.unsupported(`Constant with attribute(s) ${a.names().join(', ') || '(none)'}`);
}

export const SHAPE_ROWS: readonly ConverterRow[] = [
  row('Concat', ['concat'], concat),
  row('Reshape', ['reshape'], reshape),
  row('Flatten', ['flatten'], (ctx) => ctx.resultFrom('flatten', [ctx.input(0)], { axis: 'axis' })),
  row('Transpose', ['transpose'], (ctx) => ctx.resultFrom('transpose', [ctx.input(0)], { perm: 'perm' })),
  row('Squeeze', ['squeeze', ...RUNTIME_AXES_EMITS], (ctx) => axesOf(ctx, 'squeeze')),
  row('Unsqueeze', ['unsqueeze', ...RUNTIME_AXES_EMITS], (ctx) => axesOf(ctx, 'unsqueeze')),
  row('Pad', ['pad', ...RUNTIME_AXES_EMITS], pad),
  row('Constant', [], constant),
  row('Shape', ['shape'], (ctx) => ctx.resultFrom('shape', [ctx.input(0)], { start: 'start', end: 'end' })),
  row('Size', ['size'], (ctx) => ctx.result('size', [ctx.input(0)], {})),
];
