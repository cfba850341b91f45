// Converters for elementwise ONNX ops: unary math and activations, binary arithmetic and
// comparisons with numpy broadcasting, variadic Sum/Max/Min/Mean as chains, Clip, Cast, Where,
// Identity, inference-mode Dropout, Gelu, IsInf and BitShift. Requires: the kestrel elementwise
// ops, whose declarations hold every attribute default and check. Guarantees: converters only map
// ONNX names and inputs onto those ops.

import { constValues, makeConst } from '../../../../ir/const.js';
import { isStatic } from '../../../../ir/dim.js';
import { dtypeFromOnnx } from '../../../../ir/dtype.js';
import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';
import { Codes } from '../../../diagnostics.js';

const UNARY: readonly (readonly [string, string])[] = [
  ['Relu', 'relu'], ['Sigmoid', 'sigmoid'], ['Tanh', 'tanh'], ['Exp', 'exp'], ['Log', 'log'],
  ['Sqrt', 'sqrt'], ['Abs', 'abs'], ['Neg', 'neg'], ['Erf', 'erf'], ['Floor', 'floor'],
  ['Ceil', 'ceil'], ['Round', 'round'], ['Reciprocal', 'reciprocal'], ['Not', 'not'], ['Sin', 'sin'],
  ['Cos', 'cos'], ['Softplus', 'softplus'], ['Sign', 'sign'], ['HardSwish', 'hard_swish'], ['Mish', 'mish'],
  ['Softsign', 'softsign'], ['Tan', 'tan'], ['Asin', 'asin'], ['Acos', 'acos'], ['Atan', 'atan'],
  ['Sinh', 'sinh'], ['Cosh', 'cosh'], ['Asinh', 'asinh'], ['Acosh', 'acosh'], ['Atanh', 'atanh'],
  ['IsNaN', 'isnan'], ['BitwiseNot', 'not'],
];

const BINARY: readonly (readonly [string, string])[] = [
  ['Add', 'add'], ['Sub', 'sub'], ['Mul', 'mul'], ['Div', 'div'], ['Pow', 'pow'], ['Equal', 'equal'],
  ['Less', 'less'], ['LessOrEqual', 'less_or_equal'], ['Greater', 'greater'],
  ['GreaterOrEqual', 'greater_or_equal'], ['And', 'and'], ['Or', 'or'], ['Xor', 'xor'],
  ['BitwiseAnd', 'and'], ['BitwiseOr', 'or'], ['BitwiseXor', 'xor'],
];

/**
 * Ops with attributes: ONNX name, kestrel name, the attributes (same names in ONNX and kestrel;
 * their kinds, defaults and checks are declared with the op in ir/ops/elementwise.ts).
 */
const WITH_ATTRS: readonly (readonly [string, string, readonly string[]])[] = [
  ['LeakyRelu', 'leaky_relu', ['alpha']], ['Elu', 'elu', ['alpha']],
  ['HardSigmoid', 'hard_sigmoid', ['alpha', 'beta']], ['Selu', 'selu', ['alpha', 'gamma']],
  ['Celu', 'celu', ['alpha']], ['Swish', 'swish', ['alpha']],
  ['ThresholdedRelu', 'thresholded_relu', ['alpha']],
  ['Shrink', 'shrink', ['bias', 'lambd']], ['Gelu', 'gelu', ['approximate']],
  ['IsInf', 'isinf', ['detect_positive', 'detect_negative']], ['BitShift', 'bit_shift', ['direction']],
  ['Mod', 'mod', ['fmod']],
];

function unary(op: string) {
  return (ctx: ConvertCtx) => ctx.result(op, [ctx.input(0)], {});
}

/** Ops whose ONNX attributes map one to one onto the declared ones (unary or binary). */
function withAttrs(op: string, names: readonly string[]) {
  const map = Object.fromEntries(names.map((n) => [n, n]));
  return (ctx: ConvertCtx) => ctx.resultFrom(op, ctx.inputs.length > 1 ? [ctx.input(0), ctx.input(1)]
    : [ctx.input(0)], map);
}

/**
 * PRelu: from opset 7 slope broadcasts to X unidirectionally (numpy broadcasting then gives X's
 * shape). Before, a 1-D slope of X's channel count applies along axis 1, as onnxruntime reads it:
 * it is reshaped to [C, 1, ..., 1].
 */
function prelu(ctx: ConvertCtx): Value[] {
  const [x, slope] = [ctx.input(0), ctx.input(1)];
  const [xs, ss] = [x.type.shape, slope.type.shape];
  const c = ss[0];
  // A length other than C then fails to broadcast against X (at compile or at run time).
  if (ctx.opset >= 7 || ss.length !== 1 || xs.length <= 2 || !isStatic(c) || c === 1) {
    return ctx.result('prelu', [x, slope], {});
  }
  const dims = [c, ...new Array<number>(xs.length - 2).fill(1)];
  const shape = ctx.constant(makeConst('int64', [dims.length], dims), 'prelu_slope_shape');
  const s = ctx.emit('reshape', [slope, shape], { allowzero: 0 })[0]!;
  return ctx.result('prelu', [x, s], {});
}

