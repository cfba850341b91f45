// Artifacts for another CPU or another kestrel version are refused before they are mapped, with a
// clear error: CPU features the host lacks (KR0006, naming them), features this runtime cannot
// check (KR0006), and the version rule (KR0004: same major, same minor while the major is 0; patch
// releases are free). `inspectArtifact` describes such artifacts without loading them.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { requiredCpuFeatures } from '../../codegen/llvm/backend.js';
import { hostTarget, targetFromName } from '../../codegen/target.js';
import { inspectArtifact, load } from '../../runtime-vm/index.js';
import { rejected, vaddArtifact } from '../vm/programs.js';

const arch = process.arch === 'arm64' ? 'aarch64' : 'x86_64';
const withRequires = (requires: string[]) => vaddArtifact({
  manifest: (m) => { m.target = { arch, requires }; },
});
const withVersion = (v: string) => vaddArtifact({ manifest: (m) => { m.kestrel = v; } });

/** An x86 feature the host lacks, by /proc/cpuinfo (an oracle independent of kestrel's cpuid code). */
function absentFeature(): string {
  const line = /^flags\s*:(.*)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'))?.[1] ?? '';
  const flags = new Set(line.trim().split(/\s+/));
  const candidates: [string, string][] = [['avx512vp2intersect', 'avx512_vp2intersect'],
    ['avx512er', 'avx512er'], ['xop', 'xop'], ['fma4', 'fma4'], ['tbm', 'tbm'], ['sse4a', 'sse4a'],
    ['amx-tile', 'amx_tile']];
  const hit = candidates.find(([, flag]) => !flags.has(flag));
  if (!hit) throw new Error('this host has every candidate feature; extend the list');
  return hit[0];
}

describe.runIf(arch === 'x86_64')('CPU features (KR0006)', () => {
  it('refuses an artifact that requires a feature this host lacks, naming it', async () => {
    const missing = absentFeature();
    const e = await rejected(load(withRequires(['sse2', missing])));
    expect(e.code).toBe('KR0006');
    expect(e.message).toContain(`lacks: ${missing};`);
    expect(e.message).not.toContain('sse2');
  });

  it('refuses a feature name the runtime cannot check', async () => {
    const e = await rejected(load(withRequires(['avx2', 'frobnicate'])));
    expect(e.code).toBe('KR0006');
    expect(e.message).toMatch(/cannot check: frobnicate/);
  });

  it('loads what the host has, and the compiler lists implied features', async () => {
    (await load(withRequires(['sse2', 'cx16']))).dispose();
    const v3 = requiredCpuFeatures(targetFromName('x86_64'));
    expect(v3).toEqual(expect.arrayContaining(['avx2', 'fma', 'f16c', 'bmi2', 'lzcnt', 'movbe', 'sse4.2']));
    expect(v3).not.toContain('avx512f');
    const host = requiredCpuFeatures(hostTarget());
    expect(host).toEqual(expect.arrayContaining(['sse2']));
    (await load(withRequires(host))).dispose(); // a host build always loads on its host
  });
});

describe('version rule (KR0004)', () => {
  it('refuses another major, a newer or older 0.x minor and a malformed version', async () => {
    for (const v of ['9.0.0', '1.1.0', '0.2.0', '0.0.9', 'banana', '0.1']) {
      const e = await rejected(load(withVersion(v)));
      expect(e.code, v).toBe('KR0004');
      expect(e.message, v).toContain(v);
    }
    const major = await rejected(load(withVersion('9.0.0')));
    expect(major.message).toMatch(/reads artifacts of kestrel 0\.1\.x/);
  });

  it('accepts another patch release and pre-release tags of the same minor', async () => {
    for (const v of ['0.1.0', '0.1.7', '0.1.3-rc.1']) (await load(withVersion(v))).dispose();
  });
});

describe('inspectArtifact', () => {
  it('reads the manifest of an incompatible artifact without loading it, and says why', () => {
    const r = inspectArtifact(withVersion('9.0.0'));
    expect(r.manifest.kestrel).toBe('9.0.0');
    expect(r.loadError?.code).toBe('KR0004');
    expect(inspectArtifact(vaddArtifact()).loadError).toBeNull();
  });
});
