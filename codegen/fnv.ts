// FNV-1a 64-bit hash, the artifact's tamper check for bytecode and constants (the native loader
// computes the same). Works on 16-bit limbs so it needs no BigInt in the byte loop.

/** Lowercase 16-digit hex FNV-1a 64 of `bytes`. */
export function fnv1a64(bytes: Uint8Array): string {
  // h = h3:h2:h1:h0 (16-bit limbs), offset basis 0xcbf29ce484222325.
  let h0 = 0x2325, h1 = 0x8422, h2 = 0x9ce4, h3 = 0xcbf2;
  for (let i = 0; i < bytes.length; i++) {
    h0 ^= bytes[i];
    // h * 0x100000001b3 = h * 0x1b3 + (h << 40)
    const t0 = h0 * 0x1b3;
    const t1 = h1 * 0x1b3 + (t0 >>> 16);
    const t2 = h2 * 0x1b3 + (t1 >>> 16) + (h0 << 8);
    const t3 = h3 * 0x1b3 + (t2 >>> 16) + (h1 << 8);
    h0 = t0 & 0xffff;
    h1 = t1 & 0xffff;
    h2 = (t2 & 0xffff);
    h3 = t3 & 0xffff;
  }
  const hex = (x: number) => x.toString(16).padStart(4, '0');
  return hex(h3) + hex(h2) + hex(h1) + hex(h0);
}
