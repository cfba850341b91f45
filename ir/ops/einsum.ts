// Op record for `einsum {equation}` [x1..xk] (ONNX Einsum): the sum over the letters the output
// leaves out of the product of the operands, each indexed by its subscripts.
// Requires: an equation `subs,subs,...[->subs]` of letters (a-z, A-Z) and at most one `...` per
// term; one subscript term per operand, as many letters as its rank (minus the ellipsis dims).
// Guarantees: numpy's rules: without `->` the output is the ellipsis dims, then the letters that
// appear exactly once, alphabetically (upper case first); a letter repeated in one operand takes
// its diagonal; dims of one letter must agree; the ellipsis dims of the operands broadcast
// (right-aligned, 1 against anything). Sums accumulate in float32 (float64 for float64, int64 for
// integers). Bad equations fail with KC0401, disagreeing dims with KC0402.
//
// Schedule: one kernel, parallel over the output elements, each a serial loop over the flattened
// summed letters. No knobs (generic family); a contraction of the matmul form would be faster
// through matmul, which this op does not yet route to.

import { type Dim, dimEq, isStatic } from '../dim.js';
import { type DType, isFloat } from '../dtype.js';
import type { TensorType } from '../graph.js';
import type { LowerCtx, Lowering } from '../te.js';
import { add, alloc, cast, eq, imm, load, loop, mul, select, seq, store, unflatten } from '../tir-build.js';
import type { Expr } from '../tir.js';
import { attr, type AttrValues } from './attr-schema.js';
import { ATTR_RANGE, checkBroadcastTo, checkDimEq, INPUT_MISMATCH, prodExpr } from './attrs.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';

const EINSUM_ATTRS = { equation: attr.string() };
type EinsumAttrs = AttrValues<typeof EINSUM_ATTRS>;

/** One subscript term: its letters, with '.' standing for the ellipsis (at most once). */
type Term = readonly string[];

export interface Equation { readonly inputs: readonly Term[]; readonly output: Term }

const ELLIPSIS = '.';

function parseTerm(t: string, fail: (m: string) => never): Term {
  const s = t.trim();
  const dots = s.split('...').length - 1;
  if (dots > 1) fail(`term '${s}' has more than one ellipsis`);
  const out: string[] = [];
  for (const ch of s.replace('...', ELLIPSIS)) {
    if (ch === ELLIPSIS || /^[A-Za-z]$/.test(ch)) out.push(ch);
    else if (ch !== ' ') fail(`term '${s}' has an invalid character '${ch}'`);
  }
  return out;
}

/** Parses `equation` (numpy's implicit output when there is no '->'). */
export function parseEquation(eq0: string, fail: (m: string) => never): Equation {
  const [lhs, rhs, extra] = eq0.split('->');
  if (extra !== undefined) fail(`equation '${eq0}' has more than one '->'`);
  const inputs = lhs.split(',').map((t) => parseTerm(t, fail));
  if (rhs !== undefined) {
    const output = parseTerm(rhs, fail);
    const seen = new Set<string>();
    for (const l of output) {
      if (seen.has(l)) fail(`output letter '${l}' is repeated`);
      seen.add(l);
      if (!inputs.some((t) => t.includes(l))) fail(`output letter '${l}' appears in no operand`);
    }
    return { inputs, output };
  }
  const count = new Map<string, number>();
  for (const t of inputs) for (const l of t) if (l !== ELLIPSIS) count.set(l, (count.get(l) ?? 0) + 1);
  const once = [...count].filter(([, n]) => n === 1).map(([l]) => l).sort();
  return { inputs, output: inputs.some((t) => t.includes(ELLIPSIS)) ? [ELLIPSIS, ...once] : once };
}

interface Plan {
  readonly eq: Equation;
  /** Rank of the broadcast ellipsis. */
  readonly ell: number;
}

