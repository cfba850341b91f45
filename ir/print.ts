// Text printer of the graph IR: one line per node, `%name: dtype[dims] = op(inputs) {attrs}`.

import { shapeToString } from './dim.js';
import type { AttrValue, Func, Node, TensorType, Value } from './graph.js';

export const typeToString = (t: TensorType): string => `${t.dtype}${shapeToString(t.shape)}`;

function attrToString(a: AttrValue): string {
  if (Array.isArray(a)) return `[${(a as readonly unknown[]).join(',')}]`;
  if (typeof a === 'object' && a !== null) {
    if ('nodes' in a) return `<graph ${a.name}>`;
    const c = a as { dtype: string; shape: readonly number[] };
    return `<tensor ${c.dtype}[${c.shape.join(',')}]>`;
  }
  return JSON.stringify(a);
}

const ref = (v: Value | null): string => (v === null ? '_' : v.data ? `$${v.name}` : `%${v.name}`);

export function printNode(n: Node): string {
  const outs = n.outputs.map((v) => `%${v.name}: ${typeToString(v.type)}`).join(', ');
  const attrs = Object.entries(n.attrs).map(([k, v]) => `${k}=${attrToString(v)}`).join(', ');
  return `${outs} = ${n.op}(${n.inputs.map(ref).join(', ')})${attrs ? ` {${attrs}}` : ''}`
    + `  // ${n.origin.opType} '${n.origin.name}'`;
}

export function printFunc(f: Func): string {
  const ins = f.inputs.map((v) => `%${v.name}: ${typeToString(v.type)}`).join(', ');
  const body = f.nodes.map((n) => `  ${printNode(n)}`).join('\n');
  return `func @${f.name}(${ins}) {\n${body}\n  return ${f.outputs.map(ref).join(', ')}\n}`;
}
