// Tampered and foreign artifacts are rejected before anything in them is mapped (RELIABILITY.md
// case 14, DESIGN.md decision 5): a bit flipped in any ELF section the dynamic loader reads, in
// the kernels, bytecode, constants, manifest or digest trailer fails the SHA-256 digest (KR0001);
// a library with a constructor and a copied manifest is refused and its constructor never runs, and
// with a recomputed digest a library is still refused when dlopen would run or load anything of it
// (constructors, IFUNC resolvers, other libraries, search paths: native/src/runtime/elf_dynamic.cc).
// Loads run in a child process (test/fixtures/load-artifacts.mjs), so a crash fails the test
// instead of killing vitest, and the child must still load a good artifact afterwards.
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealed, TRAILER_BYTES } from '../../codegen/seal.js';
import { compile } from '../../compiler/driver.js';
import { encodeModel, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';
import { section, symbolOffset } from '../helpers/elf.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

interface Failure { code: string; message: string }
interface Outcome { path: string; inspect: Failure | null; load: Failure | null }

const dir = tempDir('kestrel-tamper-');
let good = '';

/** Runs the loader child on `paths` (then the good artifact) and returns one outcome per path. */
async function loadInChild(paths: string[]): Promise<Outcome[]> {
  const child = join(REPO_ROOT, 'test', 'fixtures', 'load-artifacts.mjs');
  const { stdout } = await promisify(execFile)('node', [child, ...paths, good], { maxBuffer: 16 << 20 });
  const outcomes = stdout.trim().split('\n').map((l) => JSON.parse(l) as Outcome);
  expect(outcomes).toHaveLength(paths.length + 1);
  expect(outcomes.at(-1)).toEqual({ path: good, inspect: null, load: null }); // the next good load works
  return outcomes.slice(0, -1);
}

function variant(name: string, edit: (f: Buffer) => Buffer | void): string {
  const f = readFileSync(good);
  const out = edit(f) ?? f;
  const path = join(dir, `${name}.so`);
  writeFileSync(path, out);
  return path;
}

const flipAt = (at: number) => (f: Buffer) => { f[at] ^= 0x40; };

beforeAll(async () => {
  const model = join(dir, 'm.onnx');
  writeFileSync(model, encodeModel({
    nodes: [node('Mul', ['x', 'w'], ['t']), node('Relu', ['t'], ['y'])],
    inputs: [vi('x', FLOAT, [64])], outputs: [vi('y', FLOAT, [64])],
    initializers: [floatTensor('w', [64], Array.from({ length: 64 }, (_, i) => i - 32))],
  }));
  good = join(dir, 'good.so');
  await compile(model, { output: good });
});

describe('tampered artifacts (in a child process)', () => {
  it('rejects a bit flip in any ELF section ld.so reads, in kernels, bytecode and constants', async () => {
    const f = readFileSync(good);
    const mid = (name: string) => { const s = section(f, name); return s.offset + (s.size >> 1); };
    const targets: Record<string, number> = {
      text: mid('.text'), dynamic: mid('.dynamic'), rela: mid('.rela.dyn'), dynsym: mid('.dynsym'),
      gnuhash: mid('.gnu.hash'), dynstr: mid('.dynstr'), manifest: mid('.kestrel_manifest'),
      bytecode: symbolOffset(f, 'kestrel_bytecode') + 40, constants: symbolOffset(f, 'kestrel_constants') + 4,
      elfHeader: 0x18 /* e_entry */, digest: f.length - 1, trailerSize: f.length - TRAILER_BYTES + 16,
    };
    expect(f.toString('latin1', targets.bytecode - 40, targets.bytecode - 36)).toBe('KSBC'); // bytecode magic
    const paths = Object.entries(targets).map(([name, at]) => variant(name, flipAt(at)));
    for (const o of await loadInChild(paths)) {
      expect(o.load, o.path).toMatchObject({ code: 'KR0001' });
      expect(o.inspect, o.path).toMatchObject({ code: 'KR0001' });
      expect(o.load!.message).toMatch(/digest/);
    }
  });

  it('rejects truncated files and files with no trailer or an appended tail', async () => {
    const paths = [
      variant('cut1', (f) => f.subarray(0, f.length - 1)),
      variant('noTrailer', (f) => f.subarray(0, f.length - TRAILER_BYTES)),
      variant('appended', (f) => Buffer.concat([f, Buffer.from('x')])),
    ];
    for (const o of await loadInChild(paths)) expect(o.load, o.path).toMatchObject({ code: 'KR0001' });
  });

  // ld.so reserves the span from the first PT_LOAD to the last one's end and maps every segment
  // MAP_FIXED in it: a segment reaching past that span (the fuzzer's artifact-sigsegv case: the
  // text segment's p_memsz grown to 40 GiB, whose zero-fill pages were mapped over ld.so itself)
  // or segments out of order were mapped over the process's other mappings, a SIGSEGV in dlopen.
  // ld.so also reads the dynamic section and applies RELRO through their addresses.
  it('rejects resealed program headers that ld.so would map over other memory (elf_dynamic.cc)', async () => {
    const phdrs = (f: Buffer) => {
      const off = Number(f.readBigUInt64LE(32)), n = f.readUInt16LE(56);
      return Array.from({ length: n }, (_, i) => off + 56 * i);
    };
    const ofType = (f: Buffer, type: number) => phdrs(f).filter((p) => f.readUInt32LE(p) === type);
    const resealed = (name: string, edit: (f: Buffer) => void) => variant(name, (f) => {
      const body = Buffer.from(f.subarray(0, f.length - TRAILER_BYTES));
      edit(body);
      return Buffer.from(sealed(body));
    });
    const cases: [string, (f: Buffer) => void, RegExp][] = [
      ['memszPastNext', (f) => { // the fuzzer's case: the text segment's p_memsz + 40 GiB
        const p = ofType(f, 1)[1]!;
        f.writeBigUInt64LE(f.readBigUInt64LE(p + 40) + (10n << 32n), p + 40);
      }, /loadable segments overlap/],
      ['memszPastLast', (f) => { const p = ofType(f, 1)[0]!; f.writeBigUInt64LE(1n << 36n, p + 40); },
        /loadable segments overlap/],
      ['outOfOrder', (f) => { const [a, b] = ofType(f, 1); const t = Buffer.from(f.subarray(a!, a! + 56));
        f.copy(f, a!, b!, b! + 56); t.copy(f, b!); }, /out of address order/],
      ['wraps', (f) => { const p = ofType(f, 1).at(-1)!; f.writeBigUInt64LE(0xffffffffffff0000n, p + 40); },
        /past the address space/],
      ['dynamicMoved', (f) => {
        const p = ofType(f, 2)[0]!;
        f.writeBigUInt64LE(f.readBigUInt64LE(p + 16) - 0x100n, p + 16);
      }, /dynamic segment's address/],
      ['relroOutside', (f) => { const p = ofType(f, 0x6474e552)[0]!; f.writeBigUInt64LE(1n << 40n, p + 16); },
        /RELRO segment/],
    ];
    const paths = cases.map(([name, edit]) => resealed(name, edit));
    const outcomes = await loadInChild(paths);
    outcomes.forEach((o, i) => {
      expect(o.load, o.path).toMatchObject({ code: 'KR0001', message: expect.stringMatching(cases[i]![2]) });
      expect(o.inspect, o.path).toMatchObject({ code: 'KR0001' });
    });
  });
});

/** The good artifact's manifest JSON, as C source that puts it in a .kestrel_manifest section. */
function manifestC(): string {
  const f = readFileSync(good);
  const s = section(f, '.kestrel_manifest');
  const json = f.toString('latin1', s.offset, s.offset + s.size).replace(/\0+$/, '');
  return '__attribute__((section(".kestrel_manifest"), used))\n'
    + `const char kestrel_manifest[] = ${JSON.stringify(json)};`;
}

/** Builds a shared library from C `body` (plus the copied manifest) with extra cc flags. */
function foreignLibrary(name: string, body: string[], flags: string[] = []): string {
  const src = join(dir, `${name}.c`), lib = join(dir, `${name}.so`);
  writeFileSync(src, ['#include <fcntl.h>', '#include <unistd.h>', ...body, manifestC(), ''].join('\n'));
  execFileSync('cc', ['-shared', '-fPIC', '-o', lib, src, ...flags]);
  return lib;
}

const touch = (marker: string) => `close(open(${JSON.stringify(marker)}, O_CREAT | O_WRONLY, 0644));`;

describe('a foreign library with a copied manifest', () => {
  it('is refused and its constructor never runs', async () => {
    const marker = join(dir, 'constructor-ran');
    const ctor = `__attribute__((constructor)) static void ran(void) { ${touch(marker)} }`;
    const lib = foreignLibrary('evil', [ctor]);
    const withGoodTrailer = variant('evil-trailer', () => Buffer.concat([readFileSync(lib),
      readFileSync(good).subarray(-TRAILER_BYTES)]));
    const outcomes = await loadInChild([lib, withGoodTrailer]);
    expect(outcomes[0].load).toMatchObject({ code: 'KR0001' });
    expect(outcomes[0].load!.message).toMatch(/no kestrel digest trailer/);
    expect(outcomes[1].load).toMatchObject({ code: 'KR0001' });
    expect(outcomes[1].load!.message).toMatch(/digest/);
    expect(existsSync(marker)).toBe(false);
    // The same library loaded the ordinary way does run its constructor: the marker is a real probe.
    execFileSync('node', ['-e', `try { process.dlopen({ exports: {} }, ${JSON.stringify(lib)}); } catch {}`]);
    expect(existsSync(marker)).toBe(true);
  });

  it('is refused even with a recomputed digest: code that would run at dlopen, other libraries', async () => {
    const ctor = join(dir, 'sealed-ctor-ran'), ifunc = join(dir, 'ifunc-ran');
    writeFileSync(join(dir, 'other.c'), 'int other(void) { return 1; }\n');
    execFileSync('cc', ['-shared', '-fPIC', '-o', join(dir, 'libother.so'), join(dir, 'other.c')]);
    const libs: [string, RegExp][] = [
      [foreignLibrary('s-ctor', [`__attribute__((constructor)) static void ran(void) { ${touch(ctor)} }`]),
        /an initialiser or finaliser/],
      [foreignLibrary('s-ifunc', ['static int impl(void) { return 0; }',
        `static void* pick(void) { ${touch(ifunc)} return (void*)impl; }`,
        'int kestrel_kernel_count(void) __attribute__((ifunc("pick")));'], ['-nostartfiles']), /IFUNC/],
      [foreignLibrary('s-needed', ['int other(void);', 'int use(void) { return other(); }'],
        ['-nostartfiles', `-L${dir}`, '-lother']), /needs library 'libother\.so'/],
      [foreignLibrary('s-runpath', ['int x = 1;'], ['-nostartfiles', '-Wl,-rpath,/tmp']), /search path/],
    ];
    const paths = libs.map(([lib], i) => variant(`sealed${i}`, () => Buffer.from(sealed(readFileSync(lib)))));
    const outcomes = await loadInChild(paths);
    outcomes.forEach((o, i) => {
      expect(o.load, o.path).toMatchObject({ code: 'KR0001', message: libs[i][1] });
      expect(o.inspect, o.path).toMatchObject({ code: 'KR0001' });
    });
    expect(existsSync(ctor)).toBe(false);
    expect(existsSync(ifunc)).toBe(false);
  });
});
