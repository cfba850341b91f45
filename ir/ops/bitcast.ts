// bitcast (ONNX BitCast, opset 26): the input's bits read as another element type of the same
// width; the shape is unchanged. Requires: ir/tir-build.ts `bitcast`. Guarantees: a target of
// another width fails in infer with KC0402; the lowering is elementwise, so it fuses.

import { ALL_DTYPES, dtypeInfo } from '../dtype.js';
import * as t from '../tir-build.js';
import { attr } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { OpDef } from './registry.js';
import { Codes } from '../../compiler/diagnostics.js';

export const BITCAST_ATTRS = { to: attr.oneOf(ALL_DTYPES, null) };

const bitcast = declareOp({
  name: 'bitcast', traits: ['elementwise'], attrs: BITCAST_ATTRS,
  infer: (inputs, a, ctx) => {
    const x = inputs[0]!;
    const [from, to] = [dtypeInfo(x.dtype).bytes, dtypeInfo(a.to).bytes];
    if (from !== to) ctx.fail(Codes.SHAPE_INFERENCE,
      `bitcast: ${x.dtype} (${from * 8} bits) and ${a.to} (${to * 8} bits) differ in width`);
    return [{ dtype: a.to, shape: x.shape }];
  },
  lower: (ctx, a) => ({ kind: 'compute', at: (idx) => t.bitcast(ctx.inputs[0]!.at(idx), a.to) }),
});

export const BITCAST_OPS: readonly OpDef[] = [bitcast];