/** Opset < 7 binary ops may carry legacy `broadcast`/`axis`; only suffix broadcasting maps. */
function binary(op: string) {
  return (ctx: ConvertCtx) => {
    if (ctx.opset < 7 && ctx.attrs.int('broadcast', 0) === 1 && ctx.attrs.has('axis')) {
      const a = ctx.input(0), b = ctx.input(1);
      const axis = ctx.axis(ctx.attrs.int('axis'), ctx.rank(a));
      if (axis + ctx.rank(b) !== ctx.rank(a)) ctx.unsupported('legacy broadcast with a non-suffix axis');
    }
    // Equal also compares strings (opset 19), as the VM's string_op (ir/ops/strings.ts).
    const str = op === 'equal' && ctx.input(0).type.dtype === 'string';
    return ctx.result(str ? 'string_equal' : op, [ctx.input(0), ctx.input(1)], {});
  };
}

/** Folds Sum/Max/Min over all inputs into a chain of binary ops; the last takes the output name. */
function chain(ctx: ConvertCtx, op: string, last: boolean): Value {
  const ins = ctx.inputs.filter((v): v is Value => v !== null);
  if (ins.length === 0) ctx.fail(Codes.SHAPE_INFERENCE, 'needs at least one input');
  if (ins.length === 1) return last ? ctx.result('identity', [ins[0]!], {})[0]! : ins[0]!;
  let acc = ins[0]!;
  for (let i = 1; i < ins.length; i++) {
    const final = last && i === ins.length - 1;
    acc = (final ? ctx.result(op, [acc, ins[i]!], {}) : ctx.emit(op, [acc, ins[i]!], {}))[0]!;
  }
  return acc;
}

/** Clip: opset >= 11 takes min/max inputs; older opsets attributes, made into constants. */
function clip(ctx: ConvertCtx): Value[] {
  const x = ctx.input(0);
  if (ctx.opset >= 11) return ctx.result('clip', [x, ctx.optInput(1), ctx.optInput(2)], {});
  const bound = (k: string) => (ctx.attrs.has(k) ? ctx.scalar(x.type.dtype, ctx.attrs.float(k)) : null);
  return ctx.result('clip', [x, bound('min'), bound('max')], {});
}

function cast(ctx: ConvertCtx): Value[] {
  const code = ctx.attrs.int('to');
  const to = dtypeFromOnnx(code);
  if (!to) ctx.unsupported(`Cast to ONNX data type ${code}`);
  return ctx.result('cast', [ctx.input(0)], { to, saturate: ctx.attrs.int('saturate', 1) });
}

/**
 * Dropout at inference, or in training with ratio 0, is identity with its mask all true; training
 * with another known ratio needs onnx's random stream (unsupported); a ratio or flag known only
 * at run time goes to dropout_train, which checks that the run is one of the exact ones.
 */
function dropout(ctx: ConvertCtx): Value[] {
  const training = ctx.optInput(2), ratioIn = ctx.optInput(1);
  const known = (v: Value | null, dflt: number): number | undefined => (v ? (v.data ? constValues(v.data)[0]
    : undefined) : dflt);
  const train = known(training, 0), ratio = known(ratioIn, 0.5);
  if (train !== 0 && ratio !== 0) {
    if (train !== undefined && ratio !== undefined) {
      ctx.unsupported(`Dropout in training mode with ratio ${ratio} (needs onnx's numpy random stream)`);
    }
    const r = ratioIn ?? ctx.scalar('float32', 0.5);
    const [y, mask] = ctx.emit('dropout_train', [ctx.input(0), r, training], {}, ctx.outputNames);
    return ctx.outputNames[1] ? [y!, mask!] : [y!];
  }
  const [y] = ctx.result('identity', [ctx.input(0)], {});
  if (!ctx.outputNames[1]) return [y];
  const [shape] = ctx.emit('shape', [ctx.input(0)], {});
  const value = { dtype: 'bool' as const, shape: [1], bytes: new Uint8Array([1]) };
  return [y, ctx.emit('constant_of_shape', [shape], { value }, [ctx.outputNames[1]])[0]];
}

export const ELEMENTWISE_ROWS: readonly ConverterRow[] = [
  ...UNARY.map(([onnx, op]) => row(onnx, [op], unary(op))),
  ...WITH_ATTRS.map(([onnx, op, names]) => row(onnx, [op], withAttrs(op, names))),
  ...BINARY.map(([onnx, op]) => row(onnx, op === 'equal' ? [op, 'string_equal'] : [op], binary(op))),
  row('PRelu', ['prelu', 'reshape'], prelu),
  row('Sum', ['add', 'identity'], (ctx) => [chain(ctx, 'add', true)]),
  row('Max', ['max', 'identity'], (ctx) => [chain(ctx, 'max', true)]),
  row('Min', ['min', 'identity'], (ctx) => [chain(ctx, 'min', true)]),
  row('Mean', ['mean', 'add', 'div'], (ctx) => ctx.result('mean', ctx.inputs, {})),
  row('Clip', ['clip'], clip),
  row('Cast', ['cast'], cast),
  row('Where', ['where'], (ctx) => ctx.result('where', [ctx.input(0), ctx.input(1), ctx.input(2)], {})),
  row('Identity', ['identity'], (ctx) => ctx.result('identity', [ctx.input(0)], {})),
  row('Dropout', ['identity', 'shape', 'constant_of_shape', 'dropout_train'], dropout),
];
