// Writing an artifact (RELIABILITY.md case 23): a path that is not a regular file is never
// replaced, write failures are clear KC0902 errors naming the path, and a compile stopped during
// the link leaves nothing behind (SIGTERM), or nothing loadable (SIGKILL, which no handler sees).
// The signal tests run the CLI (dist/, `npm run build:ts`) in a child process with a linker
// wrapper (KESTREL_CC) that links, reports its pid and then waits to be interrupted.
import { type ChildProcess, spawn } from 'node:child_process';
import {
  existsSync, mkdirSync, readdirSync, readFileSync, statSync, symlinkSync, writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { DIGEST_BYTES, sealed } from '../../codegen/seal.js';
import { compile } from '../../compiler/driver.js';
import { KestrelError, load } from '../../runtime-vm/index.js';
import { encodeModel, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const dir = tempDir('kestrel-write-');
const model = join(dir, 'm.onnx');

beforeAll(() => {
  writeFileSync(model, encodeModel({
    nodes: [node('Relu', ['x'], ['y'])], inputs: [vi('x', FLOAT, ['n'])], outputs: [vi('y', FLOAT, ['n'])],
  }));
});

async function compileError(output: string): Promise<KestrelError> {
  try {
    await compile(model, { output });
  } catch (e) {
    expect(e).toBeInstanceOf(KestrelError);
    return e as KestrelError;
  }
  throw new Error(`compile to ${output} succeeded but should have failed`);
}

describe('artifact output paths', () => {
  it('refuses to replace a device: /dev/full stays a device', async () => {
    const e = await compileError('/dev/full');
    expect(e.code).toBe('KC0902');
    expect(e.message).toMatch(/refusing to write the artifact to \/dev\/full: it is a device/);
    expect(statSync('/dev/full').isCharacterDevice()).toBe(true);
  });

  it('refuses a directory and a symbolic link, and reports a parent that is a file', async () => {
    const sub = join(dir, 'adir');
    mkdirSync(sub);
    expect((await compileError(sub)).message).toMatch(/it is a directory/);
    const link = join(dir, 'link.so');
    symlinkSync(join(dir, 'elsewhere.so'), link);
    expect((await compileError(link)).message).toMatch(/it is a symbolic link/);
    expect(existsSync(join(dir, 'elsewhere.so'))).toBe(false);
    const file = join(dir, 'plain');
    writeFileSync(file, 'not a directory');
    const e = await compileError(join(file, 'm.so'));
    expect(e.code).toBe('KC0902');
    expect(e.message).toContain(join(file, 'm.so'));
    expect(e.message).toMatch(/a parent of the path is not a directory \(ENOTDIR\)/);
    expect(readdirSync(dir).filter((n) => n.includes('kestrel-tmp'))).toEqual([]);
  });

  it('says when the linker cannot be started, and leaves nothing', async () => {
    const saved = process.env.KESTREL_CC;
    process.env.KESTREL_CC = join(dir, 'no-such-cc');
    try {
      const e = await compileError(join(dir, 'nolinker.so'));
      expect(e.message).toMatch(/cannot run the linker '.*no-such-cc' \(ENOENT\)/);
    } finally {
      if (saved === undefined) delete process.env.KESTREL_CC;
      else process.env.KESTREL_CC = saved;
    }
    expect(readdirSync(dir).filter((n) => n.includes('nolinker'))).toEqual([]);
  });

  it('replaces a regular file atomically with a sealed artifact', async () => {
    const out = join(dir, 'ok.so');
    writeFileSync(out, 'old contents');
    await compile(model, { output: out });
    (await load(out)).dispose();
    expect(readdirSync(dir).filter((n) => n.includes('kestrel-tmp'))).toEqual([]);
  });

  it('a file whose digest slot was never filled (a write cut short) is not loadable', async () => {
    const body = readFileSync(join(dir, 'ok.so')).subarray(0, -64);
    const unfinished = Buffer.from(sealed(body));
    unfinished.fill(0, unfinished.length - DIGEST_BYTES);
    const path = join(dir, '.ok.so.kestrel-tmp-1-0');
    writeFileSync(path, unfinished);
    await expect(load(path)).rejects.toMatchObject({ code: 'KR0001' });
  });
});

const CLI = join(REPO_ROOT, 'dist', 'compiler', 'cli.js');
const WRAPPER = ['#!/bin/sh', 'cc "$@" || exit 1',
  'echo $$ > "$KESTREL_TEST_MARK.part" && mv "$KESTREL_TEST_MARK.part" "$KESTREL_TEST_MARK"',
  'exec sleep 60', ''].join('\n');

interface Killed {
  child: ChildProcess; out: string; tmp: string; linkerPid: number; exit: Promise<string | null>;
}

/** Starts `kestrel compile` in a child and resolves once its linker is running (and has linked). */
async function compileUntilLinking(name: string): Promise<Killed> {
  if (!existsSync(CLI)) throw new Error(`${CLI} is missing: run \`npm run build:ts\` first`);
  const work = tempDir(`kestrel-${name}-`), tmp = join(work, 'tmp'), outDir = join(work, 'out');
  mkdirSync(tmp);
  mkdirSync(outDir);
  const cc = join(work, 'cc.sh'), mark = join(work, 'linking');
  writeFileSync(cc, WRAPPER, { mode: 0o755 });
  const out = join(outDir, 'm.so');
  const child = spawn('node', [CLI, 'compile', model, '-o', out], {
    env: { ...process.env, KESTREL_CC: cc, KESTREL_TEST_MARK: mark, TMPDIR: tmp }, stdio: 'ignore',
  });
  const exit = new Promise<string | null>((r) => child.on('exit', (_code, sig) => r(sig)));
  for (let i = 0; i < 600 && !existsSync(mark); i++) await new Promise((r) => setTimeout(r, 50));
  if (!existsSync(mark)) throw new Error('the compile never reached the link');
  return { child, out, tmp, linkerPid: Number(readFileSync(mark, 'utf8')), exit };
}

const alive = (pid: number) => { try { process.kill(pid, 0); return true; } catch { return false; } };

describe('a compile stopped during the link (child process)', () => {
  it('SIGTERM: removes the link folder, kills the linker and leaves no file', async () => {
    const k = await compileUntilLinking('sigterm');
    expect(readdirSync(k.tmp).some((n) => n.startsWith('kestrel-link-'))).toBe(true);
    k.child.kill('SIGTERM');
    expect(await k.exit).toBe('SIGTERM');
    expect(readdirSync(k.tmp)).toEqual([]);
    expect(readdirSync(join(k.out, '..'))).toEqual([]);
    expect(alive(k.linkerPid)).toBe(false);
  });

  it('SIGKILL: what is left (the link folder) holds nothing loadable, and no output appears', async () => {
    const k = await compileUntilLinking('sigkill');
    k.child.kill('SIGKILL');
    expect(await k.exit).toBe('SIGKILL');
    try { process.kill(-k.linkerPid, 'SIGKILL'); } catch { /* already gone */ }
    expect(readdirSync(join(k.out, '..'))).toEqual([]);
    const [folder] = readdirSync(k.tmp).filter((n) => n.startsWith('kestrel-link-'));
    const linked = join(k.tmp, folder, 'linked.so');
    expect(existsSync(linked)).toBe(true);
    await expect(load(linked)).rejects
      .toMatchObject({ code: 'KR0001', message: /no kestrel digest trailer/ });
  });
});
