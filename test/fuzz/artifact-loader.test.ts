// Fuzzes the artifact loader (digest, ELF and dynamic-section checks, manifest, CPU features,
// bytecode verifier; native/src/runtime/artifact_file.cc and neighbours) with mutated copies of a freshly
// compiled artifact: byte mutations anywhere, and flips or overwrites aimed at the sections ld.so
// and the loader read. Most variants are resealed (the digest recomputed), so they get past the
// digest and reach the ELF, manifest and bytecode checks — what a forger who can write the file
// could produce. Loads run in a child process (test/fixtures/load-artifacts.mjs), a batch per
// execution: a crash of the child (a signal, an abort, a sanitiser report) fails the property.
// The property: inspect and load each succeed or fail with a KR code, and the child then loads
// the good artifact. The corpus holds mutation lists (JSON), replayed against today's artifact.

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { sealed, TRAILER_BYTES } from '../../codegen/seal.js';
import { compile } from '../../compiler/driver.js';
import { tinyModel } from '../fixtures/onnx-builder.js';
import { sections, symbolOffset } from '../helpers/elf.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';
import { byteMutation, corpus, fuzz, mutateBytes, saveCrash, type ByteMutation } from './harness.js';

const AIMED = ['.dynamic', '.rela.dyn', '.dynsym', '.dynstr', '.gnu.hash', '.kestrel_manifest', '.text',
  '.init_array', '.fini_array', '.data.rel.ro', '.rodata', '.data'];

/** One variant: byte mutations, aimed writes (section, offset, value) and whether to reseal. */
interface Variant { readonly muts: ByteMutation[]; readonly aimed: [number, number, number][];
  readonly reseal: boolean }

const variantArb: fc.Arbitrary<Variant> = fc.record({
  muts: fc.array(byteMutation(1 << 16), { maxLength: 3 }),
  aimed: fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(255)), { maxLength: 4 }),
  reseal: fc.nat(3).map((n) => n > 0), // three in four resealed
});

const dir = tempDir('kestrel-fuzz-so-');
let good = '';
let goodBytes = Buffer.alloc(0);

/** The variant's bytes: aimed writes and mutations on the body, then (maybe) a fresh trailer. */
function build(v: Variant): Uint8Array {
  const body = Buffer.from(goodBytes.subarray(0, goodBytes.length - TRAILER_BYTES));
  const secs = sections(goodBytes).filter((s) => AIMED.includes(s.name) && s.size > 0);
  for (const [si, off, value] of v.aimed) {
    const s = secs[si % secs.length]!;
    body[s.offset + (off % s.size)] = value;
  }
  const mutated = mutateBytes(body, v.muts);
  return v.reseal ? sealed(mutated) : Buffer.concat([mutated, goodBytes.subarray(body.length)]);
}

/** Corpus form: a JSON array of variants (inserted bytes as plain arrays). */
const toJson = (vs: readonly Variant[]) => JSON.stringify(vs.map((v) => ({
  ...v, muts: v.muts.map((m) => (m.kind === 'insert' ? { ...m, data: Array.from(m.data) } : m)),
})));
const fromJson = (text: string): Variant[] => (JSON.parse(text) as Variant[]).map((v) => ({
  ...v, muts: v.muts.map((m) => (m.kind === 'insert' ? { ...m, data: Uint8Array.from(m.data) } : m)),
}));

interface Outcome { path: string; inspect: { code: string } | null; load: { code: string } | null }

