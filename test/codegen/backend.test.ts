// The LLVM addon and the linker: diagnostics as KestrelErrors, constant-data objects with their
// symbols and manifest section, atomic linking, host target detection, the IR text itself.

import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compileIR, emitDataObject, llvmHostInfo } from '../../codegen/llvm/backend.js';
import { emitModule } from '../../codegen/llvm/emit.js';
import { linkSharedObject } from '../../codegen/link.js';
import { hostTarget, makeTarget, targetFromName } from '../../codegen/target.js';
import { printKernel } from '../../ir/tir-print.js';
import { workDir } from './harness.js';
import * as K from './kernels.js';

const t = hostTarget();

describe('LLVM backend addon', () => {
  it('reports the host', () => {
    const h = llvmHostInfo();
    expect(h.cpu.length).toBeGreaterThan(0);
    expect(h.triple).toMatch(/x86_64|aarch64/);
    expect([4, 8, 16]).toContain(t.vectorLanesF32);
    expect(targetFromName('aarch64').vectorLanesF32).toBe(4);
    expect(targetFromName('x86_64').vectorLanesF32).toBe(8);
  });

  it('turns parse and verifier errors into KC0901', () => {
    expect(() => compileIR({ ir: 'define i32 @f( {', triple: t.triple, cpu: t.cpu, features: '' }))
      .toThrow(/KC0901.*parse error/);
    const bad = 'define i32 @f() {\nentry:\n  ret i64 0\n}\n';
    expect(() => compileIR({ ir: bad, triple: t.triple, cpu: t.cpu, features: '' })).toThrow(/KC0901/);
  });

  it('emits the kernel table with default visibility', () => {
    const ir = emitModule([K.vaddTail(8), K.rowReduce()], { target: t });
    expect(ir).toContain('@kestrel_kernels = constant [2 x i8*]');
    expect(ir).toContain('@kestrel_kernel_count = constant i64 2');
    expect(ir).toMatch(/define i32 @vadd_tail\(%kestrel\.ctx\* %ctx/);
    expect(printKernel(K.vaddTail(8))).toContain('for vectorize v in [0, +8):');
  });

  it('builds data objects: aligned constants, manifest section, size symbols', async () => {
    const consts = new Uint8Array(3 << 20).map((_, i) => i & 0xff);
    const manifest = new TextEncoder().encode('{"format":1}');
    const data = emitDataObject({
      triple: t.triple,
      sections: [
        { symbol: 'kestrel_constants', bytes: consts, align: 64 },
        { symbol: 'kestrel_manifest', section: '.kestrel_manifest', bytes: manifest, align: 8 },
      ],
      exports: [{ symbol: 'kestrel_constants_size', value: BigInt(consts.length) },
        { symbol: 'kestrel_manifest_size', value: manifest.length }],
    });
    const kernels = compileIR({ ir: emitModule([K.vaddTail(8)], { target: t }), triple: t.triple,
      cpu: t.cpu, features: t.features });
    const so = join(workDir, 'data.so');
    await linkSharedObject({ objects: [kernels, data], output: so, target: t });
    const syms = execFileSync('nm', ['-D', '--defined-only', so]).toString();
    for (const s of ['kestrel_constants', 'kestrel_constants_size', 'kestrel_manifest', 'kestrel_kernels',
      'kestrel_kernel_count']) expect(syms).toMatch(new RegExp(`\\b${s}$`, 'm'));
    const sections = execFileSync('readelf', ['-S', '-W', so]).toString();
    expect(sections).toContain('.kestrel_manifest');
    const addr = /([0-9a-f]+) R kestrel_constants$/m.exec(syms);
    expect(addr && BigInt('0x' + addr[1]) % 64n).toBe(0n);
    expect(readFileSync(so).includes(Buffer.from('{"format":1}'))).toBe(true);
  });
});

describe('linkSharedObject', () => {
  it('fails with KC0902 and leaves nothing behind', async () => {
    const dir = join(workDir, 'linkfail');
    mkdirSync(dir, { recursive: true });
    const garbage = new Uint8Array([1, 2, 3, 4]);
    await expect(linkSharedObject({ objects: [garbage], output: join(dir, 'x.so'), target: t }))
      .rejects.toMatchObject({ code: 'KC0902' });
    expect(readdirSync(dir)).toEqual([]);
  });

  it('reports an unwritable output directory as KC0902', async () => {
    if (process.getuid?.() === 0) return; // root ignores permissions
    const dir = join(workDir, 'readonly');
    mkdirSync(dir, { recursive: true });
    chmodSync(dir, 0o500);
    const obj = compileIR({ ir: emitModule([K.vaddTail(8)], { target: t }), triple: t.triple, cpu: t.cpu,
      features: t.features });
    await expect(linkSharedObject({ objects: [obj], output: join(dir, 'y.so'), target: t }))
      .rejects.toMatchObject({ code: 'KC0902' });
    expect(existsSync(join(dir, 'y.so'))).toBe(false);
  });

  it('cross-compiles aarch64 objects', () => {
    const a = makeTarget('aarch64', 'generic', '+neon');
    const ir = emitModule([K.tiledMatmul(4, 4)], { target: a });
    const obj = compileIR({ ir, triple: a.triple, cpu: a.cpu,
      features: a.features });
    expect(Buffer.from(obj.subarray(0, 4)).toString('latin1')).toBe('\x7fELF');
    expect(obj[18] | (obj[19] << 8)).toBe(183); // EM_AARCH64
  });
});
