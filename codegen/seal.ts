// The artifact's digest trailer: 64 bytes appended to the linked .so, outside every ELF segment,
// whose last 32 bytes are the SHA-256 of every byte before them. Layout (and why) in
// native/src/artifact.h, which checks it before anything in the file is mapped.
// Guarantees: the same bytes as the native loader expects; the digest is computed with node:crypto.

import { createHash } from 'node:crypto';

export const TRAILER_BYTES = 64;
export const DIGEST_BYTES = 32;
const MAGIC = 'KSTRLDGT';
const VERSION = 1;
const SHA256 = 1;

/** The trailer's first 32 bytes (magic, version, algorithm, body size) for a body of `size` bytes. */
export function trailerHeader(size: number): Uint8Array {
  const h = Buffer.alloc(TRAILER_BYTES - DIGEST_BYTES);
  h.write(MAGIC, 0, 'latin1');
  h.writeUInt32LE(VERSION, 8);
  h.writeUInt32LE(SHA256, 12);
  h.writeBigUInt64LE(BigInt(size), 16);
  return h;
}

/** SHA-256 of `body` followed by its trailer header: the value of the digest slot. */
export function digestFor(body: Uint8Array, header: Uint8Array): Uint8Array {
  return createHash('sha256').update(body).update(header).digest();
}

/** `body` with its complete trailer (digest filled): a loadable artifact's bytes. */
export function sealed(body: Uint8Array): Uint8Array {
  const header = trailerHeader(body.byteLength);
  return Buffer.concat([body, header, digestFor(body, header)]);
}
