// Lays out the constants a program uses in one blob, each 64-byte aligned so kernels can read
// them in place from the artifact's read-only data.

import { type Value, isConst } from '../../ir/graph.js';

export const CONST_ALIGN = 64;

export class ConstantPool {
  private readonly offsets = new Map<number, number>();
  private readonly parts: Uint8Array[] = [];
  private size = 0;

  offsetOf(v: Value): number {
    const hit = this.offsets.get(v.id);
    if (hit !== undefined) return hit;
    if (!isConst(v)) throw new Error(`value '${v.name}' is not a constant`);
    const pad = (CONST_ALIGN - (this.size % CONST_ALIGN)) % CONST_ALIGN;
    if (pad) this.parts.push(new Uint8Array(pad));
    const offset = this.size + pad;
    this.parts.push(v.data.bytes);
    this.size = offset + v.data.bytes.byteLength;
    this.offsets.set(v.id, offset);
    return offset;
  }

  /** The blob, padded to a multiple of the alignment (never empty). */
  bytes(): Uint8Array {
    const total = Math.max(CONST_ALIGN, Math.ceil(this.size / CONST_ALIGN) * CONST_ALIGN);
    const out = new Uint8Array(total);
    let at = 0;
    for (const p of this.parts) {
      out.set(p, at);
      at += p.byteLength;
    }
    return out;
  }
}
