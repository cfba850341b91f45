// Optional artifact signatures: `compile(..., { signingKey })` adds an Ed25519 signature and
// `load(path, { trustedKeys })` requires one by a trusted key, checked by the C runtime (libsodium)
// before anything is mapped (KR0007). Without trusted keys, signatures are not required.
import { generateKeyPairSync } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealed, SIGNATURE_BLOCK_BYTES, TRAILER_BYTES } from '../../codegen/seal.js';
import { compile } from '../../compiler/driver.js';
import { load, type LoadOptions } from '../../runtime-vm/index.js';
import { encodeModel, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';
import { section } from '../helpers/elf.js';
import { f32, floats } from '../helpers/models.js';
import { tempDir } from '../helpers/shared.js';

const dir = tempDir('kestrel-sign-');
const model = join(dir, 'm.onnx');
const keys = generateKeyPairSync('ed25519'), other = generateKeyPairSync('ed25519');
const x = { x: f32([4], [-1, 2, -3, 4]) };
let signed = '', unsigned = '';

beforeAll(async () => {
  writeFileSync(model, encodeModel({
    nodes: [node('Mul', ['x', 'w'], ['y'])], inputs: [vi('x', FLOAT, [4])], outputs: [vi('y', FLOAT, [4])],
    initializers: [floatTensor('w', [4], [1, 2, 3, 4])],
  }));
  signed = join(dir, 'signed.so');
  unsigned = join(dir, 'unsigned.so');
  await compile(model, { output: signed, signingKey: keys.privateKey });
  await compile(model, { output: unsigned });
});

async function loadCode(path: string, trustedKeys?: LoadOptions['trustedKeys']) {
  try {
    (await load(path, { trustedKeys })).dispose();
    return null;
  } catch (e) {
    return e as { code: string; message: string };
  }
}

describe('artifact signatures (KR0007)', () => {
  it('loads a signed artifact with its public key (KeyObject, PEM or raw), and without keys', async () => {
    const pem = keys.publicKey.export({ format: 'pem', type: 'spki' }).toString();
    const raw = Buffer.from(keys.publicKey.export({ format: 'jwk' }).x!, 'base64url');
    for (const k of [keys.publicKey, pem, raw]) {
      const s = await load(signed, { trustedKeys: [other.publicKey, k] });
      expect(floats((await s.run(x)).y)).toEqual([-1, 4, -9, 16]);
      s.dispose();
    }
    expect(await loadCode(signed)).toBeNull();
  });

  it('refuses an unsigned artifact or one signed by another key when keys are given', async () => {
    expect(await loadCode(unsigned, [keys.publicKey]))
      .toMatchObject({ code: 'KR0007', message: /not signed/ });
    expect(await loadCode(signed, [other.publicKey]))
      .toMatchObject({ code: 'KR0007', message: /not among the trusted keys/ });
  });

  it('refuses a signed artifact changed after signing even when its digest was recomputed', async () => {
    const f = readFileSync(signed);
    const elfEnd = f.length - TRAILER_BYTES - SIGNATURE_BLOCK_BYTES;
    const text = section(f, '.text');
    f[text.offset + (text.size >> 1)] ^= 0x01; // kernel code changes (no hash but the digest covers it)
    const resealed = join(dir, 'resealed.so');
    writeFileSync(resealed, sealed(f.subarray(0, f.length - TRAILER_BYTES)));
    expect(elfEnd).toBeGreaterThan(0);
    expect(await loadCode(resealed, [keys.publicKey]))
      .toMatchObject({ code: 'KR0007', message: /does not verify/ });
    expect(await loadCode(resealed)).toBeNull(); // the digest alone cannot tell: this is what signing adds
  });

  it('rejects keys that are not Ed25519 (KC0903 to compile, KR0007 to load)', async () => {
    const rsa = generateKeyPairSync('rsa', { modulusLength: 1024 });
    await expect(compile(model, { output: join(dir, 'rsa.so'), signingKey: rsa.privateKey }))
      .rejects.toMatchObject({ code: 'KC0903' });
    await expect(compile(model, { output: join(dir, 'pub.so'), signingKey: keys.publicKey }))
      .rejects.toMatchObject({ code: 'KC0903' });
    expect(await loadCode(signed, [rsa.publicKey])).toMatchObject({ code: 'KR0007' });
    expect(await loadCode(signed, [new Uint8Array(7)])).toMatchObject({ code: 'KR0007' });
  });
});
