// ONNX model bytes -> kestrel graph IR Module. Requires: the kestrel ops registered (import
// ir/ops/index.js before calling, as the driver does). Guarantees: the Module's main function has
// its nodes in topological order with complete types; initializers are constant Values; dim_params
// are symbols; every unsupported op of the whole graph is reported in ONE KC0301 error (or returned
// by `importOnnxCollect`); all other problems are KestrelErrors naming the node, tensor or input.

import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { dimVars } from '../../../ir/dim.js';
import { type Func, IdGen, makeValue, type Module, type Node, type TensorType, type Value }
  from '../../../ir/graph.js';
import { getOp } from '../../../ir/ops/index.js';
import { Codes, fail } from '../../diagnostics.js';
import { AttrReader } from './attributes.js';
import { makeContext, UnsupportedOp } from './context.js';
import { type CompileLimits, limitsOf } from '../../limits.js';
import { decodeModel } from './decode.js';
import { attributeReads, checkLimits, nodeName, topoOrder } from './graph-order.js';
import { findConverter, findDomainConverter, type ConverterEntry } from './ops/index.js';
import { int64ToSafe, type GraphMsg, type ModelMsg, type NodeMsg } from './schema.js';
import { tensorFromMsg } from './tensor.js';
import { rankFixingAxes } from './rank-fixing.js';
import { inputType, type SymbolNamer } from './value-types.js';

export const MAX_OPSET = 28;
const DEFAULT_DOMAINS = new Set(['', 'ai.onnx']);

export interface ImportOptions {
  /** Directory external data is read from (set by importOnnxFile). */
  readonly modelDir?: string;
  /** Make every input dim symbolic, named `<input>_d<axis>`. */
  readonly dynamic?: boolean;
  /** Fix symbolic input dims to values (`{ batch: 1, seq: 16 }`): a static compile for one shape. */
  readonly fixedDims?: Readonly<Record<string, number>>;
  /** Nesting and size limits (compiler/limits.ts); defaults where left out. */
  readonly limits?: CompileLimits;
}

export interface UnsupportedOpInfo {
  readonly op: string;
  readonly node: string;
  readonly domain?: string;
  readonly reason: string;
}

export interface ImportResult {
  readonly module: Module;
  /** Empty when the whole graph converted. */
  readonly unsupported: readonly UnsupportedOpInfo[];
}

/** Imports a model; throws one KC0301 error listing every unsupported op. */
export function importOnnx(bytes: Uint8Array, opts: ImportOptions = {}): Module {
  const r = importOnnxCollect(bytes, opts);
  if (r.unsupported.length > 0) throwUnsupported(r.unsupported);
  return r.module;
}

export function importOnnxFile(file: string, opts: ImportOptions = {}): Module {
  return importOnnx(readModelFile(file), { modelDir: path.dirname(path.resolve(file)), ...opts });
}

/** Imports as much as converts; unsupported ops are returned, their outputs left out. */
export function importOnnxCollect(bytes: Uint8Array, opts: ImportOptions = {}): ImportResult {
  const limits = limitsOf(opts.limits);
  const model = decodeModel(bytes, limits.maxMessageDepth);
  const opsets = opsetMap(model);
  const g = model.graph!;
  checkLimits(g, limits.maxNodes, limits.maxSubgraphDepth);
  const b = new Builder(opsets, opts);
  b.addInitializers(g);
  b.addInputs(g);
  b.convertNodes(g);
  const outputs = b.outputs(g);
  const module: Module = Object.freeze({
    main: Object.freeze({
      name: g.name || 'main', inputs: Object.freeze(b.inputs), outputs: Object.freeze(outputs),
      nodes: Object.freeze(b.nodes),
    }),
    symbols: Object.freeze(symbolsOf(b.inputs)),
    source: Object.freeze({
      producer: `${model.producerName ?? ''} ${model.producerVersion ?? ''}`.trim(),
      opset: opsets.get('') ?? 0, sha256: createHash('sha256').update(bytes).digest('hex'),
    }),
  });
  return { module, unsupported: Object.freeze(b.unsupported) };
}

