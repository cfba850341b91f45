// Converters for ONNX data-movement ops: Concat, Reshape, Flatten, Transpose, Squeeze, Unsqueeze,
// Pad and Constant. Requires: the kestrel shape ops. Guarantees: axes are normalised (non-negative,
// sorted where order is irrelevant); operands ONNX gives as inputs in new opsets but as attributes
// in old ones reach kestrel in one form; non-constant axes/pads are reported unsupported.

import type { Value } from '../../../../ir/graph.js';
import { constInts, int64Data, type ConvertCtx } from '../context.js';
import { tensorFromMsg } from '../tensor.js';
import { row, type ConverterRow } from './types.js';
import { Codes } from '../../../diagnostics.js';

/** Integer list from a constant input, or undefined when the input is absent. */
function constList(ctx: ConvertCtx, i: number, what: string): number[] | undefined {
  const v = ctx.optInput(i);
  if (!v) return undefined;
  if (!v.data) ctx.unsupported(`${ctx.node.opType} with non-constant ${what}`);
  return constInts(v.data) ?? ctx.unsupported(`${ctx.node.opType} ${what} of type ${v.data.dtype}`);
}

function normAxes(ctx: ConvertCtx, axes: readonly number[], rank: number): number[] {
  const out = axes.map((a) => ctx.axis(a, rank, 'axes'));
  if (new Set(out).size !== out.length) ctx.attrs.fail('axes', `repeats an axis [${axes}]`);
  return out.sort((a, b) => a - b);
}

function concat(ctx: ConvertCtx): Value[] {
  const ins = ctx.inputs.filter((v): v is Value => v !== null);
  if (ins.length === 0) ctx.fail(Codes.SHAPE_INFERENCE, 'needs at least one input');
  const axis = ctx.axis(ctx.attrs.int('axis', ctx.opset < 4 ? 1 : undefined), ctx.rank(ins[0]!));
  return ctx.result('concat', ins, { axis });
}

function reshape(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  const shape = ctx.opset < 5 ? ctx.constant(int64Data(ctx.attrs.ints('shape'))) : ctx.input(1);
  return ctx.result('reshape', [x, shape], { allowzero: ctx.attrs.int('allowzero', 0) });
}

function flatten(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), r = ctx.rank(x);
  const a = ctx.attrs.int('axis', 1);
  if (a < -r || a > r) ctx.attrs.fail('axis', `value ${a} is out of range for rank ${r}`);
  return ctx.result('flatten', [x], { axis: a < 0 ? a + r : a });
}

function transpose(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), r = ctx.rank(x);
  const perm = ctx.attrs.ints('perm', [...Array(r).keys()].reverse());
  const sorted = [...perm].sort((a, b) => a - b);
  if (perm.length !== r || sorted.some((p, i) => p !== i)) {
    ctx.attrs.fail('perm', `[${perm}] is not a permutation of rank ${r}`);
  }
  return ctx.result('transpose', [x], { perm });
}

function squeeze(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), r = ctx.rank(x);
  const given = ctx.opset < 13 ? (ctx.attrs.has('axes') ? ctx.attrs.ints('axes') : undefined)
    : constList(ctx, 1, 'axes');
  const axes = given ? normAxes(ctx, given, r)
    : x.type.shape.flatMap((d, i) => (d === 1 ? [i] : []));
  return ctx.result('squeeze', [x], { axes });
}

function unsqueeze(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  const given = ctx.opset < 13 ? ctx.attrs.ints('axes') : constList(ctx, 1, 'axes');
  if (!given) return ctx.fail(Codes.SHAPE_INFERENCE, 'Unsqueeze needs axes');
  return ctx.result('unsqueeze', [x], { axes: normAxes(ctx, given, ctx.rank(x) + given.length) });
}

const PAD_MODES = ['constant', 'reflect', 'edge', 'wrap'];

/** Pad: pads/value are attributes before opset 11 and inputs from 11 (axes input from 18). */
function pad(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), r = ctx.rank(x);
  const mode = ctx.attrs.string('mode', 'constant');
  if (!PAD_MODES.includes(mode)) ctx.attrs.fail('mode', `has unknown value '${mode}'`);
  if (ctx.opset < 11) {
    const pads = ctx.attrs.ints(ctx.opset < 2 ? 'paddings' : 'pads');
    const value = ctx.attrs.float('value', 0);
    return ctx.result('pad', [x, value === 0 ? null : ctx.scalar(x.type.dtype, value)], { mode, pads });
  }
  const axes = constList(ctx, 3, 'axes');
  if (!ctx.input(1).data) {
    // Pads known only at run time: the op reads them from the tensor (shape via data symbols).
    return ctx.result('pad', [x, ctx.optInput(2), ctx.input(1)],
      { mode, ...(axes ? { axes: normAxesUnsorted(ctx, axes, r) } : {}) });
  }
  let pads = constList(ctx, 1, 'pads') ?? ctx.fail(Codes.SHAPE_INFERENCE, 'Pad needs pads');
  if (axes) pads = expandPads(ctx, pads, normAxesUnsorted(ctx, axes, r), r);
  if (pads.length !== 2 * r) ctx.attrs.fail('pads', `has ${pads.length} values, expected ${2 * r}`);
  return ctx.result('pad', [x, ctx.optInput(2)], { mode, pads });
}

function normAxesUnsorted(ctx: ConvertCtx, axes: readonly number[], rank: number): number[] {
  return axes.map((a) => ctx.axis(a, rank, 'axes'));
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
  row('Flatten', ['flatten'], flatten),
  row('Transpose', ['transpose'], transpose),
  row('Squeeze', ['squeeze'], squeeze),
  row('Unsqueeze', ['unsqueeze'], unsqueeze),
  row('Pad', ['pad'], pad),
  row('Constant', [], constant),
  row('Shape', ['shape'], (ctx) => ctx.result('shape', [ctx.input(0)], {
    start: ctx.attrs.int('start', 0), ...(ctx.attrs.has('end') ? { end: ctx.attrs.int('end') } : {}),
  })),
  row('Size', ['size'], (ctx) => ctx.result('size', [ctx.input(0)], {})),
];
