// Numpy-style broadcasting, shared by every multi-input elementwise op: the output shape over
// symbolic dims, the run-time checks for what that shape assumes, and the index map from an
// output position to an input position.

import { type Dim, dimEq, dimMax, isStatic, shapeToString } from '../dim.js';
import type { TensorType } from '../graph.js';
import * as t from '../tir-build.js';
import { imm } from '../tir-build.js';
import type { Expr } from '../tir.js';
import type { TensorAccess } from '../te.js';
import type { CheckOperand, InferCtx } from './registry.js';
import { Codes } from '../../compiler/diagnostics.js';

/**
 * Broadcast result of two dims, or undefined when they are statically incompatible. Where it
 * cannot compare them it assumes what a valid model guarantees; broadcastAssumption states that
 * assumption, which broadcastShapes has the VM check at run time.
 */
export function broadcastDim(a: Dim, b: Dim): Dim | undefined {
  if (a === 1) return b;
  if (b === 1) return a;
  if (dimEq(a, b)) return a;
  if (isStatic(a) && isStatic(b)) return undefined;
  // One side symbolic: it equals the static side at run time, or is 1 (which the clamped
  // broadcast index handles).
  if (isStatic(a)) return a;
  if (isStatic(b)) return b;
  // Both symbolic and different: equal at run time (or one of them 1), so max(a, b) is exact;
  // dimMax simplifies the usual forms (`seq` with `min(seq, 512)` after a Slice is `seq`).
  return dimMax(a, b);
}

/**
 * What broadcastDim assumes of two dims it could not compare, as ShapeCheck pairs (one of them
 * must hold at run time); empty when nothing is assumed.
 */
export function broadcastAssumption(a: Dim, b: Dim): [Dim, Dim][] {
  if (a === 1 || b === 1 || dimEq(a, b) || (isStatic(a) && isStatic(b))) return [];
  if (isStatic(a)) return [[b, 1], [b, a]];
  if (isStatic(b)) return [[a, 1], [a, b]];
  return [[a, b], [a, 1], [b, 1]];
}

/** "$0 and $1", "$0, $1 and $2": operand placeholders for a check message. */
export function operandList(n: number): string {
  const all = Array.from({ length: n }, (_, k) => `$${k}`);
  return n > 1 ? `${all.slice(0, -1).join(', ')} and ${all[n - 1]}` : all.join('');
}

/**
 * The broadcast of `shapes`; dims it cannot compare at compile time become run-time checks
 * (ctx.require) whose message shows `operands` (default: inputs 0, 1, ... in order).
 */
export function broadcastShapes(shapes: readonly (readonly Dim[])[], ctx: InferCtx,
  operands: readonly CheckOperand[] = shapes.map((_, k) => k),
  message = `inputs ${operandList(operands.length)} cannot be broadcast`): Dim[] {
  const rank = Math.max(0, ...shapes.map((s) => s.length));
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    let d: Dim = 1;
    for (const s of shapes) {
      const k = i - (rank - s.length);
      if (k < 0) continue;
      const r = broadcastDim(d, s[k]);
      if (r === undefined) {
        ctx.fail(Codes.SHAPE_INFERENCE,
            `shapes ${shapes.map(shapeToString).join(' and ')} cannot be broadcast`);
      }
      const assumed = broadcastAssumption(d, s[k]);
      if (assumed.length) ctx.require(assumed, message, operands);
      d = r;
    }
    out.push(d);
  }
  return out;
}

/** Output types agree on dtype: all inputs must share one. */
export function sameDType(inputs: readonly (TensorType | null)[], ctx: InferCtx): TensorType['dtype'] {
  const present = inputs.filter((t): t is TensorType => t !== null);
  const d = present[0].dtype;
  for (const t of present) {
    if (t.dtype !== d) ctx.fail(Codes.SHAPE_INFERENCE, `input dtypes differ: ${d} and ${t.dtype}`);
  }
  return d;
}

/**
 * Reads `input` at an output position, broadcasting: leading axes the input lacks are dropped
 * and its static size-1 axes read index 0. A symbolic input extent that is not the output's
 * extent may be 1 at run time, so its index is clamped to extent-1 (0 when it is 1). When nothing
 * broadcasts, the very same index array is passed through (so flat-index shortcuts stay
 * recognisable and loads stay contiguous).
 */
export function broadcastAt(input: TensorAccess, idx: readonly Expr[], outShape?: readonly Expr[]): Expr {
  const r = input.shape.length;
  const lead = idx.length - r;
  let changed = lead !== 0;
  const mapped = input.shape.map((ext, k) => {
    const i = idx[lead + k];
    if (ext.kind === 'const') {
      if (ext.value !== 1 || (i.kind === 'const' && i.value === 0)) return i;
      changed = true;
      return imm(0);
    }
    const out = outShape?.[lead + k];
    if (!out || JSON.stringify(out) === JSON.stringify(ext)) return i;
    changed = true;
    return t.min(i, t.sub(ext, 1));
  });
  return input.at(changed ? mapped : idx);
}

/** The output extents of a lowering as expressions (for broadcastAt). */
export function outExtents(ctx: { outTypes: readonly TensorType[]; dim(d: Dim): Expr }): Expr[] {
  return ctx.outTypes[0].shape.map((d) => ctx.dim(d));
}
