// The conversion context handed to ONNX converters: typed access to the ONNX node's inputs and
// attributes, and `emit`, which creates kestrel nodes after checking their types with the op's
// `infer`. Requires: ops registered in ir/ops/registry.ts. Guarantees: every node emitted has
// complete output types and an `origin` naming the ONNX node; infer failures become KestrelErrors
// (KC0402) naming the ONNX node name and op type; an unregistered op raises `UnsupportedOp`;
// a declared op's attributes are stored complete and validated (its schema's defaults, axes
// normalised), and an invalid one fails with KC0401 naming the ONNX attribute.

import { byteSize, type DType } from '../../../ir/dtype.js';
import { checkKey, makeValue, type Attrs, type ConstData, type Func, type IdGen, type Node, type ShapeCheck,
  type TensorType, type Value } from '../../../ir/graph.js';
import type { GraphMsg } from './schema.js';
import { getOp } from '../../../ir/ops/index.js';
import type { InferCtx, OpDef } from '../../../ir/ops/registry.js';
import type { DecomposeBuilder } from '../../../ir/ops/bindings.js';
import { normaliseAxis, type AttrSpec } from '../../../ir/ops/attr-schema.js';
import { valuesOf } from '../../../ir/values.js';
import { sym } from '../../../ir/dim.js';
import { KestrelError } from '../../../runtime-vm/errors.js';
import { Codes, fail, type Code, type Where } from '../../diagnostics.js';
import type { AttrReader } from './attributes.js';
import { shapeCheck } from './shape-checks.js';

/** Thrown by converters (through ctx.unsupported) for ops or op forms kestrel cannot convert. */
export class UnsupportedOp extends Error {
  constructor(readonly reason: string) { super(reason); }
}

export interface OnnxNodeInfo {
  readonly name: string;
  readonly opType: string;
  readonly domain: string;
}

export interface ConvertCtx {
  readonly node: OnnxNodeInfo;
  readonly opset: number;
  readonly attrs: AttrReader;
  /** ONNX inputs in order; null where ONNX leaves an optional input empty. */
  readonly inputs: readonly (Value | null)[];
  /** ONNX output names in order; '' where an optional output is not requested. */
  readonly outputNames: readonly string[];
  input(i: number): Value;
  optInput(i: number): Value | null;
  /** Compile-time data of input i when it is a constant. */
  constInput(i: number): ConstData | undefined;
  rank(v: Value): number;
  /** Normalises a possibly negative axis against `rank`; fails (KC0401) when out of range. */
  axis(a: number, rank: number, attr?: string): number;
  emit(op: string, inputs: readonly (Value | null)[], attrs: Attrs, names?: readonly string[]): Value[];
  /** `emit` whose outputs take the ONNX node's output names. */
  result(op: string, inputs: readonly (Value | null)[], attrs: Attrs): Value[];
  /**
   * `result` whose attributes are read from the ONNX node by the op's declared schema: `names`
   * maps kestrel attribute names to ONNX ones (an absent ONNX attribute takes the declared
   * default); `set` adds attributes the converter computes. Errors name the ONNX attribute.
   */
  resultFrom(op: string, inputs: readonly (Value | null)[], names: Readonly<Record<string, string>>,
    set?: Attrs): Value[];
  /** `resultFrom` for an intermediate node: its outputs take fresh names, not the ONNX node's. */
  emitFrom(op: string, inputs: readonly (Value | null)[], names: Readonly<Record<string, string>>,
    set?: Attrs): Value[];
  /**
   * ONNX attribute `onnx` read by a declared attribute `spec` (its kind, default and check), for
   * a value the converter needs before it emits (a direction that decides a weight layout). No
   * input ranks are known here, so an axis kind is not normalised.
   */
  declared<T>(spec: AttrSpec<T>, onnx: string): T;
  constant(data: ConstData, hint?: string): Value;
  scalar(dtype: DType, value: number, hint?: string): Value;
  unsupported(reason: string): never;
  fail(code: Code, message: string): never;
  /** Imports graph attribute `attr` (or a graph built by the converter) as a body whose inputs
   *  have `inputTypes`. */
  subgraph(attr: string | GraphMsg, inputTypes: readonly TensorType[]): Func;
  /**
   * Splices a body into the current graph, its inputs bound to `args` (a body with none: no
   * args); returns its outputs. A body with nested bodies takes no args.
   */
  inline(f: Func, args?: readonly Value[]): Value[];
  /** The converted value a tensor name of this graph (or an enclosing one) holds, if any. */
  named(name: string): Value | undefined;
  /** The kestrel nodes converted so far, of the enclosing graphs first, in order. */
  emitted(): readonly Node[];
  /** Makes nodes for a new body without adding them to the current graph. */
  emitDetached(op: string, inputs: readonly (Value | null)[], attrs: Attrs): Node[];
}