function plan(ins: readonly (TensorType | null)[], a: EinsumAttrs, ctx: InferCtx): Plan & {
  letters: Map<string, Dim>; ellDims: Dim[];
} {
  const eq0 = parseEquation(a.equation, (m) => ctx.fail(ATTR_RANGE, `attribute 'equation' ${m}`));
  if (eq0.inputs.length !== ins.length) {
    ctx.fail(ATTR_RANGE, `attribute 'equation' has ${eq0.inputs.length} terms for ${ins.length} operands`);
  }
  const letters = new Map<string, Dim>();
  let ell = 0;
  const ranks = ins.map((t, i) => {
    if (!t) return ctx.fail(INPUT_MISMATCH, `operand ${i} is missing`);
    const named = eq0.inputs[i].filter((l) => l !== ELLIPSIS).length;
    const has = eq0.inputs[i].includes(ELLIPSIS);
    if (t.shape.length < named || (!has && t.shape.length !== named)) {
      const term = eq0.inputs[i].join('').replace(ELLIPSIS, '...');
      ctx.fail(INPUT_MISMATCH, `operand ${i} has rank ${t.shape.length} for the term '${term}'`);
    }
    ell = Math.max(ell, has ? t.shape.length - named : 0);
    return t.shape.length - named;
  });
  const ellDims: Dim[] = new Array<Dim>(ell).fill(1);
  ins.forEach((t, i) => {
    let k = 0;
    for (const l of eq0.inputs[i]) {
      if (l === ELLIPSIS) {
        const e = ranks[i];
        for (let q = 0; q < e; q++) {
          const d = t!.shape[k + q], slot = ell - e + q;
          if (ellDims[slot] === 1) ellDims[slot] = d;
          else if (!(isStatic(d) && d === 1)) {
            checkBroadcastTo(d, ellDims[slot], `ellipsis dim ${slot}`, ctx, [i]);
          }
        }
        k += e;
        continue;
      }
      const d = t!.shape[k++], known = letters.get(l);
      if (known === undefined) letters.set(l, d);
      else if (!dimEq(known, d)) checkDimEq(d, known, `dims of letter '${l}'`, ctx, [i]);
    }
  });
  if (!eq0.output.includes(ELLIPSIS) && ellDims.some((d) => !(isStatic(d) && d === 1))) {
    ctx.fail(ATTR_RANGE, `attribute 'equation' drops the ellipsis dims from the output`);
  }
  return { eq: eq0, ell, letters, ellDims };
}

function accType(dt: DType): DType {
  if (dt === 'float64') return 'float64';
  return isFloat(dt) ? 'float32' : 'int64';
}

function inferEinsum(ins: readonly (TensorType | null)[], a: EinsumAttrs, ctx: InferCtx): TensorType[] {
  const p = plan(ins, a, ctx);
  const dtype = ins[0]!.dtype;
  if (ins.some((t) => t!.dtype !== dtype)) ctx.fail(INPUT_MISMATCH, 'einsum operands must share one dtype');
  const shape = p.eq.output.flatMap((l) => (l === ELLIPSIS ? p.ellDims : [p.letters.get(l)!]));
  return [{ dtype, shape }];
}

function lowerEinsum(ctx: LowerCtx, a: EinsumAttrs): Lowering {
  const eq0 = parseEquation(a.equation, (m) => { throw new Error(`internal: einsum equation ${m}`); });
  const ins = ctx.inputs.map((t) => t!), out = ctx.outputs[0];
  const named = eq0.inputs.map((t) => t.filter((l) => l !== ELLIPSIS).length);
  const ranks = ins.map((t, i) => t.shape.length - named[i]);
  const ell = Math.max(0, ...ranks.filter((_, i) => eq0.inputs[i].includes(ELLIPSIS)));
  // Extent of each letter (from its first operand) and of each ellipsis slot (its output dim).
  const extent = new Map<string, Expr>();
  ins.forEach((t, i) => {
    let k = 0;
    for (const l of eq0.inputs[i]) {
      if (l === ELLIPSIS) { k += ranks[i]; continue; }
      if (!extent.has(l)) extent.set(l, t.shape[k]);
      k++;
    }
  });
  const outLetters = eq0.output;
  const summed = [...extent.keys()].filter((l) => !outLetters.includes(l));
  const acc = accType(out.dtype);
  const [p, s] = [ctx.fresh('p'), ctx.fresh('s')];
  const cell = ctx.scratch('acc', acc);
  const outCoords = unflatten(p, out.shape);
  const sumCoords = unflatten(s, summed.map((l) => extent.get(l)!));
  const coordOf = new Map<string, Expr>();
  const ellCoords: Expr[] = [];
  let k = 0;
  for (const l of outLetters) {
    if (l === ELLIPSIS) { for (let q = 0; q < ell; q++) ellCoords.push(outCoords[k++]); }
    else coordOf.set(l, outCoords[k++]);
  }
  summed.forEach((l, q) => coordOf.set(l, sumCoords[q]));
  const term = ins.map((t, i) => {
    const idx: Expr[] = [];
    let axis = 0;
    for (const l of eq0.inputs[i]) {
      if (l === ELLIPSIS) {
        for (let q = 0; q < ranks[i]; q++) {
          const d = t.shape[axis++], c = ellCoords[ell - ranks[i] + q];
          idx.push(select(eq(d, 1), imm(0), c)); // a broadcast dim of 1
        }
      } else { idx.push(coordOf.get(l)!); axis++; }
    }
    return cast(t.at(idx), acc);
  }).reduce((x, y) => mul(x, y));
  const body = alloc(cell, 1, seq(
    store(cell, 0, imm(0, acc)),
    loop(s, prodExpr(summed.map((l) => extent.get(l)!)), store(cell, 0, add(load(cell, 0), term))),
    out.store(outCoords, cast(load(cell, 0), out.dtype)),
  ));
  return { kind: 'kernel', body: loop(p, prodExpr(out.shape), body, 'parallel') };
}

export const EINSUM_OPS: readonly OpDef[] = [
  declareOp({ name: 'einsum', traits: ['opaque'], attrs: EINSUM_ATTRS, infer: inferEinsum,
    lower: lowerEinsum }),
];
