// Typed access to one ONNX node's attributes. Requires: decoded AttributeMsgs. Guarantees: every
// read checks the attribute's declared type and fails with KC0401 naming the node and attribute;
// attributes are kept in a Map keyed by name (names such as `__proto__` are harmless).

import { Codes, fail, type Where } from '../../diagnostics.js';
import { int64ToBigInt, type AttributeMsg, type GraphMsg, type TensorMsg } from './schema.js';

/** AttributeProto.AttributeType codes. */
export const AttrKind = Object.freeze({
  FLOAT: 1, INT: 2, STRING: 3, TENSOR: 4, GRAPH: 5, FLOATS: 6, INTS: 7, STRINGS: 8,
  TENSORS: 9, GRAPHS: 10, SPARSE_TENSOR: 11, SPARSE_TENSORS: 12, TYPE_PROTO: 13, TYPE_PROTOS: 14,
});

const KIND_NAMES = new Map<number, string>(Object.entries(AttrKind).map(([k, v]) => [v, k.toLowerCase()]));

export class AttrReader {
  private readonly map = new Map<string, AttributeMsg>();

  constructor(attrs: readonly AttributeMsg[], private readonly where: Where) {
    for (const a of attrs) {
      if (a.refAttrName) this.fail(a.name ?? '', 'refers to a function attribute (unsupported)');
      this.map.set(a.name ?? '', a);
    }
  }

  has(name: string): boolean { return this.map.has(name); }
  names(): string[] { return [...this.map.keys()]; }

  fail(name: string, message: string): never {
    return fail(Codes.ATTRIBUTE, `attribute '${name}' ${message}`, { ...this.where, attribute: name });
  }

  private get(name: string, kind: number): AttributeMsg | undefined {
    const a = this.map.get(name);
    if (a && a.type !== undefined && a.type !== 0 && a.type !== kind) {
      this.fail(name, `has type ${KIND_NAMES.get(a.type) ?? a.type}, expected ${KIND_NAMES.get(kind)}`);
    }
    return a;
  }

  int(name: string, def?: number): number {
    const a = this.get(name, AttrKind.INT);
    if (!a) return def ?? this.fail(name, 'is required');
    const b = int64ToBigInt(a.i);
    if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
      this.fail(name, `value ${b} is out of range`);
    }
    return Number(b);
  }

  float(name: string, def?: number): number {
    const a = this.get(name, AttrKind.FLOAT);
    if (!a) return def ?? this.fail(name, 'is required');
    return a.f ?? 0;
  }

  string(name: string, def?: string): string {
    const a = this.get(name, AttrKind.STRING);
    if (!a) return def ?? this.fail(name, 'is required');
    if (a.s !== undefined && a.s !== null && !ArrayBuffer.isView(a.s)) {
      return this.fail(name, 'is not a string');
    }
    return new TextDecoder().decode(a.s ?? new Uint8Array());
  }

  /** A list of strings (UTF-8 in the model). */
  strings(name: string, def?: readonly string[]): string[] {
    const a = this.get(name, AttrKind.STRINGS);
    if (!a) return def ? [...def] : this.fail(name, 'is required');
    const dec = new TextDecoder();
    return (a.strings ?? []).map((b) => dec.decode(b));
  }

  ints(name: string, def?: readonly number[]): number[] {
    const a = this.get(name, AttrKind.INTS);
    if (!a) return def ? [...def] : this.fail(name, 'is required');
    return (a.ints ?? []).map((v) => {
      const b = int64ToBigInt(v);
      if (b > BigInt(Number.MAX_SAFE_INTEGER) || b < BigInt(Number.MIN_SAFE_INTEGER)) {
        this.fail(name, `value ${b} is out of range`);
      }
      return Number(b);
    });
  }

  floats(name: string, def?: readonly number[]): number[] {
    const a = this.get(name, AttrKind.FLOATS);
    if (!a) return def ? [...def] : this.fail(name, 'is required');
    return [...(a.floats ?? [])];
  }

  tensor(name: string): TensorMsg | undefined {
    return this.get(name, AttrKind.TENSOR)?.t;
  }

  graph(name: string): GraphMsg | undefined {
    return this.get(name, AttrKind.GRAPH)?.g ?? undefined;
  }

  /** Every subgraph held by attributes (for depth and size checks). */
  graphs(): GraphMsg[] {
    const out: GraphMsg[] = [];
    for (const a of this.map.values()) {
      if (a.g) out.push(a.g);
      for (const g of a.graphs ?? []) out.push(g);
    }
    return out;
  }
}