export interface ContextDeps {
  readonly ids: IdGen;
  readonly nodes: Node[];
  readonly opset: number;
  subgraph(g: GraphMsg, inputTypes: readonly TensorType[]): Func;
  /** The converted value of a tensor name in scope (undefined when unknown or unconverted). */
  valueNamed?(name: string): Value | undefined;
  /** Nodes converted so far in this scope and the enclosing ones, outermost first. */
  scopeNodes?(): readonly Node[];
}

export function makeContext(deps: ContextDeps, node: OnnxNodeInfo, attrs: AttrReader,
  inputs: readonly (Value | null)[], outputNames: readonly string[]): ConvertCtx {
  const where: Where = { node: node.name, opType: node.opType };
  let count = 0;
  const parts: Parts = {
    fresh: (op) => `${node.name}/${op}_${count++}`,
    scalar: (dtype, value) => ctx.scalar(dtype, value),
  };
  const ctx: ConvertCtx = {
    node, opset: deps.opset, attrs, inputs, outputNames,
    input(i) {
      return inputs[i] ?? fail(Codes.SHAPE_INFERENCE, `required input ${i} is missing`, where);
    },
    optInput: (i) => inputs[i] ?? null,
    constInput: (i) => inputs[i]?.data,
    rank: (v) => v.type.shape.length,
    axis: (a, rank, attr = 'axis') => normaliseAxis(a, rank, (m) => attrs.fail(attr, m)),
    emit(op, ins, a, names) {
      const outs = emitNode(deps, where, op, ins, a, (k) => names?.[k] || `${node.name}/${op}_${count++}`,
        {}, parts);
      return outs;
    },
    result(op, ins, a) { return ctx.emit(op, ins, a, outputNames); },
    resultFrom(op, ins, names, set = {}) {
      const read = { ...onnxAttrs(getOp(op), attrs, names), ...set };
      return emitNode(deps, where, op, ins, read, (k) => outputNames[k] || `${node.name}/${op}_${count++}`,
        names, parts);
    },
    emitFrom(op, ins, names, set = {}) {
      const read = { ...onnxAttrs(getOp(op), attrs, names), ...set };
      return emitNode(deps, where, op, ins, read, () => `${node.name}/${op}_${count++}`, names, parts);
    },
    declared(spec, onnx) {
      const f = (m: string): never => attrs.fail(onnx, m);
      const none = (): undefined => undefined;
      if (!attrs.has(onnx)) return spec.dflt ? spec.dflt(none) : f('is required');
      return spec.parse(readOnnx(spec, attrs, onnx), none, f);
    },
    constant: (data, hint) => makeValue(deps.ids, hint ?? `${node.name}/const_${count++}`,
      { dtype: data.dtype, shape: data.shape }, data),
    scalar: (dtype, value, hint) => ctx.constant(scalarData(dtype, value), hint),
    unsupported(reason) { throw new UnsupportedOp(reason); },
    fail: (code, message) => fail(code, message, where),
    named: (name) => deps.valueNamed?.(name),
    emitted: () => deps.scopeNodes?.() ?? deps.nodes,
    emitDetached(op, ins, a) {
      const nodes: Node[] = [];
      emitNode({ ...deps, nodes, subgraph: deps.subgraph }, where, op, ins, a,
        (k) => `${node.name}/${op}_${count++}_${k}`, {}, parts);
      return nodes;
    },
    inline(f, args = []) {
      if (f.inputs.length !== args.length) throw new Error('internal: inline needs one arg per body input');
      const bind = new Map(f.inputs.map((v, i) => [v, args[i]]));
      if (bind.size > 0 && f.nodes.some((n) => Object.values(n.attrs).some(isBody))) {
        throw new Error('internal: a body with nested bodies cannot be inlined with args');
      }
      const arg = (v: Value): Value => bind.get(v) ?? v;
      deps.nodes.push(...(bind.size === 0 ? f.nodes
        : f.nodes.map((n) => ({ ...n, inputs: n.inputs.map((v) => v && arg(v)) }))));
      return f.outputs.map(arg);
    },
    subgraph(attr, inputTypes) {
      const g = typeof attr === 'string' ? attrs.graph(attr) : attr;
      if (!g) return attrs.fail(String(attr), 'is required');
      return deps.subgraph(g, inputTypes);
    },
  };
  return ctx;
}

