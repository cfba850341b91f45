// Turns what an op's shape relation assumes (InferCtx.require) into the ShapeChecks a node
// carries, in ONNX terms: the message names the ONNX node (name and op type) and shows each
// operand as `'tensor name' [dims]`, with `{}` where the VM fills in a dim seen at run time.
// Guarantees: checks that hold at compile time are dropped; one that can never hold is a
// compile-time KC0402 naming the node.

import { type Dim, dimEq, dimKey, isStatic } from '../../../ir/dim.js';
import type { ShapeCheck, Value } from '../../../ir/graph.js';
import type { CheckOperand } from '../../../ir/ops/registry.js';
import { Codes, describe, fail, type Where } from '../../diagnostics.js';

export interface CheckRequest {
  readonly anyOf: readonly (readonly [Dim, Dim])[];
  readonly message: string;
  readonly operands: readonly CheckOperand[];
  readonly dims: readonly Dim[];
}

/** `{}` in a tensor name would read as a placeholder: the VM replaces only the exact pair. */
const quoteName = (name: string): string => `'${name.replaceAll('{}', '{ }')}'`;

/** The message with operands and dims rendered; `show` renders one dim. */
function render(r: CheckRequest, ins: readonly (Value | null)[], show: (d: Dim) => string): string {
  const operand = (o: CheckOperand | undefined): string => {
    if (o === undefined) return '?';
    const i = typeof o === 'number' ? o : o.input;
    const v = ins[i];
    const dims = typeof o === 'number' ? v?.type.shape ?? [] : o.dims;
    return `${v ? quoteName(v.name) : `input ${i}`} [${dims.map(show).join(',')}]`;
  };
  return r.message.replace(/\$(\d+)|%(\d+)/g, (_m, o: string | undefined, d: string | undefined) =>
    (o !== undefined ? operand(r.operands[Number(o)]) : show(r.dims[Number(d)] ?? 0)));
}

/** The node's ShapeCheck for one request, or undefined when it holds at compile time. */
export function shapeCheck(r: CheckRequest, ins: readonly (Value | null)[],
  where: Where): ShapeCheck | undefined {
  if (r.anyOf.some(([a, b]) => dimEq(a, b))) return undefined;
  const anyOf = r.anyOf.filter(([a, b]) => !(isStatic(a) && isStatic(b)));
  if (anyOf.length === 0) {
    return fail(Codes.SHAPE_INFERENCE, render(r, ins, (d) => (isStatic(d) ? String(d) : dimKey(d))), where);
  }
  const args: Dim[] = [];
  const message = describe(where) + render(r, ins, (d) => {
    if (isStatic(d)) return String(d);
    args.push(d);
    return '{}';
  });
  const pairs = Object.freeze(anyOf.map((p) => Object.freeze([p[0], p[1]] as const)));
  return Object.freeze({ anyOf: pairs, message, args: Object.freeze(args) });
}

