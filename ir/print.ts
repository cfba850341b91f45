// Text printer of the graph IR; ir/parse.ts reads the same text back (docs/architecture.md, "The
// graph-IR text"). A function prints as
//   func @main(%x: float32[batch, 3, 8, 8]) {
//     $w: float32[4, 3, 3, 3] = const seed 1
//     %y: float32[batch, 4, 6, 6] = conv(%x, $w, _) {kernel=[3, 3], ...}  // Conv 'conv0'
//     return %y
//   }
// `%` marks a computed value, `$` a constant (all constants of a function tree are listed at the top
// of its outermost function, in order of first use; ir/const-text.ts has their data forms), `_` an
// absent optional input. Types: `float32[2, n]`, `int64[2]<n, 3>` (known contents, TensorType.elems),
// `seq float32[n]` (`[*]`: unranked), `opt ...`. Dims read from tensor data name their tensor:
// `@shape.0`. A body (Func-valued attribute) prints as `then=@name` and, after the node's line, as
// an indented `func @name(...) { ... }` block, in attribute order. Names that are not plain
// (letters, digits, `_./`) are quoted like JSON strings; a name used by two different values
// prints with a `#k` suffix on the later one, so the text names every value once.
// Guarantees: deterministic; printing a parsed printout gives the same text.

import { constText, elemText } from './const-text.js';
import { dimVars, parseDataSymbol, shapeToString, substDim, sym, type Dim } from './dim.js';
import type { AttrValue, Func, Node, TensorType, Value } from './graph.js';
import { bodiesOf, isFunc } from './graph.js';

export const typeToString = (t: TensorType): string => `${t.dtype}${shapeToString(t.shape)}`;

const PLAIN = /^[A-Za-z0-9_./]+$/;
export const nameText = (s: string): string => (PLAIN.test(s) ? s : JSON.stringify(s));

/** Printed names of values (by id), unique over one printout. */
class Names {
  private readonly byId = new Map<number, string>();
  private readonly taken = new Set<string>();
  of(v: Value): string {
    const have = this.byId.get(v.id);
    if (have !== undefined) return have;
    let name = v.name;
    for (let k = 1; this.taken.has(name); k++) name = `${v.name}#${k}`;
    this.byId.set(v.id, name);
    this.taken.add(name);
    return name;
  }
  byValueId(id: number): string | undefined { return this.byId.get(id); }
}

/** Data symbols `@<id>.<k>` renamed after their tensor; other dims as they are. */
function dimsText(ds: readonly Dim[], names: Names): string {
  const env = new Map<string, Dim>();
  for (const d of ds) {
    for (const v of dimVars(d)) {
      const s = parseDataSymbol(v), name = s && names.byValueId(s.valueId);
      // `/` would read as a floor division inside a dim: such names are quoted here.
      const text = name !== undefined && /^[A-Za-z0-9_.]+$/.test(name) ? name : JSON.stringify(name);
      if (s && name !== undefined) env.set(v, sym(`@${text}.${s.index}`));
    }
  }
  return shapeToString(env.size ? ds.map((d) => substDim(d, env)) : ds);
}

function typeText(t: TensorType, names: Names, isConst = false): string {
  const shape = t.unranked ? '[*]' : dimsText(t.shape, names);
  const elems = t.elems && !isConst ? `<${dimsText(t.elems, names).slice(1, -1)}>` : '';
  return `${t.optional ? 'opt ' : ''}${t.sequence ? 'seq ' : ''}${t.dtype}${shape}${elems}`;
}

const numText = (x: number): string => elemText('float64', x);

function attrText(a: AttrValue, names: Names): string {
  if (typeof a === 'number') return numText(a);
  if (typeof a === 'string' || typeof a === 'boolean') return JSON.stringify(a);
  if (Array.isArray(a)) {
    return `[${(a as readonly (number | string)[]).map((x) => (typeof x === 'number' ? numText(x)
      : JSON.stringify(x))).join(', ')}]`;
  }
  if (isFunc(a)) return `@${nameText(a.name)}`;
  const c = a as Exclude<AttrValue, Func | number | string | boolean | readonly unknown[]>;
  return `tensor ${typeText({ dtype: c.dtype, shape: c.shape }, names)} ${constText(c)}`;
}

const ref = (v: Value | null, names: Names): string =>
  (v === null ? '_' : `${v.data ? '$' : '%'}${nameText(names.of(v))}`);

const originText = (n: Node): string =>
  `  // ${n.origin.opType} '${n.origin.name.replace(/[\\']/g, (c) => `\\${c}`)}'`;

function nodeLines(n: Node, names: Names, indent: string): string[] {
  const ins = n.inputs.map((v) => ref(v, names)).join(', ');
  const outs = n.outputs.map((v) => `%${nameText(names.of(v))}: ${typeText(v.type, names)}`).join(', ');
  const attrs = Object.entries(n.attrs).map(([k, v]) => `${nameText(k)}=${attrText(v, names)}`).join(', ');
  const line = `${indent}${outs ? `${outs} = ` : ''}${n.op}(${ins})${attrs ? ` {${attrs}}` : ''}`
    + originText(n);
  return [line, ...bodiesOf(n).flatMap((b) => funcLines(b, names, `${indent}  `, false))];
}

/** Constants a function tree reads, in order of first use. */
function constsOf(f: Func, out = new Map<number, Value>()): Map<number, Value> {
  const use = (v: Value | null) => { if (v?.data && !out.has(v.id)) out.set(v.id, v); };
  for (const n of f.nodes) {
    n.inputs.forEach(use);
    for (const b of bodiesOf(n)) constsOf(b, out);
  }
  f.outputs.forEach(use);
  return out;
}

function funcLines(f: Func, names: Names, indent: string, outer: boolean): string[] {
  const ins = f.inputs.map((v) => `%${nameText(names.of(v))}: ${typeText(v.type, names)}`).join(', ');
  const inner = `${indent}  `;
  const consts = outer ? [...constsOf(f).values()].map((v) => `${inner}$${nameText(names.of(v))}: `
    + `${typeText(v.type, names, true)} = const ${constText(v.data!)}`) : [];
  return [`${indent}func @${nameText(f.name)}(${ins}) {`, ...consts,
    ...f.nodes.flatMap((n) => nodeLines(n, names, inner)),
    `${inner}return ${f.outputs.map((v) => ref(v, names)).join(', ')}`, `${indent}}`];
}

/** One node on one line (bodies left out), for logs and dumps of single nodes. */
export function printNode(n: Node): string {
  return nodeLines(n, new Names(), '')[0];
}

export function printFunc(f: Func): string {
  return funcLines(f, new Names(), '', true).join('\n');
}