/** Whether an attribute value is a body (a Func: If branches, Loop/Scan bodies). */
export function isBody(v: unknown): boolean {
  return typeof v === 'object' && v !== null && 'nodes' in v && 'inputs' in v && 'outputs' in v;
}

/** The ONNX attributes `names` maps, read by the kinds `def` declares; absent ones are left out. */
function onnxAttrs(def: OpDef | undefined, reader: AttrReader,
  names: Readonly<Record<string, string>>): Attrs {
  const schema = def?.attrSchema;
  if (!schema) throw new Error(`internal: kestrel op '${def?.name}' declares no attribute schema`);
  const out: Record<string, Attrs[string]> = {};
  for (const [name, onnx] of Object.entries(names)) {
    const spec = schema[name];
    if (!spec) throw new Error(`internal: kestrel op '${def.name}' has no attribute '${name}'`);
    if (reader.has(onnx)) out[name] = readOnnx(spec, reader, onnx);
  }
  return out;
}

function readOnnx(spec: AttrSpec<unknown>, reader: AttrReader, onnx: string): Attrs[string] {
  switch (spec.onnx) {
    case 'int': return reader.int(onnx);
    case 'float': return reader.float(onnx);
    case 'string': return reader.string(onnx);
    case 'ints': return reader.ints(onnx);
    case 'floats': return reader.floats(onnx);
    case 'internal': throw new Error(`internal: attribute for ONNX '${onnx}' is compiler-internal`);
    default: return assertNever(spec.onnx);
  }
}

/** The attributes a node of `def` stores: canonical for declared ops, as given otherwise. */
function nodeAttrs(def: OpDef, ins: readonly (Value | null)[], attrs: Attrs, where: Where,
  onnxNames: Readonly<Record<string, string>>): Attrs {
  if (!def.canonicalAttrs) return Object.freeze({ ...attrs });
  return def.canonicalAttrs(attrs, (i) => ins[i]?.type.shape.length, (name, message) => {
    const attribute = onnxNames[name] ?? name;
    return fail(Codes.ATTRIBUTE, `attribute '${attribute}' ${message}`, { ...where, attribute });
  });
}

/** How a decomposed op's parts are named (after the ONNX node) and its constants made. */
interface Parts {
  fresh(op: string): string;
  scalar(dtype: DType, value: number): Value;
}

/** The outputs of a node of a decomposed op (ir/ops/bindings.ts): its parts, emitted instead. */
function decomposed(def: OpDef, deps: ContextDeps, where: Where, ins: readonly (Value | null)[],
  attrs: Attrs, name: (k: number) => string, parts: Parts): Value[] {
  const b: DecomposeBuilder = {
    attrs,
    emit: (op, xs, a = {}) => emitNode(deps, where, op, xs, a, () => parts.fresh(op), {}, parts),
    result: (op, xs, a = {}) => emitNode(deps, where, op, xs, a, name, {}, parts),
    scalar: (dtype, value) => parts.scalar(dtype, value),
    fail: (code, message) => fail(code, message, where),
  };
  return [...def.decompose!(b, ins)];
}

function emitNode(deps: ContextDeps, where: Where, op: string, ins: readonly (Value | null)[],
  attrs: Attrs, name: (k: number) => string, onnxNames: Readonly<Record<string, string>>,
  parts: Parts): Value[] {
  const def = getOp(op);
  if (!def) throw new UnsupportedOp(`kestrel op '${op}' is not registered`);
  if (def.decompose) return decomposed(def, deps, where, ins, attrs, name, parts);
  const frozenAttrs = nodeAttrs(def, ins, attrs, where, onnxNames);
  const { types, checks } = inferTypes(def.infer, ins, frozenAttrs, where, op);
  const seen = [...ins.map((v) => v?.type), ...types];
  if (!def.traits.includes('strings') && seen.some((t) => t?.dtype === 'string')) {
    fail(Codes.STRING_OPERAND, `kestrel op '${op}' cannot take or make string tensors (only the string `
      + 'ops can)', where);
  }
  const outputs = types.map((t, k) => makeValue(deps.ids, name(k), t));
  deps.nodes.push(Object.freeze({
    id: deps.ids.id(), op, inputs: Object.freeze([...ins]), outputs: Object.freeze(outputs),
    attrs: frozenAttrs, origin: Object.freeze({ name: String(where.node), opType: String(where.opType) }),
    ...(checks.length ? { checks: Object.freeze(checks) } : {}),
  }));
  return outputs;
}

type InferFn = NonNullable<ReturnType<typeof getOp>>['infer'];

