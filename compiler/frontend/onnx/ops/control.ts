// Converters for ONNX control flow: If, Loop and Scan. Bodies are imported as Funcs that read
// enclosing values directly. Loop-carried values whose shapes change from one iteration to the
// next are generalised: the body is imported with the initial types, each dim that the body's
// result does not preserve becomes a symbol, and the body is imported again until the types are
// stable. Scan inputs and outputs on axes other than 0 are moved there with transposes, so the
// `scan` op itself only ever slices and stacks along axis 0.

import { type Dim, dimEq, isStatic, sym } from '../../../../ir/dim.js';
import { valuesOf } from '../../../../ir/values.js';
import type { Func, TensorType, Value } from '../../../../ir/graph.js';
import { KestrelError } from '../../../../runtime-vm/errors.js';
import { Codes } from '../../../diagnostics.js';
import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

const I64_SCALAR: TensorType = { dtype: 'int64', shape: [] };
const BOOL_SCALAR: TensorType = { dtype: 'bool', shape: [] };
const MAX_ROUNDS = 4;

const clean = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, '_');

/** `from` widened so that it also describes `to`: dims that differ become symbols. */
function widen(ctx: ConvertCtx, from: TensorType, to: TensorType, k: number): TensorType {
  if (from.dtype !== to.dtype) ctx.fail(Codes.SHAPE_INFERENCE,
    `carried value ${k} changes dtype from ${from.dtype} to ${to.dtype}`);
  if (from.sequence || to.sequence) return widenSequence(ctx, from, to, k);
  if (from.shape.length !== to.shape.length) {
    ctx.fail(Codes.SYMBOLIC_RANK,
        `carried value ${k} changes rank from ${from.shape.length} to ${to.shape.length}`);
  }
  const shape = from.shape.map((d, axis): Dim =>
    (dimEq(d, to.shape[axis]) ? d : sym(`${clean(ctx.node.name)}_c${k}_d${axis}`)));
  return { dtype: from.dtype, shape };
}

/** A carried sequence's elements may change rank (an empty sequence grows): it becomes unranked. */
function widenSequence(ctx: ConvertCtx, from: TensorType, to: TensorType, k: number): TensorType {
  if (!from.sequence || !to.sequence) ctx.fail(Codes.SHAPE_INFERENCE,
      `carried value ${k} is a sequence on one side only`);
  if (from.unranked || to.unranked || from.shape.length !== to.shape.length) {
    return { dtype: from.dtype, shape: [], sequence: true, unranked: true };
  }
  const shape = from.shape.map((d, axis): Dim =>
    (dimEq(d, to.shape[axis]) ? d : sym(`${clean(ctx.node.name)}_c${k}_e${axis}`)));
  return { dtype: from.dtype, shape, sequence: true };
}

const sameTypes = (a: readonly TensorType[], b: readonly TensorType[]): boolean =>
  a.every((t, k) => !!t.unranked === !!b[k].unranked && t.shape.length === b[k].shape.length
    && t.shape.every((d, i) => dimEq(d, b[k].shape[i])));

/**
 * Imports a body whose inputs are `fixed` followed by the carried values, widening the carried
 * types until the body maps them onto themselves. Carried results start at output `firstOut`.
 */
function carriedBody(ctx: ConvertCtx, attr: string, fixed: readonly TensorType[],
  initial: readonly TensorType[],
  firstOut: number, extra: readonly TensorType[] = []): Func {
  let carried = initial;
  for (let round = 0; ; round++) {
    const f = ctx.subgraph(attr, [...fixed, ...carried, ...extra]);
    const results = f.outputs.slice(firstOut, firstOut + carried.length).map((v) => v.type);
    if (results.length !== carried.length) ctx.fail(Codes.SHAPE_INFERENCE,
      `body returns ${results.length} of ${carried.length} carried values`);
    const next = carried.map((t, k) => widen(ctx, t, results[k], k));
    if (sameTypes(next, carried)) return f;
    if (round === MAX_ROUNDS) ctx.fail(Codes.SYMBOLIC_RANK, 'carried shapes did not settle');
    carried = next;
  }
}

