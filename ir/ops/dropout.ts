// Op record `dropout_train` [x, ratio, training] -> [y, mask]: ONNX Dropout whose ratio or
// training flag is known only at run time. Outside training, or with ratio 0, Dropout is exact
// (y = x, mask all true, whatever the random draws); any other run needs onnx's numpy random
// stream, which kestrel does not reproduce, so the kernel fails with DROPOUT_RANDOM instead of
// returning a different random mask.
// Requires: ratio a float scalar, training a bool scalar. Guarantees: nothing is written before
// the check passes for the element.

import type { TensorType } from '../graph.js';
import { KernelStatus } from '../kernel-status.js';
import { elementLoops } from '../te-loops.js';
import type { LowerCtx, Lowering, TensorAccess } from '../te.js';
import { binary, cast, eq, imm, seq } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { INPUT_MISMATCH } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

function inferDropout(ins: readonly (TensorType | null)[], _a: object, ctx: InferCtx): TensorType[] {
  const x = ins[0]!, ratio = ins[1], training = ins[2];
  if (!ratio || ratio.shape.length !== 0 || ratio.dtype === 'bool') {
    ctx.fail(INPUT_MISMATCH, 'dropout ratio must be a float scalar');
  }
  if (!training || training.shape.length !== 0 || training.dtype !== 'bool') {
    ctx.fail(INPUT_MISMATCH, 'dropout training_mode must be a bool scalar');
  }
  return [{ dtype: x.dtype, shape: x.shape }, { dtype: 'bool', shape: x.shape }];
}

const scalarAt = (a: TensorAccess): Expr => a.at([]);

function lowerDropout(ctx: LowerCtx): Lowering {
  const [x, ratio, training] = ctx.inputs as TensorAccess[];
  const [y, mask] = ctx.outputs;
  const exact = binary('or', eq(cast(scalarAt(training), 'int64'), imm(0)),
    eq(cast(scalarAt(ratio), 'float32'), imm(0, 'float32')));
  const env = { fresh: ctx.fresh, lanes: ctx.target.vectorLanes };
  return { kind: 'kernel', body: elementLoops(env, y.shape, (idx) => seq(
    { kind: 'assert', cond: exact, code: KernelStatus.DROPOUT_RANDOM },
    y.store(idx, x.at(idx)), mask.store(idx, imm(1, 'bool')))) };
}

export const DROPOUT_OPS: readonly OpDef[] = [
  declareOp({ name: 'dropout_train', traits: ['anchor'], attrs: {}, infer: inferDropout,
    lower: lowerDropout }),
];