/** Loads every variant in one child; returns why it broke the loader, or undefined. */
async function childFault(variants: readonly Variant[]): Promise<string | undefined> {
  const paths = variants.map((v, i) => {
    const p = join(dir, `v${i}.so`);
    writeFileSync(p, build(v));
    return p;
  });
  const child = join(REPO_ROOT, 'test', 'fixtures', 'load-artifacts.mjs');
  let stdout: string;
  try {
    ({ stdout } = await promisify(execFile)(process.execPath, [child, ...paths, good],
      { maxBuffer: 16 << 20, timeout: 60_000 }));
  } catch (e) {
    const err = e as { signal?: string; code?: number; stdout?: string; stderr?: string };
    const done = (err.stdout ?? '').trim().split('\n').filter(Boolean).length;
    return `child died (signal ${err.signal}, exit ${err.code}) at variant ${done}: `
      + `${err.stderr?.slice(-2000)}`;
  }
  const outcomes = stdout.trim().split('\n').map((l) => JSON.parse(l) as Outcome);
  const bad = outcomes.slice(0, -1).flatMap((o) => [o.inspect, o.load])
    .filter((f) => f !== null && !/^KR\d{4}$/.test(f.code));
  if (bad.length > 0) return `not a KR code: ${JSON.stringify(bad)}`;
  const last = outcomes.at(-1);
  if (outcomes.length !== paths.length + 1 || last?.load !== null || last.inspect !== null) {
    return `the good artifact did not load after the variants: ${JSON.stringify(last)}`;
  }
  return undefined;
}

describe('fuzz: artifact loader (child process)', () => {
  beforeAll(async () => {
    writeFileSync(join(dir, 'tiny.onnx'), tinyModel());
    good = join(dir, 'good.so');
    await compile(join(dir, 'tiny.onnx'), { output: good });
    goodBytes = readFileSync(good);
  }, 120_000);

  it('every corpus entry is refused or loaded, never a crash (the regression replay)', async () => {
    const entries = corpus('artifact-loader').flatMap(([, b]) => fromJson(Buffer.from(b).toString()));
    expect(entries.length).toBeGreaterThan(0);
    expect(await childFault(entries)).toBeUndefined();
  });

  it('regressions: symbol value or name out of bounds, a size past its symbol, an unknown tag', async () => {
    const f = Buffer.from(goodBytes.subarray(0, goodBytes.length - TRAILER_BYTES));
    const dynsym = sections(goodBytes).find((x) => x.name === '.dynsym')!;
    const wild = Buffer.from(f);
    wild[dynsym.offset + 24 * 1 + 12] = 0x92; // symbol 1's st_value gets bit 36 and more
    const wildName = Buffer.from(f);
    wildName[dynsym.offset + 24 * 1 + 3] = 0xdd; // symbol 1's st_name far past the string table
    const huge = Buffer.from(f);
    huge.writeBigUInt64LE(1n << 40n, symbolOffset(goodBytes, 'kestrel_bytecode_size'));
    const noRelaSize = Buffer.from(f); // DT_RELASZ retagged: ld.so would read a null size entry
    const dyn = sections(goodBytes).find((x) => x.name === '.dynamic')!;
    for (let p = dyn.offset; p < dyn.offset + dyn.size; p += 16) {
      if (f.readBigInt64LE(p) === 8n) noRelaSize.writeBigInt64LE(0xd5n, p);
    }
    const paths = [wild, wildName, huge, noRelaSize].map((b, i) => { const p = join(dir, `regression${i}.so`);
      writeFileSync(p, sealed(b)); return p; });
    const child = join(REPO_ROOT, 'test', 'fixtures', 'load-artifacts.mjs');
    const { stdout } = await promisify(execFile)(process.execPath, [child, ...paths, good]);
    const [a, n, b, c, last] = stdout.trim().split('\n').map((l) => JSON.parse(l) as Outcome);
    expect(a!.load).toMatchObject({ code: 'KR0001', message: expect.stringMatching(/symbol lies outside/) });
    expect(n!.load).toMatchObject({ code: 'KR0001', message: expect.stringMatching(/name lies outside/) });
    expect(b!.load).toMatchObject({ code: 'KR0001', message: expect.stringMatching(/size exceeds/) });
    expect(c!.load).toMatchObject({ code: 'KR0001', message: expect.stringMatching(/dynamic tag 213/) });
    expect(last).toMatchObject({ load: null, inspect: null });
  });

  it('survives mutated and resealed artifacts for its time budget', async () => {
    const report = await fuzz('artifact-loader', fc.asyncProperty(
      fc.array(variantArb, { minLength: 1, maxLength: 24 }), async (variants) => {
        const fault = await childFault(variants);
        if (fault !== undefined) throw new Error(fault);
      }), (variants) => {
      saveCrash('artifact-loader', Buffer.from(toJson(variants)), 'json');
    });
    expect(report.executions).toBeGreaterThan(0);
  }, 600_000);
});