let freshCount = 0;
const cleanSymbol = (s: string): string => s.replace(/[^A-Za-z0-9_]/g, '_');

/** The op's output types, and the run-time shape checks its relation asked for. */
function inferTypes(infer: InferFn, ins: readonly (Value | null)[], attrs: Attrs, where: Where,
  op: string): { types: TensorType[]; checks: ShapeCheck[] } {
  const checks: ShapeCheck[] = [];
  const ictx: InferCtx = {
    fail: (code: string, message: string): never => {
      throw new KestrelError(code, `node '${where.node}' (${where.opType}): ${message}`, { ...where, op });
    },
    constant: (i: number) => ins[i]?.data,
    values: (i: number) => valuesOf(ins[i]),
    fresh: (hint: string) => sym(`${cleanSymbol(String(where.node))}_${hint}_${freshCount++}`),
    require: (anyOf, message, operands = [], dims = []) => {
      const c = shapeCheck({ anyOf, message, operands, dims }, ins, where);
      if (c && !checks.some((x) => x.message === c.message && checkKey(x) === checkKey(c))) checks.push(c);
    },
  };
  try {
    return { types: infer(ins.map((v) => v?.type ?? null), attrs, ictx), checks };
  } catch (e) {
    if (e instanceof KestrelError) throw e;
    return fail(Codes.SHAPE_INFERENCE, `type inference of kestrel op '${op}' failed: ${(e as Error).message}`,
      { ...where, op });
  }
}

/** A rank-0 constant of `dtype` holding `value`. */
export function scalarData(dtype: DType, value: number): ConstData {
  const bytes = new Uint8Array(byteSize(dtype));
  const dv = new DataView(bytes.buffer);
  switch (dtype) {
    case 'float32': dv.setFloat32(0, value, true); break;
    case 'float64': dv.setFloat64(0, value, true); break;
    case 'float16': dv.setUint16(0, toHalf(value), true); break;
    case 'int64': dv.setBigInt64(0, BigInt(Math.trunc(value)), true); break;
    case 'uint64': dv.setBigUint64(0, BigInt(Math.trunc(value)), true); break;
    case 'int32': dv.setInt32(0, value, true); break;
    case 'uint32': dv.setUint32(0, value, true); break;
    case 'int16': dv.setInt16(0, value, true); break;
    case 'uint16': dv.setUint16(0, value, true); break;
    case 'int8': dv.setInt8(0, value); break;
    case 'uint8': case 'bool': dv.setUint8(0, value); break;
  }
  return Object.freeze({ dtype, shape: Object.freeze([]), bytes });
}

/** Constant int64 vector (shapes, pads given as attributes in old opsets). */
export function int64Data(values: readonly number[]): ConstData {
  const a = BigInt64Array.from(values, (v) => BigInt(v));
  const bytes = new Uint8Array(a.buffer);
  return Object.freeze({ dtype: 'int64', shape: Object.freeze([values.length]), bytes });
}

/** Reads an integer constant (int32/int64) as numbers; undefined for other dtypes. */
export function constInts(d: ConstData): number[] | undefined {
  const buf = d.bytes.buffer.slice(d.bytes.byteOffset, d.bytes.byteOffset + d.bytes.byteLength);
  if (d.dtype === 'int64') return Array.from(new BigInt64Array(buf), (v) => Number(v));
  if (d.dtype === 'int32') return Array.from(new Int32Array(buf));
  return undefined;
}

/** Reads a float constant as numbers; undefined for other dtypes. */
export function constFloats(d: ConstData): number[] | undefined {
  const buf = d.bytes.buffer.slice(d.bytes.byteOffset, d.bytes.byteOffset + d.bytes.byteLength);
  if (d.dtype === 'float32') return Array.from(new Float32Array(buf));
  if (d.dtype === 'float64') return Array.from(new Float64Array(buf));
  return constInts(d);
}

/** Rounds a number to IEEE half precision bits (round to nearest even). */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const x = new Uint32Array(f.buffer)[0]!;
  const sign = (x >>> 16) & 0x8000, exp = (x >>> 23) & 0xff, man = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (man ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    const m = (man | 0x800000) >> (1 - e);
    return sign | ((m + 0x1000) >> 13);
  }
  const h = sign | (e << 10) | (man >> 13);
  return h + ((man & 0x1fff) > 0x1000 || ((man & 0x1fff) === 0x1000 && (h & 1)) ? 1 : 0);
}

function assertNever(x: never): never {
  throw new Error(`internal: unexpected ${String(x)}`);
}
