// Op record `mel_weight_matrix {to}` [numMelBins, dftLength, sampleRate, lowerHz, upperHz]
// (ONNX MelWeightMatrix 17..): the [dftLength / 2 + 1, numMelBins] matrix of triangular mel
// filters. Requires: the three integer scalars (their values may be read at run time: the
// output dims are then data symbols) and two float scalars. Guarantees: onnx's reference
// (op_mel_weight_matrix.py): numMelBins + 2 points spaced evenly in mel between the edges
// (mel = 2595 log10(1 + hz / 700)), each mapped to the spectrogram bin floor((dftLength + 1) *
// hz / sampleRate); filter i rises (j - l) / (c - l) over [l, c] (1 at c when l = c) and falls
// (h - j) / (h - c) over [c, h), the falling edge written last, in float64, then cast to `to`.
//
// Schedule: `compute` (injective): every element is a closed form of its row and column.

import { dimAdd, dimFloorDiv } from '../dim.js';
import { ALL_DTYPES } from '../dtype.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import { add, and, cast, div, eq, ge, gt, imm, le, lt, mul, select, sub, unary } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const MEL_ATTRS = { to: attr.oneOf(ALL_DTYPES, 'float32') };
type MelAttrs = AttrValues<typeof MEL_ATTRS>;

function inferMel(ins: readonly (TensorType | null)[], a: MelAttrs, ctx: InferCtx): TensorType[] {
  if (ins.length !== 5 || ins.some((t) => !t || t.shape.length > 1)) {
    return ctx.fail(INPUT_MISMATCH, 'mel_weight_matrix takes five scalars');
  }
  const [bins, dft] = [ctx.values(0), ctx.values(1)];
  if (bins?.length !== 1 || dft?.length !== 1 || !ctx.values(2)) {
    return ctx.fail(INPUT_MISMATCH,
      'mel_weight_matrix num_mel_bins, dft_length and sample_rate must be integers');
  }
  return [{ dtype: a.to, shape: [dimAdd(dimFloorDiv(dft[0], 2), 1), bins[0]] }];
}

const F = 'float64';
const f = (v: number): Expr => imm(v, F);

function lowerMel(ctx: LowerCtx, a: MelAttrs): Lowering {
  const [bins, dft, rate, lo, hi] = ctx.inputs as TensorAccess[];
  const scalar = (t: TensorAccess): Expr => cast(t.at(t.shape.map(() => imm(0))), F);
  const toMel = (hz: Expr): Expr =>
    div(mul(f(2595), unary('log', add(f(1), div(hz, f(700))))), f(Math.log(10)));
  const [melLo, melHi] = [toMel(scalar(lo)), toMel(scalar(hi))];
  const step = div(sub(melHi, melLo), add(scalar(bins), f(2)));
  /** The spectrogram bin of mel point k. */
  const point = (k: Expr): Expr => {
    const mel = add(mul(cast(k, F), step), melLo);
    const hz = mul(f(700), sub(unary('exp', mul(div(mel, f(2595)), f(Math.log(10)))), f(1)));
    return unary('floor', div(mul(add(scalar(dft), f(1)), hz), scalar(rate)));
  };
  return {
    kind: 'compute',
    at: ([j0, i]) => {
      const j = cast(j0, F), [l, c, h] = [0, 1, 2].map((k) => point(add(i, k)));
      const falling = and(and(ge(j, c), lt(j, h)), gt(h, c));
      const rising = and(ge(j, l), le(j, c));
      const v = select(falling, div(sub(h, j), sub(h, c)),
        select(eq(c, l), select(eq(j, c), f(1), f(0)), select(rising, div(sub(j, l), sub(c, l)), f(0))));
      return cast(v, a.to);
    },
  };
}

export const MEL_OPS: readonly OpDef[] = [
  declareOp({ name: 'mel_weight_matrix', traits: ['injective'], attrs: MEL_ATTRS, infer: inferMel,
    lower: lowerMel }),
];
