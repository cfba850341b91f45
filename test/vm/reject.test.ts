// Artifacts and bytecode that must be rejected at load, with stable codes, before anything runs:
// verifier failures (KR0005), a file that fails its digest or is truncated / random (KR0001),
// manifest hashes that disagree with the exported data (KR0002), another architecture (KR0003),
// another kestrel version or bytecode format (KR0004). Bit flips in every ELF section, foreign
// libraries and CPU features: test/errors/artifact-tamper.test.ts.
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Assembler } from '../../codegen/bytecode.js';
import { load } from '../../runtime-vm/index.js';
import { tempPath } from './artifact.js';
import { F32, vaddArtifact, vaddProgram, VADD_IO, withKernels } from './programs.js';

async function loadError(path: string): Promise<{ code: string; message: string }> {
  try {
    (await load(path)).dispose();
  } catch (e) {
    return e as { code: string; message: string };
  }
  throw new Error(`${path} loaded but should have been rejected`);
}

/** The vadd program with its bytecode words edited. Header: 7 words; strings; code length; code. */
function patched(edit: (w: Uint32Array, codeStart: number) => Uint32Array): string {
  const bytes = vaddProgram();
  const w = new Uint32Array(bytes.buffer.slice(0));
  const strLen = w[7];
  const codeStart = 7 + 1 + Math.ceil(strLen / 4) + 1;
  const out = edit(w, codeStart);
  return withKernels(new Uint8Array(out.buffer), VADD_IO.inputs, VADD_IO.outputs);
}

describe('bytecode verification (KR0005)', () => {
  it('rejects a register out of range', async () => {
    const e = await loadError(patched((w) => { w[2] = 2; return w; })); // n_regs 4 -> 2
    expect(e.code).toBe('KR0005');
    expect(e.message).toMatch(/register 2 out of range/);
  });

  it('rejects a jump into the middle of an instruction', async () => {
    const a = new Assembler();
    const L = a.label();
    a.emit('int_const', { dst: a.reg(), value: 1 });
    a.bind(L);
    a.emit('jump', { target: L });
    const w = new Uint32Array(a.finish({ nInputs: 0, nOutputs: 0, nKernels: 0 }).buffer);
    w[w.length - 1] = 1; // lands on int_const's operand
    const e = await loadError(withKernels(new Uint8Array(w.buffer), [], []));
    expect(e.code).toBe('KR0005');
    expect(e.message).toMatch(/jump target 1 is not an instruction/);
  });

  it('rejects an unknown opcode', async () => {
    const e = await loadError(patched((w, c) => { w[c] = 99; return w; }));
    expect(e.code).toBe('KR0005');
    expect(e.message).toMatch(/unknown opcode 99/);
  });

  it('rejects truncated code and code that falls off the end', async () => {
    const trunc = await loadError(patched((w, c) => {
      const out = w.slice(0, w.length - 1);
      out[c - 1] -= 1;
      return out;
    }));
    expect(trunc.code).toBe('KR0005');
    expect(trunc.message).toMatch(/truncated operands/);
    const a = new Assembler();
    a.emit('int_const', { dst: a.reg(), value: 1 });
    const e = await loadError(withKernels(a.finish({ nInputs: 0, nOutputs: 0, nKernels: 5 }), [], []));
    expect(e.message).toMatch(/fall off the end/);
  });

  it('rejects bad magic, bad dtype, bad kernel index and a wrong output count', async () => {
    expect((await loadError(patched((w) => { w[0] = 0; return w; }))).message).toMatch(/magic/);
    const dt = await loadError(patched((w, c) => { w[c + 3] = 42; return w; }));
    expect(dt.message).toMatch(/dtype 42 out of range/);
    const a = new Assembler();
    a.emit('call_kernel', { kernel: 5, tensors: [], scalars: [] });
    a.emit('ret', { outputs: [] });
    const k = await loadError(withKernels(a.finish({ nInputs: 0, nOutputs: 0, nKernels: 5 }), [], []));
    expect(k.message).toMatch(/kernel 5 out of range/);
    const b = new Assembler();
    b.emit('input', { dst: b.reg(), index: 0, dtype: F32, rank: 1 });
    b.emit('ret', { outputs: [] });
    const r = await loadError(withKernels(b.finish({ nInputs: 1, nOutputs: 1, nKernels: 5 }),
      [{ name: 'x', dtype: 'float32', shape: [1] }], [{ name: 'y', dtype: 'float32', shape: [1] }]));
    expect(r.message).toMatch(/ret returns 0 values, the program declares 1/);
  });
});

