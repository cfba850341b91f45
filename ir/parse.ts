// Parser of the graph-IR text that ir/print.ts writes (the format is described there and in
// docs/architecture.md), for tests that state a graph as text: pass tests (Before/Expected, see
// test/passes/ir-case.ts) and printer round trips. Nodes are built by the ONNX frontend's own
// builder (compiler/frontend/onnx/context.ts, `emit`): attributes are completed and validated by
// the op's schema, output types come from the op's type relation and shape checks are recorded,
// so a parsed graph is what the frontend would have made. Each output's written type is then
// checked against the inferred one (known contents `<..>` may be left out: they are inferred).
// Guarantees: print(parse(t)) === t for printer output with no `digest` constants whose nodes
// carry complete attributes, as the frontend makes them (a node a pass made may leave declared
// defaults out, e.g. pad-conv-inputs' pad2d has no `value`: parsed, it gains `value=0`); bad text
// fails with an IrParseError naming the line and column (and the KC code when the op rejected it).
// NOTE: ir/ depends on compiler/ here (the builder), as ir/ops does for diagnostics; the parser is
// for tests and tools, the compiler itself never imports it.

import { ALL_DTYPES, type DType, isFloat } from './dtype.js';
import { BITS_DTYPES, type Elem, constFromElems, iotaConst, seededConst, splatConst } from './const-text.js';
import { type Dim, dataSymbol, dimAdd, dimFloorDiv, dimKey, dimMax, dimMin, dimMod, dimMul, dimNeg, dimVars,
  substDim, sym } from './dim.js';
import { type AttrValue, type ConstData, type Func, IdGen, makeValue, type Node, numel, type TensorType,
  type Value } from './graph.js';
import { numberValue, Scanner } from './parse-scan.js';
import { typeToString } from './print.js';
import { makeContext, UnsupportedOp } from '../compiler/frontend/onnx/context.js';
import { AttrReader } from '../compiler/frontend/onnx/attributes.js';
import { KestrelError } from '../runtime-vm/errors.js';
import './ops/index.js';

export { IrParseError } from './parse-scan.js';

const DTYPES: ReadonlySet<string> = new Set(ALL_DTYPES);
const BIG: ReadonlySet<DType> = new Set<DType>(['int64', 'uint64']);

interface Scope {
  readonly values: Map<string, Value>;
  readonly parent?: Scope;
}

function lookup(s: Scope | undefined, name: string): Value | undefined {
  for (let c = s; c; c = c.parent) {
    const v = c.values.get(name);
    if (v) return v;
  }
  return undefined;
}

/** A written output type: `elems` undefined when the text leaves known contents out. */
interface Declared { readonly name: string; readonly type: TensorType; readonly at: number }

class Parser {
  readonly s: Scanner;
  readonly consts = new Map<string, Value>();
  /** Symbols the text has written so far (a node's inferred fresh symbols are the others). */
  readonly seen = new Set<string>();
  constructor(text: string, readonly ids: IdGen) { this.s = new Scanner(text); }

  define(scope: Scope, name: string, v: Value, at: number): void {
    if (lookup(scope, name) || this.consts.has(name)) this.s.fail(`value '${name}' is defined twice`, at);
    scope.values.set(name, v);
  }

  func(parent?: Scope): Func {
    const s = this.s, scope: Scope = { values: new Map(), parent };
    s.expect('@', "'@' and a function name");
    const name = s.name('a function name');
    s.expect('(');
    const inputs: Value[] = [];
    while (!s.eat(')')) {
      if (inputs.length) s.expect(',', "',' or ')'");
      const d = this.declared(scope);
      const v = makeValue(this.ids, d.name, d.type);
      this.define(scope, d.name, v, d.at);
      inputs.push(v);
    }
    s.expect('{');
    const nodes: Node[] = [];
    while ((s.ws(true), !s.eat('return'))) {
      if (s.done()) s.fail(`function @${name} has no 'return'`);
      if (s.peek('$')) this.constLine();
      else this.nodeLine(scope, nodes);
    }
    const outputs: Value[] = [];
    if (!s.peek('}')) {
      do outputs.push(this.ref(scope) ?? s.fail('a function output cannot be absent (_)'));
      while (s.eat(','));
    }
    s.expect('}', "'}' after the return");
    return Object.freeze({ name, inputs: Object.freeze(inputs), outputs: Object.freeze(outputs),
      nodes: Object.freeze(nodes) });
  }

