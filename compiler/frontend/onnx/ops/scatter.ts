// Converters for ScatterElements (and Scatter, opsets 9-10, which has no reduction), ScatterND
// and GatherND -> scatter_elements / scatter_nd / gather_nd (ir/ops/scatter.ts); TensorScatter ->
// tensor_scatter (ir/ops/index-maps.ts). Requires: their
// declared schemas. Guarantees: attributes are read through the schemas (axis normalised,
// reduction one of none/add/mul/max/min).

import type { Value } from '../../../../ir/graph.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

const three = (ctx: ConvertCtx) => [ctx.input(0), ctx.input(1), ctx.input(2)];

const scatterElements = (ctx: ConvertCtx): Value[] =>
  ctx.resultFrom('scatter_elements', three(ctx), { axis: 'axis', reduction: 'reduction' });
const scatterLegacy = (ctx: ConvertCtx): Value[] =>
  ctx.resultFrom('scatter_elements', three(ctx), { axis: 'axis' });
const scatterNd = (ctx: ConvertCtx): Value[] =>
  ctx.resultFrom('scatter_nd', three(ctx), { reduction: 'reduction' });
const gatherNd = (ctx: ConvertCtx): Value[] =>
  ctx.resultFrom('gather_nd', [ctx.input(0), ctx.input(1)], { batchDims: 'batch_dims' });

const tensorScatter = (ctx: ConvertCtx): Value[] => ctx.resultFrom('tensor_scatter',
  [ctx.input(0), ctx.input(1), ctx.optInput(2)], { axis: 'axis', mode: 'mode' });

export const SCATTER_ROWS: readonly ConverterRow[] = [
  row('Scatter', ['scatter_elements'], scatterLegacy, 9, 10),
  row('ScatterElements', ['scatter_elements'], scatterElements, 11),
  row('ScatterND', ['scatter_nd'], scatterNd, 11),
  row('GatherND', ['gather_nd'], gatherNd, 11),
  row('TensorScatter', ['tensor_scatter'], tensorScatter, 24),
];
