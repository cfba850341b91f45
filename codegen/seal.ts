// The artifact's digest trailer: 64 bytes appended to the linked .so, outside every ELF segment,
// whose last 32 bytes are the SHA-256 of every byte before them. Layout (and why) in
// native/src/runtime/artifact.h, which checks it before anything in the file is mapped.
// Guarantees: the same bytes as the native loader expects; the digest is computed with node:crypto.

import { createHash, createPublicKey, type KeyObject, sign } from 'node:crypto';

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

export const SIGNATURE_BLOCK_BYTES = 128;

/** The raw 32-byte Ed25519 public key of a private or public key object. */
export function rawPublicKey(key: KeyObject): Uint8Array {
  const pub = key.type === 'public' ? key : createPublicKey(key);
  const jwk = pub.export({ format: 'jwk' }) as { crv?: string; x?: string };
  if (jwk.crv !== 'Ed25519' || !jwk.x) throw new Error('not an Ed25519 key');
  return Buffer.from(jwk.x, 'base64url');
}

/**
 * The signature block (layout in native/src/runtime/signature.cc) that follows the ELF bytes `elf`: the
 * signer's public key and its Ed25519 signature of SHA-256(elf). `key` is an Ed25519 private key.
 */
export function signatureBlock(elf: Uint8Array, key: KeyObject): Uint8Array {
  const b = Buffer.alloc(SIGNATURE_BLOCK_BYTES);
  b.write('KSTRLSIG', 0, 'latin1');
  b.writeUInt32LE(1, 8);
  b.writeUInt32LE(1, 12);
  Buffer.from(rawPublicKey(key)).copy(b, 32);
  sign(null, createHash('sha256').update(elf).digest(), key).copy(b, 64);
  return b;
}

/** `body` with its complete trailer (digest filled): a loadable artifact's bytes. */
export function sealed(body: Uint8Array): Uint8Array {
  const header = trailerHeader(body.byteLength);
  return Buffer.concat([body, header, digestFor(body, header)]);
}