  /** `%name: type` */
  declared(scope: Scope): Declared {
    const s = this.s;
    s.expect('%', "'%' and a value name");
    const at = s.pos, name = s.name('a value name');
    s.expect(':', `':' and the type of %${name}`);
    return { name, type: this.type(scope), at };
  }

  type(scope: Scope): TensorType {
    const s = this.s;
    const optional = s.eat('opt'), sequence = s.eat('seq');
    const at = s.here(), dtype = s.word();
    if (!DTYPES.has(dtype)) s.fail(`unknown dtype ${dtype ? `'${dtype}'` : s.found()}`, at);
    s.expect('[', `'[' and the dims of a ${dtype}`);
    const unranked = s.eat('*');
    const shape = unranked ? [] : this.dims(scope, ']');
    if (unranked) s.expect(']');
    const elems = s.eat('<') ? this.dims(scope, '>') : undefined;
    return Object.freeze({ dtype: dtype as DType, shape: Object.freeze(shape),
      ...(elems ? { elems: Object.freeze(elems) } : {}), ...(sequence ? { sequence } : {}),
      ...(unranked ? { unranked } : {}), ...(optional ? { optional } : {}) });
  }

  dims(scope: Scope, close: string): Dim[] {
    const out: Dim[] = [];
    while (!this.s.eat(close)) {
      if (out.length) this.s.expect(',', `',' or '${close}'`);
      out.push(this.dimSum(scope));
    }
    return out;
  }

  dimSum(scope: Scope): Dim {
    let d = this.dimProduct(scope);
    for (;;) {
      if (this.s.eat('+')) d = dimAdd(d, this.dimProduct(scope));
      else if (this.s.eat('-')) d = dimAdd(d, dimNeg(this.dimProduct(scope)));
      else return d;
    }
  }

  dimProduct(scope: Scope): Dim {
    let d = this.dimAtom(scope);
    while (this.s.eat('*')) d = dimMul(d, this.dimAtom(scope));
    return d;
  }

  dimAtom(scope: Scope): Dim {
    const s = this.s;
    if (s.eat('-')) return dimNeg(this.dimAtom(scope));
    if (s.eat('(')) {
      const a = this.dimSum(scope);
      if (s.eat('//')) { const b = this.dimSum(scope); s.expect(')'); return dimFloorDiv(a, b); }
      if (s.eat('%')) { const b = this.dimSum(scope); s.expect(')'); return dimMod(a, b); }
      s.expect(')', "'//', '%' or ')'");
      return a;
    }
    if (s.eat('@')) return this.dataDim(scope);
    const at = s.here(), w = s.word();
    if (!w) return s.fail(`expected a dim, found ${s.found()}`);
    if (/^\d+$/.test(w)) return Number(w);
    if ((w === 'max' || w === 'min') && s.eat('(')) {
      const a = this.dimSum(scope);
      s.expect(',');
      const b = this.dimSum(scope);
      s.expect(')');
      return w === 'max' ? dimMax(a, b) : dimMin(a, b);
    }
    if (/^\d/.test(w)) s.fail(`'${w}' is neither a number nor a symbol`, at);
    this.seen.add(w);
    return sym(w);
  }

