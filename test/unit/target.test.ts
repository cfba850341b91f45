// Target facts the schedule defaults use (codegen/target.ts): cache sizes from sysfs for the
// host (with fallbacks), fixed values for named targets, vector registers by ISA.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostCaches, hostTarget, makeTarget, parseCacheSize, targetFromName, targetInfo }
  from '../../codegen/target.js';
import { tempDir } from '../helpers/shared.js';

/** A fake sysfs cache directory: [level, type, size] per index. */
function fakeSysfs(entries: [number, string, string][]): string {
  const root = tempDir('kestrel-sysfs-');
  entries.forEach(([level, type, size], i) => {
    const d = join(root, `index${i}`);
    mkdirSync(d);
    writeFileSync(join(d, 'level'), `${level}\n`);
    writeFileSync(join(d, 'type'), `${type}\n`);
    writeFileSync(join(d, 'size'), `${size}\n`);
  });
  return root;
}

describe('target facts', () => {
  it('parses sysfs cache sizes', () => {
    expect(parseCacheSize('48K')).toBe(48 << 10);
    expect(parseCacheSize('2048K\n')).toBe(2 << 20);
    expect(parseCacheSize('32M')).toBe(32 << 20);
    expect(parseCacheSize('512')).toBe(512);
    expect(parseCacheSize('lots')).toBeUndefined();
  });

  it('reads the data caches of cpu0, skipping the instruction cache, taking the last level', () => {
    const root = fakeSysfs([[1, 'Data', '48K'], [1, 'Instruction', '32K'], [2, 'Unified', '2048K'],
      [3, 'Unified', '491520K']]);
    expect(hostCaches('x86_64', root)).toEqual({ l1d: 48 << 10, l2: 2 << 20, l3: 480 << 20 });
  });

  it('falls back to the named target\'s caches where sysfs says nothing', () => {
    const none = hostCaches('x86_64', join(tempDir(), 'missing'));
    expect(none).toEqual(makeTarget('x86_64', 'x86-64-v3', '+avx2').caches);
    const l1only = hostCaches('aarch64', fakeSysfs([[1, 'Data', '64K']]));
    expect(l1only).toEqual({ ...makeTarget('aarch64', 'generic', '+neon').caches, l1d: 64 << 10 });
  });

  it('gives named targets fixed facts and the host its own', () => {
    const x = targetFromName('x86_64');
    expect([x.vectorLanesF32, x.vectorRegisters, x.cores]).toEqual([8, 16, 1]);
    expect(x.caches).toEqual({ l1d: 32 << 10, l2: 1 << 20, l3: 8 << 20 });
    expect(targetFromName('aarch64').vectorRegisters).toBe(32);
    expect(makeTarget('x86_64', 'skylake-avx512', '+avx512f').vectorRegisters).toBe(32);
    const h = hostTarget();
    expect(h.cores).toBeGreaterThanOrEqual(1);
    expect(h.caches.l1d).toBeGreaterThan(0);
    expect(targetInfo(h, 3)).toMatchObject({ vectorLanes: h.vectorLanesF32, threads: 3, caches: h.caches });
    expect(targetInfo(h).threads).toBe(1);
  });
});
