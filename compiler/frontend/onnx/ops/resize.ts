// Converters for ONNX Resize (10, 11, 13, 18, 19) and Upsample (7, 9) to the kestrel `resize` op
// (ir/ops/resize.ts). Requires: the resize, shape, gather, cast, floor, mul, div, add and
// reduce_min/max ops. Guarantees: the op's attributes are complete and validated (modes, axes);
// an empty scales/sizes tensor counts as absent; exactly one of scales and sizes is given; axes that
// constant scales or sizes leave unchanged are dropped (no taps spent on them); run-time scales and
// keep_aspect_ratio_policy become small shape computations whose results size the output, so the
// output dims are always the op's `sizes` contents or floor(dim * constant scale).

import { isStatic } from '../../../../ir/dim.js';
import type { DType } from '../../../../ir/dtype.js';
import type { ConstData, Value } from '../../../../ir/graph.js';
import { constValues } from '../../../../ir/const.js';
import { valuesOf } from '../../../../ir/values.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';
import { Codes } from '../../../diagnostics.js';
import { RESIZE_ATTRS, RESIZE_MODES } from '../../../../ir/ops/resize.js';

const MODES: readonly string[] = RESIZE_MODES;
const POLICIES = ['stretch', 'not_larger', 'not_smaller'];

interface Form {
  mode: string; coord: string; nearest: string; cubicA: number; exclude: number; extrapolation: number;
}

function listData(dtype: DType, values: readonly number[]): ConstData {
  const arr = dtype === 'int64' ? new BigInt64Array(values.map((v) => BigInt(v))) : new Float32Array(values);
  return { dtype, shape: [values.length], bytes: new Uint8Array(arr.buffer) };
}

/** Input i unless absent or empty (opset 11+ pass '' or a [0] tensor for the unused one). */
function present(ctx: ConvertCtx, i: number): Value | null {
  const v = ctx.optInput(i);
  return v && !(v.type.shape.length === 1 && v.type.shape[0] === 0) ? v : null;
}

function choice(ctx: ConvertCtx, name: string, allowed: readonly string[], dflt: string): string {
  const v = ctx.attrs.string(name, dflt);
  if (!allowed.includes(v)) ctx.attrs.fail(name, `has unknown value '${v}'`);
  return v;
}

/** Resize 11+ attributes; opset 10 and Upsample are asymmetric with floor rounding. */
function formOf(ctx: ConvertCtx, legacy: boolean): Form {
  const mode = ctx.attrs.string('mode', 'nearest');
  const legacyMode = mode === 'bilinear' ? 'linear' : mode;
  if (!MODES.includes(legacyMode) || (legacy && legacyMode === 'cubic')) {
    ctx.attrs.fail('mode', `has unknown value '${mode}'`);
  }
  if (legacy) {
    return { mode: legacyMode, coord: 'asymmetric', nearest: 'floor', cubicA: -0.75, exclude: 0,
      extrapolation: 0 };
  }
  // Read by the op's declared kinds, defaults and checks (ir/ops/resize.ts), under ONNX names.
  const A = RESIZE_ATTRS;
  return {
    mode: legacyMode, coord: ctx.declared(A.coord, 'coordinate_transformation_mode'),
    nearest: ctx.declared(A.nearest, 'nearest_mode'), cubicA: ctx.declared(A.cubicA, 'cubic_coeff_a'),
    exclude: ctx.declared(A.exclude, 'exclude_outside'),
    extrapolation: ctx.declared(A.extrapolation, 'extrapolation_value'),
  };
}

function axesOf(ctx: ConvertCtx, rank: number): number[] {
  const all = Array.from({ length: rank }, (_, i) => i);
  if (ctx.opset < 18 || !ctx.attrs.has('axes')) return all;
  const axes = ctx.attrs.ints('axes').map((a) => ctx.axis(a, rank, 'axes'));
  if (new Set(axes).size !== axes.length) ctx.attrs.fail('axes', `repeats an axis [${axes}]`);
  return axes;
}

/** The input's dims at `axes` as a float64 tensor (known contents become shape arithmetic). */
function dimsAsFloat(ctx: ConvertCtx, x: Value, axes: readonly number[]): Value {
  const shape = ctx.emit('shape', [x], {})[0];
  const picked = ctx.emit('gather', [shape, ctx.constant(listData('int64', axes))], { axis: 0 })[0];
  return ctx.emit('cast', [picked], { to: 'float64' })[0];
}

const toF64 = (ctx: ConvertCtx, v: Value) => ctx.emit('cast', [v], { to: 'float64' })[0];

/** Output sizes floor(dim * scale) computed at run time from a run-time scales tensor. */
function sizesFromScales(ctx: ConvertCtx, x: Value, scales: Value, axes: readonly number[]): Value {
  const prod = ctx.emit('mul', [dimsAsFloat(ctx, x, axes), toF64(ctx, scales)], {})[0];
  return ctx.emit('cast', [ctx.emit('floor', [prod], {})[0]], { to: 'int64' })[0];
}