  /** `@name.k`: element k of the tensor `name`, read at run time. */
  dataDim(scope: Scope): Dim {
    const s = this.s, at = s.pos;
    let name = s.name('a tensor name', /[A-Za-z0-9_.]/), index: string;
    if (s.text[at] === '"') {
      s.expect('.', "'.' and an element index");
      index = s.word();
    } else {
      const dot = name.lastIndexOf('.');
      [name, index] = dot < 0 ? [name, ''] : [name.slice(0, dot), name.slice(dot + 1)];
    }
    if (!/^\d+$/.test(index)) s.fail(`a data dim needs an element index: @${name}.<k>`, at);
    const v = lookup(scope, name) ?? s.fail(`data dim of an undefined value '${name}'`, at);
    return dataSymbol(v.id, Number(index));
  }

  /** `$name: type = const FORM` */
  constLine(): void {
    const s = this.s;
    s.expect('$');
    const at = s.pos, name = s.name('a constant name');
    s.expect(':', `':' and the type of $${name}`);
    const t = this.type({ values: new Map() });
    if (t.sequence || t.optional || t.elems) s.fail(`constant $${name} must be a plain tensor`, at);
    s.expect('=');
    s.expect('const', "'const'");
    const data = this.constData(t);
    if (this.consts.has(name)) s.fail(`value '${name}' is defined twice`, at);
    this.consts.set(name, makeValue(this.ids, name, { dtype: t.dtype, shape: t.shape }, data));
  }

  /** Constant data of type `t` in one of the forms of ir/const-text.ts. */
  constData(t: TensorType): ConstData {
    const s = this.s, at = s.here();
    if (!t.shape.every((d): d is number => typeof d === 'number')) s.fail('a constant needs static dims', at);
    const shape = t.shape as number[], dtype = t.dtype;
    if (s.eat('splat')) return splatConst(dtype, shape, this.elem(dtype));
    if (s.eat('iota')) return iotaConst(dtype, shape, this.elem(dtype), this.elem(dtype));
    if (s.eat('seed')) {
      const seed = s.number();
      if (seed === undefined || !/^\d+$/.test(seed)) s.fail('expected a seed (a non-negative integer)');
      return seededConst(dtype, shape, Number(seed));
    }
    if (s.eat('digest')) s.fail('the printer elided this constant\'s data (digest); write it out', at);
    if (s.eat('bits') !== BITS_DTYPES.has(dtype)) {
      s.fail(BITS_DTYPES.has(dtype) ? `${dtype} elements are written as bits [0x..]`
        : `only float16, bfloat16 and the float8/float4 types are written as bits`, at);
    }
    s.expect('[', "'[', splat, iota or seed");
    const elems: Elem[] = [];
    while (!s.eat(']')) {
      if (elems.length) s.expect(',', "',' or ']'");
      elems.push(this.elem(dtype));
    }
    if (elems.length !== numel(shape)) {
      s.fail(`${elems.length} elements for a constant of ${numel(shape)} `
        + `(${dtype}[${shape.join(', ')}])`, at);
    }
    return constFromElems(dtype, shape, elems);
  }

  elem(dtype: DType): Elem {
    const s = this.s, at = s.here(), text = s.number() ?? s.fail(`expected a number, found ${s.found()}`);
    if (isFloat(dtype) && !BITS_DTYPES.has(dtype)) return numberValue(text);
    if (!/^-?(\d+|0x[0-9a-fA-F]+)$/.test(text)) s.fail(`${dtype} element '${text}' is not an integer`, at);
    return BIG.has(dtype) ? BigInt(text) : Number(text);
  }

  /** `%name`, `$name` or `_` (absent). */
  ref(scope: Scope): Value | null {
    const s = this.s;
    if (s.eat('_')) return null;
    const konst = s.eat('$');
    if (!konst) s.expect('%', "'%', '$' or '_'");
    const at = s.pos, name = s.name('a value name');
    const v = konst ? this.consts.get(name) : lookup(scope, name);
    return v ?? s.fail(`${konst ? 'constant $' : 'value %'}${name} is not defined`, at);
  }

