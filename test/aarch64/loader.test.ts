// The loader's AArch64 paths, run for real under qemu-aarch64 by the cross-built kestrel-run:
// an x86-64 artifact is refused by its architecture (KR0003), an AArch64 library with an
// R_AARCH64_IRELATIVE relocation (number 1032; its resolver would run at dlopen) is refused before
// it is mapped (KR0001) and its resolver never runs. The emulated check itself (tools/aarch64.ts)
// passes a matching data set and fails one whose reference is off. (Every successful load here
// also passes the CPU-feature check through AT_HWCAP for the features the artifact names.)
import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sealed } from '../../codegen/seal.js';
import { compile } from '../../compiler/driver.js';
import { buildCrossRuntime, qemu, requireCrossTools, runDataSet } from '../../tools/aarch64.js';
import { encodeModel, encodeTensor, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';
import { section } from '../helpers/elf.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const dir = tempDir('kestrel-arm-loader-');
const model = join(dir, 'relu.onnx');
const arm = join(dir, 'arm.so');
let runner = '';

/** C defining a .kestrel_manifest section copied from the AArch64 artifact (read before the ELF checks). */
function manifestC(): string {
  const f = readFileSync(arm);
  const s = section(f, '.kestrel_manifest');
  const json = f.toString('latin1', s.offset, s.offset + s.size).replace(/\0+$/, '');
  return `__attribute__((section(".kestrel_manifest"), used)) const char m[] = ${JSON.stringify(json)};`;
}

describe('aarch64 loader under qemu', () => {
  beforeAll(async () => {
    requireCrossTools();
    runner = await buildCrossRuntime(REPO_ROOT);
    writeFileSync(model, encodeModel({
      nodes: [node('Relu', ['x'], ['y'])], inputs: [vi('x', FLOAT, ['n'])], outputs: [vi('y', FLOAT, ['n'])],
    }));
    await compile(model, { output: arm, target: 'aarch64' });
  }, 900_000);

  it('runs an AArch64 artifact and refuses an x86-64 one by architecture', async () => {
    const x86 = join(dir, 'x86.so');
    await compile(model, { output: x86, target: 'x86_64' });
    writeFileSync(join(dir, 'x.bin'), new Uint8Array(new Float32Array([-1, 2]).buffer));
    const ok = await qemu(runner, [arm, '--input', `x=${join(dir, 'x.bin')}:float32:2`]);
    expect(ok.status, ok.stderr).toBe(0);
    expect(ok.stdout).toContain('y float32 [2]');
    const bad = await qemu(runner, [x86, '--input', `x=${join(dir, 'x.bin')}:float32:2`]);
    expect(bad.status).toBe(1);
    expect(bad.stderr).toMatch(/KR0003: .*x86_64/);
  });

  it('refuses a library with an IRELATIVE relocation before mapping it', async () => {
    const ran = join(dir, 'resolver-ran');
    writeFileSync(join(dir, 'irel.c'), [
      '#include <fcntl.h>', '#include <unistd.h>', 'static int impl(void) { return 0; }',
      `static void* pick(void) { close(open("${ran}", O_CREAT | O_WRONLY, 0644)); return (void*)impl; }`,
      'static int f(void) __attribute__((ifunc("pick")));',
      'int (*volatile kestrel_fp)(void) = f; /* the address of a local IFUNC: an IRELATIVE reloc */',
      manifestC(), ''].join('\n'));
    const lib = join(dir, 'irel.so');
    execFileSync('aarch64-linux-gnu-gcc', ['-shared', '-fPIC', '-nostartfiles', '-o', lib,
      join(dir, 'irel.c')]);
    const relocs = execFileSync('aarch64-linux-gnu-readelf', ['-rW', lib], { encoding: 'utf8' });
    expect(relocs).toContain('R_AARCH64_IRELATIVE');
    expect(execFileSync('aarch64-linux-gnu-readelf', ['--dyn-syms', '-W', lib], { encoding: 'utf8' }))
      .not.toContain('IFUNC'); // so the relocation check, not the symbol check, must refuse it
    const art = join(dir, 'irel-sealed.so');
    writeFileSync(art, sealed(readFileSync(lib)));
    const r = await qemu(runner, [art]);
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(/KR0001: .*IRELATIVE relocation/);
    expect(existsSync(ran)).toBe(false);
  });

  it('the check passes a matching data set and fails one whose reference is off', async () => {
    const set = (name: string, y: number[]) => {
      const d = join(dir, name, 'test_data_set_0');
      mkdirSync(d, { recursive: true });
      writeFileSync(join(d, 'input_0.pb'), encodeTensor(floatTensor('x', [3], [-1, 2, -0.5])));
      writeFileSync(join(d, 'output_0.pb'), encodeTensor(floatTensor('y', [3], y)));
      return d;
    };
    const good = await runDataSet(runner, arm, set('good', [0, 2, 0]), join(dir, 'work-good'));
    expect(good).toMatchObject({ ok: true, maxErr: 0 });
    const off = await runDataSet(runner, arm, set('off', [0, 2.01, 0]), join(dir, 'work-off'));
    expect(off.ok).toBe(false);
    expect(off.message).toMatch(/output 0 \(y\): max\|err\| 1\.0\d*e-2/);
  });
});
