// Converters for the signal operators: HannWindow, HammingWindow, BlackmanWindow (-> window),
// DFT (-> dft; from opset 20 its axis is an input: a constant becomes the attribute, a run-time
// one goes through dft_plan, whose kernel writes the output shape the VM allocates) and STFT
// (-> stft) of ir/ops/signal.ts; MelWeightMatrix (-> mel_weight_matrix of ir/ops/mel.ts).
// Requires: those declared ops. Guarantees: output_datatype is mapped to a kestrel dtype (an
// unknown code is reported unsupported); DFT-17..19 read the axis attribute (default 1), DFT-20
// the axis input (default -2).

import { dtypeFromOnnx } from '../../../../ir/dtype.js';
import { Codes } from '../../../diagnostics.js';
import type { Value } from '../../../../ir/graph.js';
import { constInts, type ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

const windowOf = (kind: string) => (ctx: ConvertCtx): Value[] => {
  const code = ctx.attrs.has('output_datatype') ? ctx.attrs.int('output_datatype') : 1;
  const to = dtypeFromOnnx(code);
  if (!to) return ctx.unsupported(`window output_datatype ${code}`);
  return ctx.resultFrom('window', [ctx.input(0)], { periodic: 'periodic' }, { kind, to });
};

const DFT_NAMES = { inverse: 'inverse', onesided: 'onesided' };

function dft17(ctx: ConvertCtx): Value[] {
  return ctx.resultFrom('dft', [ctx.input(0), ctx.optInput(1), null, null], { ...DFT_NAMES, axis: 'axis' });
}

function dft20(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), len = ctx.optInput(1), axisIn = ctx.optInput(2);
  const known = axisIn ? ctx.constInput(2) : undefined;
  const axis = axisIn ? (known ? constInts(known) : undefined) : [-2];
  if (axis) {
    if (axis.length !== 1) {
      ctx.fail(Codes.SHAPE_INFERENCE, `DFT axis must hold one element, got ${axis.length}`);
    }
    return ctx.resultFrom('dft', [x, len, null, null], DFT_NAMES, { axis: axis[0] });
  }
  const [shape] = ctx.emitFrom('dft_plan', [x, len, axisIn], DFT_NAMES);
  return ctx.resultFrom('dft', [x, len, axisIn, shape], DFT_NAMES);
}

function stft(ctx: ConvertCtx): Value[] {
  return ctx.resultFrom('stft', [ctx.input(0), ctx.input(1), ctx.optInput(2), ctx.optInput(3)],
    { onesided: 'onesided' });
}

function melWeightMatrix(ctx: ConvertCtx): Value[] {
  const code = ctx.attrs.has('output_datatype') ? ctx.attrs.int('output_datatype') : 1;
  const to = dtypeFromOnnx(code);
  if (!to) return ctx.unsupported(`MelWeightMatrix output_datatype ${code}`);
  return ctx.result('mel_weight_matrix', [0, 1, 2, 3, 4].map((i) => ctx.input(i)), { to });
}

export const SIGNAL_ROWS: readonly ConverterRow[] = [
  row('MelWeightMatrix', ['mel_weight_matrix'], melWeightMatrix, 17),
  row('HannWindow', ['window'], windowOf('hann'), 17),
  row('HammingWindow', ['window'], windowOf('hamming'), 17),
  row('BlackmanWindow', ['window'], windowOf('blackman'), 17),
  row('DFT', ['dft'], dft17, 17, 19),
  row('DFT', ['dft_plan', 'dft'], dft20, 20),
  row('STFT', ['stft'], stft, 17),
];
