// Structured control flow: `if`, `loop` and `scan`. Their bodies are Funcs held as attributes;
// the VM program lowering turns them into jumps (compiler/lower/program.ts), and graph passes
// run inside the bodies. Output types: a dim the outer scope cannot know (a branch-dependent
// size, a trip count, a size that changes from one iteration to the next) becomes a fresh symbol,
// bound at run time from the tensor that carries it. Attributes (bodies, scan's counts and
// directions) are declared in CONTROL_ATTRS; the program lowering reads scan's through SCAN_ATTRS.

import { type Dim, dimEq, dimVars, isStatic } from '../dim.js';
import { type Func, isFunc, type TensorType } from '../graph.js';
import { attr, type AttrSpec } from './attr-schema.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';
import { Codes } from '../../compiler/diagnostics.js';

/** A body: a Func only the compiler builds (the ONNX graph attribute, imported). */
const funcAttr = (): AttrSpec<Func> => ({ onnx: 'internal',
  parse: (v, _rank, fail) => (isFunc(v) ? v : fail('is not a body')) });

const IF_ATTRS = { then: funcAttr(), else: funcAttr() };
const LOOP_ATTRS = { body: funcAttr() };
/**
 * Scan (scan axes moved to the front by the frontend): the number of scan inputs (the last ones)
 * and, per scan input and scan output, 1 for reverse order (absent entries: forward).
 */
export const SCAN_ATTRS = {
  body: funcAttr(), numScanInputs: attr.int(undefined, { min: 1 }),
  inputDirections: attr.ints([], { min: 0, max: 1 }), outputDirections: attr.ints([], { min: 0, max: 1 }),
};
/** The unreachable branch's run-time message and output types (JSON), set by the If converter. */
const UNREACHABLE_ATTRS = { message: attr.internal<string>(), types: attr.internal<string>() };

/** Symbols visible in the enclosing scope: those of the node's inputs. */
function outerSymbols(inputs: readonly (TensorType | null)[]): Set<string> {
  const out = new Set<string>();
  for (const t of inputs) for (const d of t?.shape ?? []) for (const s of dimVars(d)) out.add(s);
  return out;
}

/** `t` as seen from outside a body: dims that use body-only symbols become fresh symbols. */
function outward(t: TensorType, outer: ReadonlySet<string>, ctx: InferCtx, hint: string): TensorType {
  const shape = t.shape.map((d, axis): Dim =>
    (isStatic(d) || dimVars(d).every((s) => outer.has(s)) ? d : ctx.fresh(`${hint}_d${axis}`)));
  return { ...wrapping(t), dtype: t.dtype, shape };
}

/** The sequence/optional marks of a type (ir/ops/sequence.ts), which results keep. */
function wrapping(t: TensorType): Partial<TensorType> {
  return { ...(t.sequence ? { sequence: true } : {}), ...(t.unranked ? { unranked: true } : {}),
    ...(t.optional ? { optional: true } : {}) };
}

const ifOp = declareOp({
  name: 'if', traits: ['control'], attrs: IF_ATTRS,
  infer: (inputs, attrs, ctx) => {
    const cond = inputs[0]!;
    if (cond.dtype !== 'bool') ctx.fail(Codes.SHAPE_INFERENCE,
        `if: condition must be bool, got ${cond.dtype}`);
    const [a, b] = [attrs.then, attrs.else];
    if (a.outputs.length !== b.outputs.length) {
      ctx.fail(Codes.SHAPE_INFERENCE,
          `if: branches have ${a.outputs.length} and ${b.outputs.length} outputs`);
    }
    const outer = outerSymbols(inputs);
    return a.outputs.map((va, k) => {
      const [ta, tb] = [va.type, b.outputs[k].type];
      if (ta.dtype !== tb.dtype) ctx.fail(Codes.SHAPE_INFERENCE,
        `if: output ${k} is ${ta.dtype} in one branch, ${tb.dtype} in the other`);
      if (ta.sequence !== tb.sequence) ctx.fail(Codes.SHAPE_INFERENCE,
          `if: output ${k} is a sequence in one branch only`);
      if (ta.sequence && (ta.unranked || tb.unranked || ta.shape.length !== tb.shape.length)) {
        return { ...wrapping(ta), dtype: ta.dtype, shape: [], unranked: true };
      }
      if (ta.shape.length !== tb.shape.length) {
        ctx.fail(Codes.SYMBOLIC_RANK,
          `if: output ${k} has rank ${ta.shape.length} in one branch and ${tb.shape.length} in the other`);
      }
      const shape =
        ta.shape.map((d, axis) => (dimEq(d, tb.shape[axis]) ? d : ctx.fresh(`if_out${k}_d${axis}`)));
      return outward({ ...wrapping(ta), dtype: ta.dtype, shape }, outer, ctx, `if_out${k}`);
    });
  },
});

/** Loop: inputs [trip count | null, condition | null, carried...]; body (i, cond, carried...). */
const loop = declareOp({
  name: 'loop', traits: ['control'], attrs: LOOP_ATTRS,
  infer: (inputs, { body: f }, ctx) => {
    const n = inputs.length - 2;
    if (f.inputs.length !== n + 2 || f.outputs.length < n + 1) {
      ctx.fail(Codes.SHAPE_INFERENCE, `loop: body signature (${f.inputs.length} in, ${f.outputs.length} out) `
        + `does not fit ${n} carried values`);
    }
    const outer = outerSymbols(inputs);
    const carried = f.inputs.slice(2).map((v, k) => outward(v.type, outer, ctx, `loop_v${k}`));
    const trips = ctx.fresh('loop_trips');
    const scans = f.outputs.slice(n + 1).map((v, k) => {
      const e = outward(v.type, outer, ctx, `loop_scan${k}`);
      return { dtype: e.dtype, shape: [trips, ...e.shape] };
    });
    return [...carried, ...scans];
  },
});

/** Scan (axis 0, directions as attributes): inputs [states..., scan inputs...]. */
const scan = declareOp({
  name: 'scan', traits: ['control'], attrs: SCAN_ATTRS,
  infer: (inputs, { body: f, numScanInputs: m }, ctx) => {
    const nStates = inputs.length - m;
    if (nStates < 0 || f.inputs.length !== inputs.length) {
      ctx.fail(Codes.SHAPE_INFERENCE,
          `scan: body takes ${f.inputs.length} inputs, node has ${inputs.length}`);
    }
    const outer = outerSymbols(inputs);
    const length = inputs[nStates]!.shape[0];
    const states = f.inputs.slice(0, nStates).map((v, k) => outward(v.type, outer, ctx, `scan_s${k}`));
    const scans = f.outputs.slice(nStates).map((v, k) => {
      const e = outward(v.type, outer, ctx, `scan_out${k}`);
      return { dtype: e.dtype, shape: [length, ...e.shape] };
    });
    return [...states, ...scans];
  },
});

/**
 * A branch that cannot run with the model's shapes (see the If converter): no inputs, outputs of
 * the types given as JSON in `types`; the VM fails the run with `message` if it is reached.
 */
const unreachable = declareOp({
  name: 'unreachable', traits: ['vm'], attrs: UNREACHABLE_ATTRS,
  infer: (_inputs, a) => JSON.parse(a.types) as TensorType[],
});

export const CONTROL_OPS: readonly OpDef[] = [ifOp, loop, scan, unreachable];
