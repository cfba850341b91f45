// Converters for the training losses: NegativeLogLikelihoodLoss (-> nll_loss) and
// SoftmaxCrossEntropyLoss (-> log_softmax over axis 1, then nll_loss; the optional second output
// is the log-probabilities). Requires: ir/ops/loss.ts, the log_softmax of ir/ops/norm.ts.
// Guarantees: reduction and ignore_index are read through nll_loss's declared schema.

import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

const NLL_NAMES = { reduction: 'reduction', ignoreIndex: 'ignore_index' };

function nll(ctx: ConvertCtx): Value[] {
  return ctx.resultFrom('nll_loss', [ctx.input(0), ctx.input(1), ctx.optInput(2)], NLL_NAMES);
}

function softmaxCrossEntropy(ctx: ConvertCtx): Value[] {
  const [logp] = ctx.emit('log_softmax', [ctx.input(0)], { axis: 1 }, [ctx.outputNames[1] ?? '']);
  const [loss] = ctx.resultFrom('nll_loss', [logp, ctx.input(1), ctx.optInput(2)], NLL_NAMES);
  return ctx.outputNames.length > 1 ? [loss, logp] : [loss];
}

export const LOSS_ROWS: readonly ConverterRow[] = [
  row('NegativeLogLikelihoodLoss', ['nll_loss'], nll, 12),
  row('SoftmaxCrossEntropyLoss', ['log_softmax', 'nll_loss'], softmaxCrossEntropy, 12),
];
