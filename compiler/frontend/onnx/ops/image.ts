// Converters for the image sampling operators: GridSample (-> grid_sample of
// ir/ops/grid-sample.ts). Requires: that declared op. Guarantees: GridSample 16..19 names its
// modes bilinear/bicubic and allows only 4-D inputs; from opset 20 the modes are linear/cubic
// and any rank >= 3 is taken. Both map onto grid_sample's linear/nearest/cubic; an unknown mode
// fails with KC0401 naming the ONNX attribute.

import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
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

export const IMAGE_ROWS: readonly ConverterRow[] = [
  row('GridSample', ['grid_sample'], gridSample, 16),
];