export function readModelFile(file: string): Uint8Array {
  let st: fs.Stats;
  try { st = fs.statSync(file); } catch (e) {
    return fail(Codes.MODEL_READ, `cannot read model '${file}': ${(e as Error).message}`);
  }
  if (!st.isFile()) fail(Codes.MODEL_READ, `model '${file}' is not a regular file`);
  return fs.readFileSync(file);
}

function throwUnsupported(list: readonly UnsupportedOpInfo[]): never {
  const ops = [...new Set(list.map((u) => u.op))];
  const items = list.slice(0, 50).map((u) => `${u.op} (node '${u.node}'${u.reason ? `: ${u.reason}` : ''})`);
  return fail(Codes.UNSUPPORTED_OPS, `${list.length} unsupported op(s) [${ops.join(', ')}]: `
    + `${items.join('; ')}${list.length > 50 ? '; ...' : ''}`,
  { unsupported: list.map((u) => ({ ...u })), ops });
}

/** Domain -> opset version; '' holds the default domain. */
function opsetMap(model: ModelMsg): Map<string, number> {
  const m = new Map<string, number>();
  for (const o of model.opsetImport ?? []) {
    const d = DEFAULT_DOMAINS.has(o.domain ?? '') ? '' : o.domain!;
    m.set(d, int64ToSafe(o.version) ?? -1);
  }
  const v = m.get('');
  if (v === undefined) return m; // only non-default domains: their nodes are reported unsupported
  if (v < 1 || v > MAX_OPSET) {
    fail(Codes.OPSET, `default-domain opset ${v} is not supported (1..${MAX_OPSET})`);
  }
  return m;
}

/** Every name read by a node of `g` or its subgraphs, or listed as an output of `g`. */
function usedNames(g: GraphMsg): Set<string> {
  const used = new Set<string>((g.output ?? []).map((o) => o.name ?? ''));
  const stack = [g];
  while (stack.length > 0) {
    for (const n of stack.pop()!.node ?? []) {
      for (const i of [...n.input ?? [], ...attributeReads(n)]) used.add(i);
      for (const a of n.attribute ?? []) stack.push(...(a.g ? [a.g] : []), ...(a.graphs ?? []));
    }
  }
  return used;
}

function symbolsOf(inputs: readonly Value[]): string[] {
  const seen = new Set<string>();
  for (const v of inputs) for (const d of v.type.shape) for (const s of dimVars(d)) seen.add(s);
  return [...seen];
}

/** Placeholder for outputs of nodes that could not be converted. */
const POISON = Symbol('unconverted');
type Slot = Value | typeof POISON;

class Builder {
  readonly ids: IdGen;
  readonly nodes: Node[] = [];
  readonly inputs: Value[] = [];
  readonly unsupported: UnsupportedOpInfo[];
  private readonly env = new Map<string, Slot>();
  /** Names consumed anywhere (nodes, subgraphs, graph outputs); other outputs count as unrequested. */
  private used = new Set<string>();
  readonly opset: number;
  private readonly namer: SymbolNamer;

  constructor(private readonly opsets: Map<string, number>, private readonly opts: ImportOptions,
    private readonly parent?: Builder) {
    this.opset = opsets.get('') ?? 0;
    this.ids = parent?.ids ?? new IdGen();
    this.unsupported = parent?.unsupported ?? [];
    let unk = 0;
    const fixed = new Map(Object.entries(opts.fixedDims ?? {}));
    this.namer = parent?.namer ?? { fresh: () => `unk${unk++}`, dynamic: opts.dynamic === true, fixed };
  }

  /** A name's value in this scope or an enclosing one (bodies read outer values directly). */
  private lookup(name: string): Slot | undefined {
    return this.env.get(name) ?? this.parent?.lookup(name);
  }

  valueNamed(name: string): Value | undefined {
    const v = this.lookup(name);
    return v === POISON ? undefined : v;
  }

