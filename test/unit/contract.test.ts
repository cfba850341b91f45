// The runtime contract (runtime-vm/contract.json): the generated TypeScript and C++ tables are up
// to date, both TypeScript dtype tables come from it and agree, the runtime codes are the ones
// KestrelError carries, and the manifest the driver writes has exactly the declared top-level
// fields (every required one), so the writer (compiler/driver.ts) and the reader
// (native/src/runtime/manifest.cc) cannot drift apart unnoticed.

import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain JS module without types
import { outputs } from '../../scripts/gen-contract.mjs';
import { compile } from '../../compiler/driver.js';
import { ALL_DTYPES, dtypeInfo } from '../../ir/dtype.js';
import { MANIFEST_FIELDS, RUNTIME_CODES } from '../../runtime-vm/contract.generated.js';
import { RUNTIME_DTYPES } from '../../runtime-vm/dtypes.js';
import { RuntimeCodes } from '../../runtime-vm/errors.js';
import { inspectArtifact } from '../../runtime-vm/session.js';
import { tinyModel } from '../fixtures/onnx-builder.js';
import { tempDir } from '../helpers/shared.js';

const ROOT = join(import.meta.dirname, '..', '..');
const contract = JSON.parse(readFileSync(join(ROOT, 'runtime-vm/contract.json'), 'utf8')) as {
  dtypes: { name: string; code: number; bytes: number }[];
  runtime_codes: { name: string; code: string }[];
};

describe('runtime contract', () => {
  it('generated files are up to date with contract.json (run `npm run gen:contract`)', () => {
    for (const [path, text] of outputs() as [string, string][]) {
      expect(readFileSync(path, 'utf8'), path).toBe(text);
    }
  });

  it('the compiler and runtime dtype tables are the declared ones', () => {
    expect(ALL_DTYPES.map((d) => [d, dtypeInfo(d).code, dtypeInfo(d).bytes]))
      .toEqual(contract.dtypes.map((d) => [d.name, d.code, d.bytes]));
    // A string element is 16 bytes in the VM (pointer + length); in JS it is a string (no typed array).
    expect(RUNTIME_DTYPES.map((d) => [d.name, d.code, d.array?.BYTES_PER_ELEMENT ?? 16]))
      .toEqual(contract.dtypes.map((d) => [d.name, d.code, d.name === 'bool' ? 1 : d.bytes]));
  });

  it('RuntimeCodes is the declared table', () => {
    expect(RuntimeCodes).toBe(RUNTIME_CODES);
    expect(Object.entries(RuntimeCodes)).toEqual(contract.runtime_codes.map((c) => [c.name, c.code]));
  });

  it('the manifest the driver writes has exactly the declared fields', async () => {
    const dir = tempDir('kestrel-contract-');
    const model = join(dir, 'tiny.onnx'), so = join(dir, 'tiny.so');
    writeFileSync(model, tinyModel());
    await compile(model, { output: so });
    const { manifest, loadError } = inspectArtifact(so);
    expect(loadError).toBeNull();
    const declared = MANIFEST_FIELDS.map((f) => f.name);
    expect(Object.keys(manifest).filter((k) => !declared.includes(k as never))).toEqual([]);
    const required = MANIFEST_FIELDS.filter((f) => f.required).map((f) => f.name);
    expect(required.filter((k) => !(k in manifest))).toEqual([]);
    for (const f of MANIFEST_FIELDS) {
      if (!(f.name in manifest)) continue;
      const v = manifest[f.name];
      const kind = Array.isArray(v) ? 'array' : Number.isInteger(v) ? 'integer' : typeof v;
      expect(kind, f.name).toBe(f.type);
    }
  });
});