  /** An attribute value; a body (`@name`) is returned as its name in `body`. */
  attr(scope: Scope): AttrValue | { body: string } {
    const s = this.s;
    if (s.peek('"')) return s.string();
    if (s.eat('true')) return true;
    if (s.eat('false')) return false;
    if (s.eat('@')) return { body: s.name('a body name') };
    if (s.eat('tensor')) return this.constData(this.type(scope));
    if (s.eat('[')) {
      const xs: (number | string)[] = [];
      while (!s.eat(']')) {
        if (xs.length) s.expect(',', "',' or ']'");
        xs.push(s.peek('"') ? s.string() : numberValue(s.number() ?? s.fail(`expected a number or string, `
          + `found ${s.found()}`)));
      }
      if (xs.some((x) => typeof x !== typeof xs[0])) s.fail('a list mixes numbers and strings');
      return Object.freeze(xs) as AttrValue;
    }
    const n = s.number();
    return n === undefined ? s.fail(`expected an attribute value, found ${s.found()}`) : numberValue(n);
  }

  /** `// OpType 'name'` on the rest of the line, if there. */
  origin(): { name: string; opType: string } | undefined {
    const s = this.s;
    s.blanks();
    if (!s.text.startsWith('//', s.pos)) return undefined;
    const m = /^\/\/ *(\S+) '((?:[^'\\\n]|\\.)*)'/.exec(s.text.slice(s.pos));
    if (!m) return s.fail("an origin comment reads // OpType 'node name'");
    s.pos += m[0].length;
    return { opType: m[1], name: m[2].replace(/\\(.)/g, '$1') };
  }

  nodeLine(scope: Scope, nodes: Node[]): void {
    const s = this.s, outs: Declared[] = [], known = new Set(this.seen);
    s.ws();
    const start = s.pos;
    if (s.peek('%')) {
      do outs.push(this.declared(scope)); while (s.eat(','));
      s.expect('=', "'=' and an op");
    }
    const opAt = s.here(), op = s.word();
    if (!op) s.fail(`expected a node, a constant or 'return', found ${s.found()}`);
    s.expect('(', `'(' and the inputs of ${op}`);
    const inputs: (Value | null)[] = [];
    while (!s.eat(')')) {
      if (inputs.length) s.expect(',', "',' or ')'");
      inputs.push(this.ref(scope));
    }
    const attrs: Record<string, AttrValue> = {}, bodies: [string, string][] = [];
    if (s.eat('{')) {
      while (!s.eat('}')) {
        if (Object.keys(attrs).length) s.expect(',', "',' or '}'");
        const at = s.here(), key = s.name('an attribute name');
        if (Object.hasOwn(attrs, key)) s.fail(`attribute '${key}' is given twice`, at);
        s.expect('=', `'=' and the value of ${key}`);
        const a = this.attr(scope);
        if (typeof a === 'object' && 'body' in a) bodies.push([key, a.body]);
        attrs[key] = typeof a === 'object' && 'body' in a ? '' : a; // a body's place, filled below
      }
    }
    const origin = this.origin() ?? { name: outs[0]?.name ?? op, opType: op };
    for (const [key, b] of bodies) {
      const at = (s.ws(true), s.pos);
      s.expect('func', `the body @${b} (func @${b}(...) { ... })`);
      const f = this.func(scope);
      if (f.name !== b) s.fail(`expected the body @${b}, found @${f.name}`, at);
      attrs[key] = f;
    }
    const made = this.emit(op, inputs, attrs, origin, outs, opAt, start, known);
    nodes.push(...made.nodes);
    made.outputs.forEach((v, k) => this.define(scope, outs[k].name, v, outs[k].at));
  }

  /** The node built as the frontend builds it, its outputs checked against the written types. */
  emit(op: string, inputs: (Value | null)[], attrs: Record<string, AttrValue>,
    origin: { name: string; opType: string }, outs: Declared[], opAt: number, start: number,
    known: ReadonlySet<string>): { nodes: Node[]; outputs: Value[] } {
    const nodes: Node[] = [], where = { node: origin.name, opType: origin.opType };
    const deps = { ids: this.ids, nodes, opset: 21, subgraph: (): Func => {
      throw new Error('internal: the IR parser builds bodies itself');
    } };
    const ctx = makeContext(deps, { ...origin, domain: '' }, new AttrReader([], where), inputs,
      outs.map((d) => d.name));
    let outputs: Value[];
    try {
      outputs = ctx.emit(op, inputs, Object.freeze(attrs), outs.map((d) => d.name));
    } catch (e) {
      if (e instanceof UnsupportedOp) return this.s.fail(`unknown op '${op}'`, opAt);
      if (e instanceof KestrelError) return this.s.fail(`${op}: ${e.message}`, start, e.code);
      throw e;
    }
    if (outputs.length !== outs.length) {
      this.s.fail(`${op} has ${outputs.length} outputs, the text names ${outs.length}`, start);
    }
    const types = outputs.map((v, k) => this.checkType(op, outs[k], v.type, known));
    if (types.every((t, k) => t === outputs[k].type)) return { nodes, outputs };
    // Fresh symbols the op made (InferCtx.fresh) take the names the text gives them.
    const last = nodes[nodes.length - 1];
    outputs = outputs.map((v, k) => Object.freeze({ ...v, type: types[k] }));
    nodes[nodes.length - 1] = Object.freeze({ ...last, outputs: Object.freeze(outputs) });
    return { nodes, outputs };
  }

  /** The output's type: the inferred one, its fresh symbols renamed as written; fails otherwise. */
  checkType(op: string, d: Declared, inferred: TensorType, known: ReadonlySet<string>): TensorType {
    const key = (t: TensorType, elems: boolean) => [t.dtype, t.sequence, t.optional, t.unranked,
      t.shape.map(dimKey).join(','), elems ? t.elems?.map(dimKey).join(',') : ''].join(';');
    if (key(d.type, !!d.type.elems) === key(inferred, !!d.type.elems)) return inferred;
    const env = new Map<string, Dim>();
    const pair = (a: Dim | undefined, b: Dim | undefined) => {
      const v = a === undefined ? [] : dimVars(a);
      if (b !== undefined && v.length === 1 && dimKey(a!) === v[0] && !known.has(v[0])) env.set(v[0], b);
    };
    inferred.shape.forEach((a, i) => pair(a, d.type.shape[i]));
    inferred.elems?.forEach((a, i) => pair(a, d.type.elems?.[i]));
    const renamed = { ...inferred, shape: inferred.shape.map((x) => substDim(x, env)),
      ...(inferred.elems ? { elems: inferred.elems.map((x) => substDim(x, env)) } : {}) };
    if (env.size && key(d.type, !!d.type.elems) === key(renamed, !!d.type.elems)) {
      return Object.freeze(renamed);
    }
    const show = (t: TensorType) => `${t.optional ? 'opt ' : ''}${t.sequence ? 'seq ' : ''}${typeToString(t)}`
      + (t.elems && d.type.elems ? `<${t.elems.map(dimKey).join(', ')}>` : '');
    return this.s.fail(`%${d.name} is written ${show(d.type)} but ${op} infers ${show(inferred)}`, d.at);
  }
}

/** The function the text describes; ids come from `ids` (a fresh generator by default). */
export function parseFunc(text: string, ids: IdGen = new IdGen()): Func {
  const p = new Parser(text, ids);
  p.s.ws(true);
  p.s.expect('func', "'func'");
  const f = p.func();
  if (!p.s.done()) p.s.fail(`unexpected ${p.s.found()} after the function`);
  return f;
}