function ifConvert(ctx: ConvertCtx): (Value | null)[] {
  // A condition known at compile time (often computed from shapes) selects its branch now; the
  // other branch is never imported, so code that only makes sense for other shapes is ignored.
  const known = valuesOf(ctx.input(0));
  if (known && known.length === 1 && isStatic(known[0])) {
    return ctx.inline(ctx.subgraph(known[0] !== 0 ? 'then_branch' : 'else_branch', []));
  }
  const [then, otherwise] = [tryBranch(ctx, 'then_branch'), tryBranch(ctx, 'else_branch')];
  if (then instanceof KestrelError && otherwise instanceof KestrelError) throw then;
  return ctx.result('if', [ctx.input(0)], {
    then: then instanceof KestrelError ? unreachable(ctx, then, otherwise as Func) : then,
    else: otherwise instanceof KestrelError ? unreachable(ctx, otherwise, then as Func) : otherwise,
  });
}

/** A branch, or the shape error that makes it impossible for the shapes this model can have. */
function tryBranch(ctx: ConvertCtx, attr: string): Func | KestrelError {
  try {
    return ctx.subgraph(attr, []);
  } catch (e) {
    if (e instanceof KestrelError
      && (e.code === Codes.SHAPE_INFERENCE || e.code === Codes.ATTRIBUTE)) return e;
    throw e;
  }
}

/**
 * Exporters guard shape-specific code with If on a shape test; with symbolic shapes both branches
 * are compiled, and the one written for other shapes may not type-check. It becomes a branch
 * that fails the run, with the compile error as its message, should it ever be taken.
 */
function unreachable(ctx: ConvertCtx, why: KestrelError, other: Func): Func {
  const types = other.outputs.map((v) => v.type);
  const [node] = ctx.emitDetached('unreachable', [], { message: why.message, types: JSON.stringify(types) });
  return Object.freeze({ name: 'unreachable', inputs: [], outputs: node.outputs, nodes: [node] });
}

function loopConvert(ctx: ConvertCtx): (Value | null)[] {
  const carried = ctx.inputs.slice(2).map((_, i) => ctx.input(i + 2));
  const body = carriedBody(ctx, 'body', [I64_SCALAR, BOOL_SCALAR], carried.map((v) => v.type), 1);
  return ctx.result('loop', [ctx.optInput(0), ctx.optInput(1), ...carried], { body });
}

/** Permutation moving axis `a` of a rank-`r` tensor to the front (or back from it). */
function toFront(a: number, r: number): number[] {
  return [a, ...[...Array(r).keys()].filter((i) => i !== a)];
}
function fromFront(a: number, r: number): number[] {
  const p = [...Array(r).keys()].slice(1);
  p.splice(a, 0, 0);
  return p;
}

function scanConvert(ctx: ConvertCtx): (Value | null)[] {
  const m = ctx.attrs.int('num_scan_inputs');
  const ins = ctx.inputs.map((_, i) => ctx.input(i));
  const nStates = ins.length - m;
  if (m < 1 || nStates < 0) ctx.attrs.fail('num_scan_inputs', `is ${m} for ${ins.length} inputs`);
  const inAxes = ctx.attrs.ints('scan_input_axes', Array(m).fill(0));
  const scans = ins.slice(nStates).map((v, k) => {
    const a = ctx.axis(inAxes[k] ?? 0, ctx.rank(v), 'scan_input_axes');
    return a === 0 ? v : ctx.emit('transpose', [v], { perm: toFront(a, ctx.rank(v)) })[0];
  });
  const elems = scans.map((v) => ({ dtype: v.type.dtype, shape: v.type.shape.slice(1) }));
  const states = ins.slice(0, nStates);
  const body = carriedBody(ctx, 'body', [], states.map((v) => v.type), 0, elems);
  const outs = ctx.resultFrom('scan', [...states, ...scans], {
    numScanInputs: 'num_scan_inputs', inputDirections: 'scan_input_directions',
    outputDirections: 'scan_output_directions',
  }, { body });
  const outAxes = ctx.attrs.ints('scan_output_axes', []);
  return outs.map((v, k) => {
    if (k < nStates) return v;
    const r = ctx.rank(v);
    const a = outAxes[k - nStates] === undefined ? 0 : ctx.axis(outAxes[k - nStates], r, 'scan_output_axes');
    return a === 0 ? v : ctx.emit('transpose', [v], { perm: fromFront(a, r) }, [ctx.outputNames[k]])[0];
  });
}

export const CONTROL_ROWS: readonly ConverterRow[] = [
  row('If', ['if'], ifConvert),
  row('Loop', ['loop'], loopConvert),
  row('Scan', ['scan', 'transpose'], scanConvert, 9),
];
