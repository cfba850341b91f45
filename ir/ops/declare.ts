// Typed op declarations: `declareOp` turns one declaration — name, traits, attribute schema
// (ir/ops/attr-schema.ts), and infer/fold/lower functions that read typed attribute values — into
// the registry's OpDef. Instead of a lowering, a declaration may give a decomposition into other
// ops (expanded when the frontend emits the node, so the graph never holds the op) or a VM-builtin
// binding (trait 'vm': the node runs as one VM instruction whose operands the binding names).
// Requires: the schema lists every attribute the op's node may carry.
// Guarantees: infer, fold and lower always see validated values with the declared defaults and
// normalised axes; an undeclared attribute (a misspelling) or an invalid one fails in infer with
// KC0401 naming the attribute; lower and fold re-read what infer already checked, so a failure
// there is an internal error.

import type { Attrs, ConstData, TensorType } from '../graph.js';
import type { Decompose, Decomposition, VmBinding } from './bindings.js';
import type { LowerCtx, Lowering } from '../te.js';
import {
  canonicalAttrs, readAttrs, type AttrFail, type AttrSchema, type AttrValues, type RankOf,
} from './attr-schema.js';
import type { InferCtx, OpDef, Trait } from './registry.js';
import { Codes } from '../../compiler/diagnostics.js';


export interface OpDecl<S extends AttrSchema> {
  readonly name: string;
  readonly traits: readonly Trait[];
  /** The schedule family whose knobs `lower` reads (see OpDef.schedule). */
  readonly schedule?: string;
  readonly attrs: S;
  /** Relations between attributes and input ranks that no single attribute can check. */
  readonly check?: (a: AttrValues<S>, rank: RankOf, fail: AttrFail) => void;
  /** Required unless the op is decomposed (a decomposed op's node is never inferred). */
  infer?(ins: readonly (TensorType | null)[], a: AttrValues<S>, ctx: InferCtx): TensorType[];
  /** The op written as other ops; then it needs no infer, fold or lower (bindings.ts). */
  decompose?: Decompose<AttrValues<S>>;
  /** The VM instruction a node of this 'vm' op runs as (bindings.ts). */
  vm?: VmBinding;
  fold?(ins: readonly (ConstData | null)[], a: AttrValues<S>, outTypes: readonly TensorType[]):
    ConstData[] | undefined;
  lower?(ctx: LowerCtx, a: AttrValues<S>): Lowering;
}

const ranksOf = (types: readonly ({ readonly shape: readonly unknown[] } | null | undefined)[]): RankOf =>
  (i) => types[i]?.shape.length;

const internalFail = (op: string): AttrFail => (name, message) => {
  throw new Error(`internal: attribute '${name}' of ${op} ${message} (infer should have caught it)`);
};

/** The registry record of a typed declaration. */
export function declareOp<S extends AttrSchema>(d: OpDecl<S>): OpDef {
  const read = (attrs: Attrs, rank: RankOf, fail: AttrFail): AttrValues<S> => {
    const a = readAttrs(d.attrs, attrs, rank, fail);
    d.check?.(a, rank, fail);
    return a;
  };
  const { lower, fold, decompose } = d;
  const infer = d.infer ?? ((): never => {
    throw new Error(`internal: op '${d.name}' is decomposed when emitted and has no type relation`);
  });
  if (!d.infer && !decompose) {
    throw new Error(`internal: op '${d.name}' declares neither infer nor decompose`);
  }
  const decomposition: Decomposition | undefined = decompose && ((b, ins) => {
    const fail: AttrFail = (name, m) => b.fail(Codes.ATTRIBUTE, `attribute '${name}' ${m}`);
    return decompose(b, ins, read(b.attrs, ranksOf(ins.map((v) => v?.type)), fail));
  });
  return Object.freeze({
    name: d.name,
    traits: Object.freeze([...d.traits]),
    ...(d.schedule ? { schedule: d.schedule } : {}),
    ...(decomposition ? { decompose: decomposition } : {}),
    ...(d.vm ? { vm: Object.freeze(d.vm) } : {}),
    attrSchema: d.attrs,
    canonicalAttrs(attrs: Attrs, rank: RankOf, fail: AttrFail): Attrs {
      read(attrs, rank, fail);
      return canonicalAttrs(d.attrs, attrs, rank, fail);
    },
    infer(ins: readonly (TensorType | null)[], attrs: Attrs, ctx: InferCtx): TensorType[] {
      const fail: AttrFail = (name, m) => ctx.fail(Codes.ATTRIBUTE, `attribute '${name}' ${m}`);
      return infer(ins, read(attrs, ranksOf(ins), fail), ctx);
    },
    ...(fold ? {
      fold: (ins: readonly (ConstData | null)[], attrs: Attrs, outTypes: readonly TensorType[]) =>
        fold(ins, read(attrs, ranksOf(ins), internalFail(d.name)), outTypes),
    } : {}),
    ...(lower ? {
      lower: (ctx: LowerCtx) => lower(ctx, read(ctx.attrs, ranksOf(ctx.inTypes), internalFail(d.name))),
    } : {}),
  });
}

/**
 * A graph node's attributes read by its op's schema, for passes that need them (fold-batchnorm
 * reads batch_norm's epsilon): the declared defaults apply; invalid values are internal errors.
 */
export function nodeAttrs<S extends AttrSchema>(schema: S, node: {
  readonly op: string; readonly attrs: Attrs;
  readonly inputs: readonly ({ readonly type: TensorType } | null)[];
}): AttrValues<S> {
  return readAttrs(schema, node.attrs, (i) => node.inputs[i]?.type.shape.length, internalFail(node.op));
}