  scopeNodes(): readonly Node[] {
    return this.parent ? [...this.parent.scopeNodes(), ...this.nodes] : this.nodes;
  }

  private visibleNames(): Set<string> {
    const names = this.parent ? this.parent.visibleNames() : new Set<string>();
    for (const k of this.env.keys()) names.add(k);
    return names;
  }

  /**
   * Imports a subgraph (If branch, Loop/Scan body) as a Func whose inputs take `inputTypes`.
   * Unsupported ops inside are recorded with the rest; the body then counts as unsupported.
   */
  subgraph(g: GraphMsg, inputTypes: readonly TensorType[]): Func {
    const b = new Builder(this.opsets, this.opts, this);
    const before = this.unsupported.length;
    b.addInitializers(g);
    const declared = g.input ?? [];
    if (declared.length !== inputTypes.length) {
      throw new UnsupportedOp(
        `body '${g.name ?? ''}' declares ${declared.length} inputs, ${inputTypes.length} given`);
    }
    declared.forEach((vi, k) => {
      const v = makeValue(this.ids, vi.name ?? `in${k}`, inputTypes[k]);
      b.env.set(vi.name ?? `in${k}`, v);
      b.inputs.push(v);
    });
    b.convertNodes(g);
    const outputs = (g.output ?? []).map((vi) => b.lookup(vi.name ?? ''));
    if (this.unsupported.length > before || outputs.some((v) => v === undefined || v === POISON)) {
      throw new UnsupportedOp(`body '${g.name ?? ''}' contains unsupported ops`);
    }
    return Object.freeze({ name: g.name || 'body', inputs: Object.freeze(b.inputs),
      outputs: Object.freeze(outputs as Value[]), nodes: Object.freeze(b.nodes) });
  }

  addInitializers(g: GraphMsg): void {
    if ((g.sparseInitializer ?? []).length > 0) {
      fail(Codes.TENSOR_SPARSE, 'sparse initializers are not supported');
    }
    (g.initializer ?? []).forEach((t, i) => {
      const data = tensorFromMsg(t, { modelDir: this.opts.modelDir }, `initializer_${i}`);
      if (this.env.has(data.name)) {
        fail(Codes.GRAPH_DUPLICATE, 'initializer name is defined twice', { tensor: data.name });
      }
      const { name: _n, ...plain } = data;
      const type = { dtype: data.dtype, shape: data.shape };
      this.env.set(data.name, makeValue(this.ids, data.name, type, plain));
    });
  }

  addInputs(g: GraphMsg): void {
    const seen = new Set<string>();
    const ranks = new Map((g.input ?? []).map((vi) =>
      [vi.name ?? '', vi.type?.tensorType?.shape?.dim?.length ?? -1]));
    const namer = this.namer.dynamic ? { ...this.namer, keepStatic: rankFixingAxes(g, ranks) } : this.namer;
    for (const vi of g.input ?? []) {
      const name = vi.name ?? '';
      if (seen.has(name)) fail(Codes.GRAPH_DUPLICATE, 'graph input is declared twice', { input: name });
      seen.add(name);
      if (this.env.has(name)) continue; // an initializer listed as input (IR < 4): a constant
      const v = makeValue(this.ids, name, inputType(vi, namer));
      this.env.set(name, v);
      this.inputs.push(v);
    }
  }

  convertNodes(g: GraphMsg): void {
    const nodes = g.node ?? [];
    const order = topoOrder(nodes, this.visibleNames());
    this.used = usedNames(g);
    const statics = order.map((i) => this.staticCheck(nodes[i]!, i));
    order.forEach((i, k) => this.convertNode(nodes[i]!, i, statics[k]!));
  }

