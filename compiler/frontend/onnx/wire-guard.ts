// Validates protobuf wire format before protobufjs decodes it, without recursion.
// Requires: the schema in schema.ts (to know which length-delimited fields are sub-messages).
// Guarantees: after `checkWire` returns, every field of every message the schema knows is
// well-formed, no length field claims more bytes than its enclosing message holds, and no message
// nests deeper than `maxDepth`. So protobufjs neither recurses deeply nor allocates a claimed size.

import protobuf from 'protobufjs';
import { Codes, fail } from '../../diagnostics.js';

// Below protobufjs' own recursion limit (100), so our clear error fires first.
export const MAX_MESSAGE_DEPTH = 96;

interface Frame { readonly type: protobuf.Type; readonly end: number }

const SUBMESSAGES = new WeakMap<protobuf.Type, Map<number, protobuf.Type>>();

/** Field number -> message type of that field, for one message type (cached). */
function subMessages(t: protobuf.Type): Map<number, protobuf.Type> {
  let m = SUBMESSAGES.get(t);
  if (!m) {
    m = new Map();
    for (const f of t.fieldsArray) {
      if (f.resolvedType instanceof protobuf.Type) m.set(f.id, f.resolvedType);
    }
    SUBMESSAGES.set(t, m);
  }
  return m;
}

/** Reads a varint at pos; returns [value, next pos]. Values above 2^53 stay approximate. */
function varint(buf: Uint8Array, pos: number, end: number): [number, number] {
  let v = 0, mul = 1;
  for (let i = 0; i < 10; i++) {
    if (pos >= end) fail(Codes.PROTO_MALFORMED, `truncated varint at byte ${pos}`);
    const b = buf[pos++]!;
    v += (b & 0x7f) * mul;
    if ((b & 0x80) === 0) return [v, pos];
    mul *= 128;
  }
  return fail(Codes.PROTO_MALFORMED, `varint longer than 10 bytes at byte ${pos}`);
}

/** Skips one field's payload; returns the next position or pushes a frame for a sub-message. */
function field(buf: Uint8Array, pos: number, top: Frame, stack: Frame[], maxDepth: number): number {
  const [tag, p] = varint(buf, pos, top.end);
  const num = Math.floor(tag / 8), wire = tag % 8;
  if (num === 0) fail(Codes.PROTO_MALFORMED, `field number 0 at byte ${pos}`);
  switch (wire) {
    case 0: return varint(buf, p, top.end)[1];
    case 1: return fixed(p, 8, top.end);
    case 5: return fixed(p, 4, top.end);
    case 2: {
      const [len, q] = varint(buf, p, top.end);
      if (len > top.end - q) {
        fail(Codes.PROTO_LENGTH, `field ${num} of ${top.type.name} claims ${len} bytes but only `
          + `${top.end - q} remain (byte ${pos})`);
      }
      const sub = subMessages(top.type).get(num);
      if (!sub) return q + len;
      if (stack.length >= maxDepth) {
        fail(Codes.PROTO_DEPTH, `messages nest deeper than ${maxDepth} levels (at ${sub.name})`);
      }
      stack.push({ type: sub, end: q + len });
      return q;
    }
    default: return fail(Codes.PROTO_MALFORMED, `invalid wire type ${wire} at byte ${pos}`);
  }
}

function fixed(p: number, n: number, end: number): number {
  if (p + n > end) fail(Codes.PROTO_MALFORMED, `truncated fixed-width field at byte ${p}`);
  return p + n;
}

/** Checks `buf` as a message of type `root`; throws KC0101/KC0102/KC0103 on bad input. */
export function checkWire(buf: Uint8Array, root: protobuf.Type, maxDepth = MAX_MESSAGE_DEPTH): void {
  const stack: Frame[] = [{ type: root, end: buf.length }];
  let pos = 0;
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (pos === top.end) { stack.pop(); continue; }
    if (pos > top.end) fail(Codes.PROTO_MALFORMED, `field overruns its message at byte ${pos}`);
    pos = field(buf, pos, top, stack, maxDepth);
  }
}

/** checkWire, then protobufjs' decode, with its errors as KC0101 naming the message type. */
export function decodeMessage<T>(bytes: Uint8Array, root: protobuf.Type, maxDepth = MAX_MESSAGE_DEPTH): T {
  checkWire(bytes, root, maxDepth);
  try {
    return root.decode(bytes) as unknown as T;
  } catch (e) {
    return fail(Codes.PROTO_MALFORMED, `cannot decode ${root.name}: ${(e as Error).message}`);
  }
}
