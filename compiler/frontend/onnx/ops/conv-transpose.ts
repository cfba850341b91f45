// Converter for ONNX ConvTranspose (opsets 1 and 11) to the kestrel `conv_transpose` op
// (ir/ops/conv-transpose.ts). Requires: conv_transpose. Guarantees: the op's window is complete
// and static: kernel (attribute or the weight's static dims), strides, dilations, output padding,
// group, and pads resolved from pads, auto_pad or output_shape as the ONNX reference resolves them
// (total padding s*(in-1) + output_padding + d*(k-1) + 1 - out, split half to the begin for
// SAME_UPPER and half to the end otherwise); output_shape over symbolic input dims is unsupported.
// The upsampling form (kernel = stride) stays one conv_transpose: its lowering runs it as a GEMM
// that stores straight into the output (ir/ops/conv-transpose-gemm.ts).

import { isStatic } from '../../../../ir/dim.js';
import { AUTO_PADS } from '../../../../ir/ops/attrs.js';
import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';


/** kernel_shape, else the weight's spatial dims where static (NaN where symbolic). */
function kernelOf(ctx: ConvertCtx, w: Value): number[] {
  if (ctx.attrs.has('kernel_shape')) return ctx.attrs.ints('kernel_shape');
  return w.type.shape.slice(2).map((d) => (isStatic(d) ? d : NaN));
}

function listAttr(ctx: ConvertCtx, name: string, n: number, dflt: number, min: number): number[] {
  const v = ctx.attrs.ints(name, new Array<number>(n).fill(dflt));
  if (v.length !== n) ctx.attrs.fail(name, `has ${v.length} values, expected ${n}`);
  if (v.some((e) => e < min)) ctx.attrs.fail(name, `has a value below ${min} [${v}]`);
  return v;
}

/** Begin/end pads from a total padding: SAME_UPPER puts the smaller half first. */
function split(total: number, upper: boolean): [number, number] {
  const half = Math.floor(total / 2);
  return upper ? [half, total - half] : [total - half, half];
}

function padsOf(ctx: ConvertCtx, x: Value, k: number[], s: number[], d: number[], op: number[]): number[] {
  const n = k.length, autoPad = ctx.attrs.string('auto_pad', 'NOTSET');
  if (!AUTO_PADS.some((p) => p === autoPad)) ctx.attrs.fail('auto_pad', `has unknown value '${autoPad}'`);
  const natural = (i: number, inLen: number) => s[i] * (inLen - 1) + op[i] + d[i] * (k[i] - 1) + 1;
  const begins: number[] = [], ends: number[] = [];
  if ((autoPad !== 'NOTSET' || ctx.attrs.has('output_shape')) && k.some(Number.isNaN)) {
    ctx.unsupported('ConvTranspose auto_pad or output_shape with a symbolic kernel');
  }
  const take = ([b, e]: [number, number]) => { begins.push(b); ends.push(e); };
  if (ctx.attrs.has('output_shape')) {
    const os = ctx.attrs.ints('output_shape').slice(-n);
    if (os.length !== n) ctx.attrs.fail('output_shape', `has fewer than ${n} values`);
    const X = x.type.shape.slice(2);
    if (!X.every(isStatic)) ctx.unsupported('ConvTranspose output_shape with symbolic input dims');
    X.forEach((inLen, i) => take(split(natural(i, inLen as number) - os[i], autoPad === 'SAME_UPPER')));
  } else if (autoPad === 'SAME_UPPER' || autoPad === 'SAME_LOWER') {
    // out = in * s, so the total padding op + d*(k-1) + 1 - s does not depend on the input.
    k.forEach((_, i) => take(split(natural(i, 1) - s[i], autoPad === 'SAME_UPPER')));
  } else if (autoPad === 'VALID') {
    k.forEach(() => take([0, 0]));
  } else {
    return listAttr(ctx, 'pads', 2 * n, 0, 0);
  }
  return [...begins, ...ends];
}

function convTranspose(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0), w = ctx.input(1);
  const kernel = kernelOf(ctx, w), n = kernel.length;
  if (n !== ctx.rank(x) - 2) ctx.attrs.fail('kernel_shape', `has ${n} dims for input rank ${ctx.rank(x)}`);
  const strides = listAttr(ctx, 'strides', n, 1, 1), dilations = listAttr(ctx, 'dilations', n, 1, 1);
  const outputPadding = listAttr(ctx, 'output_padding', n, 0, 0);
  outputPadding.forEach((p, i) => {
    if (p >= Math.max(strides[i], dilations[i])) {
      ctx.attrs.fail('output_padding', `value ${p} must be below the stride or dilation`);
    }
  });
  const group = ctx.attrs.int('group', 1);
  if (group <= 0) ctx.attrs.fail('group', `must be positive, got ${group}`);
  const pads = padsOf(ctx, x, kernel, strides, dilations, outputPadding);
  const known: Record<string, number[]> = kernel.some(Number.isNaN) ? {} : { kernel };
  return ctx.result('conv_transpose', [x, w, ctx.optInput(2)],
    { ...known, strides, dilations, pads, outputPadding, group });
}

export const CONV_TRANSPOSE_ROWS: readonly ConverterRow[] = [
  row('ConvTranspose', ['conv_transpose'], convTranspose),
];