describe('artifact checks', () => {
  it('rejects a flipped byte in the bytecode (digest mismatch, KR0001)', async () => {
    const file = readFileSync(vaddArtifact());
    const at = file.indexOf(Buffer.from('KSBC'));
    expect(at).toBeGreaterThan(0);
    file[at + 60] ^= 0x01;
    const path = tempPath('.so');
    writeFileSync(path, file);
    const e = await loadError(path);
    expect(e.code).toBe('KR0001');
    expect(e.message).toMatch(/does not match its SHA-256 digest/);
  });

  it('rejects bytecode that does not match its manifest hash (KR0002)', async () => {
    const wrong = (m: Record<string, unknown>) => { m.bytecode_fnv1a64 = '0123456789abcdef'; };
    const e = await loadError(vaddArtifact({ manifest: wrong }));
    expect(e.code).toBe('KR0002');
    expect(e.message).toMatch(/bytecode hash/);
  });

  it('rejects constants that do not match their hash', async () => {
    const wrong = (m: Record<string, unknown>) => { m.constants_fnv1a64 = '0123456789abcdef'; };
    const e = await loadError(vaddArtifact({ manifest: wrong }));
    expect(e.code).toBe('KR0002');
    expect(e.message).toMatch(/constants hash/);
  });

  it('rejects truncated files, random bytes, missing files and non-ELF text (KR0001)', async () => {
    const file = readFileSync(vaddArtifact());
    const cut = tempPath('.so');
    writeFileSync(cut, file.subarray(0, file.length >> 1));
    expect((await loadError(cut)).code).toBe('KR0001');
    const rnd = tempPath('.so');
    writeFileSync(rnd, Buffer.from(Array.from({ length: 4096 }, (_, i) => (i * 7919 + 13) & 255)));
    expect((await loadError(rnd)).code).toBe('KR0001');
    expect((await loadError(tempPath('.missing'))).code).toBe('KR0001');
    const elfHeaderOnly = tempPath('.so');
    writeFileSync(elfHeaderOnly, file.subarray(0, 64));
    expect((await loadError(elfHeaderOnly)).message).toMatch(/truncated/);
  });

  it('rejects another architecture (KR0003) and another version or format (KR0004)', async () => {
    const other = process.arch === 'arm64' ? 'x86_64' : 'aarch64';
    const foreign = (m: Record<string, unknown>) => { m.target = { arch: other, requires: [] }; };
    const arch = await loadError(vaddArtifact({ manifest: foreign }));
    expect(arch.code).toBe('KR0003');
    expect(arch.message).toContain(other);
    const ver = await loadError(vaddArtifact({ manifest: (m) => { m.kestrel = '9.0.0'; } }));
    expect(ver.code).toBe('KR0004');
    expect(ver.message).toMatch(/kestrel 9\.0\.0/);
    const fmt = await loadError(vaddArtifact({ manifest: (m) => { m.bytecode_format = 2; } }));
    expect(fmt.code).toBe('KR0004');
  });

  it('rejects malformed manifests (KR0002)', async () => {
    const fmt = await loadError(vaddArtifact({ manifest: (m) => { m.format = 2; } }));
    expect(fmt.code).toBe('KR0002');
    const dt = await loadError(vaddArtifact({ manifest: (m) => {
      m.inputs = [{ name: 'x', dtype: 'complex64', shape: ['n'] },
        { name: 'y', dtype: 'float32', shape: ['n'] }];
    } }));
    expect(dt.code).toBe('KR0002');
    expect(dt.message).toMatch(/complex64/);
    const count = await loadError(vaddArtifact({ manifest: (m) => { m.outputs = []; } }));
    expect(count.code).toBe('KR0005');
  });
});