  /** Finds table/registry gaps for a node before anything converts; '' when supported so far. */
  private staticCheck(n: NodeMsg, i: number): string | undefined {
    const domain = n.domain ?? '', op = n.opType ?? '';
    if (!DEFAULT_DOMAINS.has(domain)) {
      if (!this.opsets.has(domain)) {
        fail(Codes.UNKNOWN_DOMAIN, `uses domain '${domain}', which the model does not import`,
          { node: nodeName(n, i), opType: op, domain });
      }
    } else if (this.opset === 0) {
      fail(Codes.OPSET, 'uses the default domain, which the model does not import',
        { node: nodeName(n, i), opType: op });
    }
    const entry = this.converterOf(n);
    if (!entry) {
      return DEFAULT_DOMAINS.has(domain) ? `no converter for ${op} at opset ${this.opset}`
        : `${op} of domain '${domain}' is not supported`;
    }
    const missing = entry.emits.filter((k) => !getOp(k));
    return missing.length > 0 ? `kestrel op(s) ${missing.join(', ')} not registered` : undefined;
  }

  /** The converter of a node: the default table, or its domain's table at that domain's opset. */
  private converterOf(n: NodeMsg): ConverterEntry | undefined {
    const domain = n.domain ?? '', op = n.opType ?? '';
    if (DEFAULT_DOMAINS.has(domain)) return findConverter(op, this.opset);
    return findDomainConverter(domain, op, this.opsets.get(domain) ?? 1);
  }

  private record(n: NodeMsg, i: number, reason: string): void {
    const domain = n.domain && !DEFAULT_DOMAINS.has(n.domain) ? n.domain : undefined;
    const op = domain ? `${domain}::${n.opType ?? ''}` : n.opType ?? '';
    this.unsupported.push(Object.freeze({ op, node: nodeName(n, i), reason, ...(domain ? { domain } : {}) }));
  }

  private convertNode(n: NodeMsg, i: number, gap: string | undefined): void {
    const outs = (n.output ?? []).map((o) => (this.used.has(o) ? o : ''));
    const ins = (n.input ?? []).map((x) => (x ? this.lookup(x)! : null));
    const poison = () => outs.forEach((o) => o && this.env.set(o, POISON));
    if (gap !== undefined) { this.record(n, i, gap); poison(); return; }
    if (ins.includes(POISON)) { poison(); return; }
    const info = { name: nodeName(n, i), opType: n.opType ?? '', domain: n.domain ?? '' };
    const attrs = new AttrReader(n.attribute ?? [], { node: info.name, opType: info.opType });
    const ctx = makeContext(this, info, attrs, ins as (Value | null)[], outs);
    const mark = this.nodes.length;
    try {
      const results = this.converterOf(n)!.convert(ctx);
      this.bindOutputs(outs, results);
    } catch (e) {
      if (!(e instanceof UnsupportedOp)) throw e;
      this.nodes.length = mark; // drop partial emissions of this node
      this.record(n, i, e.reason);
      poison();
    }
  }

  private bindOutputs(outs: readonly string[], results: readonly (Value | null)[]): void {
    outs.forEach((o, k) => {
      if (!o) return;
      const v = results[k];
      if (!v) throw new UnsupportedOp(`output ${k} ('${o}') is not supported`);
      this.env.set(o, v);
    });
  }

  /** Graph outputs; a value whose name differs (an alias) gets an identity node with the name. */
  outputs(g: GraphMsg): Value[] {
    const out: Value[] = [];
    for (const vi of g.output ?? []) {
      const name = vi.name ?? '';
      const v = this.env.get(name);
      if (v === undefined) fail(Codes.GRAPH_UNDEFINED, 'graph output is never produced', { input: name });
      if (v === POISON) continue;
      out.push(v.name === name && !v.data && !this.inputs.includes(v) ? v : this.rename(v, name));
    }
    return out;
  }

  private rename(v: Value, name: string): Value {
    const info = { name: `output:${name}`, opType: 'Identity', domain: '' };
    const attrs = new AttrReader([], { node: info.name, opType: 'Identity' });
    const ctx = makeContext(this, info, attrs, [v], [name]);
    try {
      return ctx.result('identity', [v], {})[0]!;
    } catch (e) {
      if (!(e instanceof UnsupportedOp)) throw e;
      this.unsupported.push({ op: 'Identity', node: info.name, reason: e.reason });
      return v;
    }
  }
}
