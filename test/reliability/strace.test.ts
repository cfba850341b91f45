// What the process touches, seen by the kernel (issue 10, must-show 4): `strace -f` over the
// external-data cases of RELIABILITY.md §5-6 shows no file opened outside the model directory, and
// over tampered artifacts (§14) shows the file read but never mapped executable — no mmap with
// PROT_EXEC of a file descriptor, no memfd. The good model and the good artifact are the controls:
// the same parse sees their weights opened and their code mapped executable, so the test cannot
// pass by seeing nothing. Runs test/fixtures/strace-child.mjs (needs dist/: `npm run build:ts`).

import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import {
  BAD_LOCATIONS, BAD_RANGES, externalModel, makeExternalDataDir, type ExternalDataDir,
} from '../fixtures/external-data-dir.js';
import { tinyModel } from '../fixtures/onnx-builder.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

interface Traced { steps: { path: string; code: string | null }[]; calls: string[] }

/** Runs the child under strace; returns its step lines and the traced calls between the markers. */
async function traced(mode: 'import' | 'load', paths: string[]): Promise<Traced> {
  const log = join(tempDir('kestrel-strace-'), 'trace.txt');
  const child = join(REPO_ROOT, 'test', 'fixtures', 'strace-child.mjs');
  const { stdout } = await promisify(execFile)('strace', ['-f', '-qq', '-s', '4096', '-o', log,
    '-e', 'trace=open,openat,openat2,mmap,mprotect,memfd_create', process.execPath, '--jitless', child,
    mode, ...paths], { maxBuffer: 16 << 20 });
  const lines = readFileSync(log, 'utf8').split('\n');
  const begin = lines.findIndex((l) => l.includes('/kestrel-strace-begin'));
  const end = lines.findIndex((l) => l.includes('/kestrel-strace-end'));
  expect(begin).toBeGreaterThanOrEqual(0);
  expect(end).toBeGreaterThan(begin);
  const steps = stdout.trim().split('\n').map((l) => JSON.parse(l) as Traced['steps'][number]);
  return { steps, calls: lines.slice(begin + 1, end) };
}

/** Paths of every open attempt (successful or not), resolved against the child's directory. */
function openedPaths(calls: string[]): string[] {
  const re = /\bopen(?:at2?)?\((?:[^,]+, )?"((?:[^"\\]|\\.)*)"/;
  return calls.map((c) => re.exec(c)?.[1]).filter((p): p is string => p !== undefined)
    .map((p) => resolve(REPO_ROOT, p));
}

/** mmap calls that map a file (not anonymous memory) executable. */
const execFileMaps = (calls: string[]) =>
  calls.filter((c) => /\bmmap\(.*PROT_EXEC/.test(c) && !/MAP_ANONYMOUS/.test(c));

describe('strace: external data', () => {
  let ed: ExternalDataDir;
  beforeAll(() => { ed = makeExternalDataDir(); });

  it('opens nothing outside the model directory for any refused location or range', async () => {
    const models = BAD_LOCATIONS.map(([, loc], i) => externalModel(ed.dir, [['location', loc]], `l${i}.onnx`))
      .concat(BAD_RANGES.map(([, extra], i) =>
        externalModel(ed.dir, [['location', 'w.bin'], ...extra], `r${i}.onnx`)));
    const good = externalModel(ed.dir, [['location', 'sub/w.bin']], 'good.onnx');
    const t = await traced('import', [...models, good]);
    expect(t.steps.map((s) => s.code)).toEqual(
      [...BAD_LOCATIONS.map(([, , code]) => code), ...BAD_RANGES.map(() => 'KC0205'), null]);
    const opened = openedPaths(t.calls);
    const outside = opened.filter((p) => !p.startsWith(`${ed.dir}/`));
    console.log(`strace external data: ${opened.length} opens between the markers, `
      + `${outside.length} outside`);
    expect(outside).toEqual([]);
    expect(opened).toContain(join(ed.dir, 'sub', 'w.bin')); // the control: the good weights are seen
    expect(opened.some((p) => p.startsWith(ed.outside))).toBe(false);
  }, 120_000);
});

describe('strace: tampered artifacts', () => {
  let good = '';
  const dir = tempDir('kestrel-strace-so-');
  beforeAll(async () => {
    writeFileSync(join(dir, 'tiny.onnx'), tinyModel());
    good = join(dir, 'good.so');
    await compile(join(dir, 'tiny.onnx'), { output: good });
  }, 120_000);

  it('reads a tampered .so but never maps it executable; the good one is mapped', async () => {
    const bytes = readFileSync(good);
    const flipped = (at: number, name: string) => {
      const b = Buffer.from(bytes); b[at] ^= 0x40;
      const p = join(dir, `${name}.so`); writeFileSync(p, b); return p;
    };
    const bad = [flipped(0x40, 'header'), flipped(Math.floor(bytes.length / 2), 'middle'),
      flipped(bytes.length - 8, 'trailer')];
    const t = await traced('load', bad);
    expect(t.steps.map((s) => s.code)).toEqual(['KR0001', 'KR0001', 'KR0001']);
    expect(openedPaths(t.calls)).toEqual(expect.arrayContaining(bad));
    expect(execFileMaps(t.calls)).toEqual([]);
    expect(t.calls.filter((c) => c.includes('memfd_create'))).toEqual([]);
    const control = await traced('load', [good]);
    expect(control.steps[0]!.code).toBeNull();
    console.log(`strace artifacts: tampered ${execFileMaps(t.calls).length} executable file maps, ` +
      `good ${execFileMaps(control.calls).length}`);
    expect(execFileMaps(control.calls).length).toBeGreaterThan(0);
  }, 120_000);
});