/** keep_aspect_ratio_policy: one scale, min or max of sizes/dims, and sizes round(scale * dim). */
function keepAspect(ctx: ConvertCtx, x: Value, sizes: Value, axes: readonly number[], policy: string)
  : [Value, Value] {
  const dims = dimsAsFloat(ctx, x, axes);
  const ratios = ctx.emit('div', [toF64(ctx, sizes), dims], {})[0];
  const op = policy === 'not_larger' ? 'reduce_min' : 'reduce_max';
  const s = ctx.emit(op, [ratios], { axes: [0], keepdims: 1, noopWithEmptyAxes: 0 })[0];
  const scaled = ctx.emit('add', [ctx.emit('mul', [s, dims], {})[0], ctx.scalar('float64', 0.5)], {})[0];
  const outSizes = ctx.emit('cast', [ctx.emit('floor', [scaled], {})[0]], { to: 'int64' })[0];
  const scales = ctx.emit('mul', [s, ctx.emit('cast', [ctx.constant(listData('float32', axes.map(() => 1)))],
    { to: 'float64' })[0]], {})[0];
  return [scales, outSizes];
}

/** Axes whose constant scale or size leaves them unchanged, with a transform that is identity. */
function unchangedAxes(ctx: ConvertCtx, x: Value, form: Form, axes: readonly number[],
  scales: Value | null, sizes: Value | null): Set<number> {
  const keep = new Set<number>();
  if (form.coord === 'tf_crop_and_resize' || form.coord === 'tf_half_pixel_for_nn') return keep;
  const sc = scales?.data ? constValues(scales.data) : undefined;
  const sz = sizes ? valuesOf(sizes) : undefined;
  axes.forEach((a, k) => {
    if (sc && sc[k] === 1) keep.add(k);
    const d = x.type.shape[a];
    const known = sizes && (sizes.data || sizes.type.elems);
    if (known && sz && isStatic(sz[k]) && isStatic(d) && sz[k] === d) keep.add(k);
  });
  return keep;
}

function pick(ctx: ConvertCtx, v: Value | null, dtype: DType, ks: readonly number[]): Value | null {
  if (!v) return null;
  const vals = dtype === 'int64' ? valuesOf(v) as number[] : constValues(v.data!);
  return ctx.constant(listData(dtype, ks.map((k) => Number(vals[k]))));
}

/** `v` with the static length `n` (a run-time check when its length is symbolic). */
function withLength(ctx: ConvertCtx, v: Value | null, n: number): Value | null {
  if (!v || (v.type.shape.length === 1 && isStatic(v.type.shape[0]))) return v;
  return ctx.emit('reshape', [v, ctx.constant(listData('int64', [n]))], { allowzero: 0 })[0];
}

function emitResize(ctx: ConvertCtx, x: Value, form: Form, axes: number[], scales0: Value | null,
  sizes0: Value | null, roi0: Value | null): Value[] {
  if (!scales0 && !sizes0) ctx.fail(Codes.SHAPE_INFERENCE, 'needs scales or sizes');
  if (scales0 && sizes0) ctx.fail(Codes.SHAPE_INFERENCE, 'takes scales or sizes, not both');
  let [scales, sizes] = [withLength(ctx, scales0, axes.length), withLength(ctx, sizes0, axes.length)];
  const roi = withLength(ctx, roi0, 2 * axes.length);
  const policy = ctx.opset >= 18 ? choice(ctx, 'keep_aspect_ratio_policy', POLICIES, 'stretch') : 'stretch';
  if (sizes && policy !== 'stretch') [scales, sizes] = keepAspect(ctx, x, sizes, axes, policy);
  else if (scales && !scales.data) sizes = sizesFromScales(ctx, x, scales, axes);
  else if (scales && constValues(scales.data!).some((s) => !(s > 0 && Number.isFinite(s)))) {
    ctx.fail(Codes.ATTRIBUTE, `scales must be positive and finite, got [${constValues(scales.data!)}]`);
  }
  const same = roi || policy !== 'stretch' ? new Set<number>()
    : unchangedAxes(ctx, x, form, axes, scales, sizes);
  if (same.size === axes.length) return ctx.result('identity', [x], {});
  if (same.size > 0) {
    const ks = axes.map((_, k) => k).filter((k) => !same.has(k));
    [scales, sizes] = [pick(ctx, scales, 'float32', ks), pick(ctx, sizes, 'int64', ks)];
    axes = ks.map((k) => axes[k]);
  }
  return ctx.result('resize', [x, scales, sizes, form.coord === 'tf_crop_and_resize' ? roi : null],
    { ...form, axes });
}

function resize(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  if (ctx.opset >= 18 && ctx.attrs.int('antialias', 0) !== 0) ctx.unsupported('Resize with antialias = 1');
  const legacy = ctx.opset < 11;
  const form = formOf(ctx, legacy);
  const axes = axesOf(ctx, ctx.rank(x));
  if (legacy) return emitResize(ctx, x, form, axes, ctx.input(1), null, null);
  const roi = form.coord === 'tf_crop_and_resize' ? present(ctx, 1) : null;
  if (form.coord === 'tf_crop_and_resize' && !roi) ctx.fail(Codes.SHAPE_INFERENCE,
    'tf_crop_and_resize needs roi');
  return emitResize(ctx, x, form, axes, present(ctx, 2), present(ctx, 3), roi);
}

function upsample(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  const form = formOf(ctx, true);
  const axes = axesOf(ctx, ctx.rank(x));
  const scales = ctx.opset >= 9 ? ctx.input(1)
    : ctx.constant(listData('float32', ctx.attrs.floats('scales')));
  return emitResize(ctx, x, form, axes, scales, null, null);
}

const EMITS = ['resize', 'identity', 'reshape', 'shape', 'gather', 'cast', 'floor', 'mul', 'div', 'add',
  'reduce_min', 'reduce_max'];

export const RESIZE_ROWS: readonly ConverterRow[] = [
  row('Resize', EMITS, resize, 10),
  row('Upsample', EMITS, upsample, 7, 9),
];
