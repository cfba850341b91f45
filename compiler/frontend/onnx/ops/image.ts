// Converters for the image and detection operators: GridSample (-> grid_sample of
// ir/ops/grid-sample.ts), AffineGrid (-> affine_grid of ir/ops/affine-grid.ts), Col2Im (->
// col2im of ir/ops/col2im.ts), RoiAlign (-> roi_align of ir/ops/roi-align.ts),
// NonMaxSuppression (-> nms_select, nms_count, nms_gather of
// ir/ops/nms.ts: the selection, the count the VM reads before allocating, the output rows) and
// CenterCropPad (-> center_crop_pad of ir/ops/crop-pad.ts). Requires: those declared ops.
// Guarantees: GridSample 16..19 names its modes bilinear/bicubic and allows only 4-D inputs;
// from opset 20 the modes are linear/cubic and any rank >= 3 is taken. Both map onto
// grid_sample's linear/nearest/cubic; an unknown mode fails with KC0401 naming the ONNX
// attribute.

import { isStatic } from '../../../../ir/dim.js';
import type { Value } from '../../../../ir/graph.js';
import { type ConvertCtx, int64Data } from '../context.js';
import { row, type ConverterRow } from './types.js';

const LEGACY_MODES: Readonly<Record<string, string>> = {
  bilinear: 'linear', bicubic: 'cubic', nearest: 'nearest',
};
const MODES: Readonly<Record<string, string>> = { linear: 'linear', cubic: 'cubic', nearest: 'nearest' };

function gridSample(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), legacy = ctx.opset < 20;
  if (legacy && ctx.rank(x) !== 4) ctx.unsupported(`GridSample-16 on a rank-${ctx.rank(x)} input (4-D only)`);
  const table = legacy ? LEGACY_MODES : MODES;
  const given = ctx.attrs.string('mode', legacy ? 'bilinear' : 'linear');
  const mode = Object.hasOwn(table, given) ? table[given] : undefined;
  if (mode === undefined) {
    const allowed = Object.keys(table).join(', ');
    return ctx.attrs.fail('mode', `has unknown value '${given}' (expected one of ${allowed})`);
  }
  return ctx.resultFrom('grid_sample', [x, ctx.input(1)],
    { padding: 'padding_mode', alignCorners: 'align_corners' }, { mode });
}

function nonMaxSuppression(ctx: ConvertCtx): Value[] {
  const ins = [ctx.input(0), ctx.input(1), ctx.optInput(2), ctx.optInput(3), ctx.optInput(4)];
  const [perClass, , picked] = ctx.emitFrom('nms_select', ins, { centerPointBox: 'center_point_box' });
  const [count] = ctx.emit('nms_count', [perClass], {});
  return ctx.result('nms_gather', [picked, perClass, count], {});
}

/** CenterCropPad; a shape of symbolic length (it must be one per axis) is viewed as that length. */
function centerCropPad(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  let shape = ctx.input(1);
  if (shape.type.shape.length === 1 && !isStatic(shape.type.shape[0])) {
    const n = ctx.attrs.has('axes') ? ctx.attrs.ints('axes').length : ctx.rank(x);
    [shape] = ctx.emit('reshape', [shape, ctx.constant(int64Data([n]))], {});
  }
  return ctx.resultFrom('center_crop_pad', [x, shape], { axes: 'axes' });
}

/** AffineGrid; theta's dim 1 (2 or 3) decides the output rank, so it must be static. */
function affineGrid(ctx: ConvertCtx): Value[] {
  const theta = ctx.input(0);
  if (ctx.rank(theta) === 3 && !isStatic(theta.type.shape[1])) {
    ctx.unsupported('AffineGrid with a symbolic theta dim 1 (it decides 2-D or 3-D, the output rank)');
  }
  return ctx.resultFrom('affine_grid', [theta, ctx.input(1)], { alignCorners: 'align_corners' });
}

/** Col2Im; the length of image_shape (the spatial rank) must be static. */
function col2im(ctx: ConvertCtx): Value[] {
  const img = ctx.input(1);
  if (!isStatic(img.type.shape[0] ?? 0)) {
    ctx.unsupported('Col2Im with an image_shape of symbolic length (it is the output rank)');
  }
  return ctx.resultFrom('col2im', [ctx.input(0), img, ctx.input(2)],
    { dilations: 'dilations', pads: 'pads', strides: 'strides' });
}

/** RoiAlign; before opset 16 there is no coordinate_transformation_mode (output_half_pixel). */
const roiAlign = (ctx: ConvertCtx): Value[] => ctx.resultFrom('roi_align',
  [ctx.input(0), ctx.input(1), ctx.input(2)],
  { mode: 'mode', outputHeight: 'output_height', outputWidth: 'output_width', samplingRatio: 'sampling_ratio',
    spatialScale: 'spatial_scale', coordinateMode: 'coordinate_transformation_mode' },
  ctx.opset < 16 ? { coordinateMode: 'output_half_pixel' } : {});

export const IMAGE_ROWS: readonly ConverterRow[] = [
  row('RoiAlign', ['roi_align'], roiAlign, 10),
  row('Col2Im', ['col2im'], col2im, 18),
  row('AffineGrid', ['affine_grid'], affineGrid, 20),
  row('GridSample', ['grid_sample'], gridSample, 16),
  row('CenterCropPad', ['reshape', 'center_crop_pad'], centerCropPad, 18),
  row('NonMaxSuppression', ['nms_select', 'nms_count', 'nms_gather'], nonMaxSuppression, 10),
];
