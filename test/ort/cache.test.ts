// kestrel/ort's compile cache: a miss compiles and records the artifact, a hit loads it without
// compiling, a corrupt artifact or record is rebuilt (and the rebuilt artifact runs correctly),
// options that change the code get their own entry, and the directory follows
// KESTREL_CACHE_DIR / XDG_CACHE_HOME. Also: terminate set during a run stops it.
import { copyFileSync, existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import * as ort from '../../ort/index.js';
import { cacheDir, cacheKey, loadCached } from '../../ort/cache.js';
import { encodeModel, FLOAT, node, vi as valueInfo } from '../fixtures/onnx-builder.js';
import { sharedDir, tempDir } from '../helpers/shared.js';

const work = tempDir('kestrel-ort-cache-test-');
const model = join(work, 'sig.onnx');
writeFileSync(model, encodeModel({
  nodes: [node('Sigmoid', ['x'], ['y'])],
  inputs: [valueInfo('x', FLOAT, ['n'])], outputs: [valueInfo('y', FLOAT, ['n'])],
}));

async function sigmoidOf(s: ort.InferenceSession, v: number): Promise<number> {
  const out = await s.run({ x: new ort.Tensor('float32', Float32Array.from([v])) });
  return (out.y.data as Float32Array)[0];
}

const saved = { ...process.env };
let dir: string;
beforeEach(() => {
  dir = tempDir('kestrel-ort-cache-');
  process.env.KESTREL_CACHE_DIR = dir;
});
afterEach(() => {
  for (const k of ['KESTREL_CACHE_DIR', 'XDG_CACHE_HOME', 'HOME'] as const) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
});

async function open(opts: ort.InferenceSession.SessionOptions = {}): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(model, opts);
}

describe('kestrel/ort compile cache', () => {
  it('misses once, then hits the same artifact', async () => {
    const a = await open();
    expect(a.kestrel.cache).toBe('miss');
    expect(a.kestrel.artifact.startsWith(dir)).toBe(true);
    expect(readdirSync(dir).sort())
      .toEqual([expect.stringMatching(/\.json$/), expect.stringMatching(/\.so$/)]);
    const b = await open();
    expect(b.kestrel).toEqual({ artifact: a.kestrel.artifact, cache: 'hit', device: 'cpu' });
    expect(await sigmoidOf(b, 0)).toBe(0.5);
    await a.release();
    await b.release();
  });

  it('builds once for concurrent creates of one key', async () => {
    const seed = await open();
    let builds = 0;
    const build = async (out: string): Promise<void> => {
      builds++;
      await new Promise((r) => setTimeout(r, 20));
      copyFileSync(seed.kestrel.artifact, out);
    };
    const both = await Promise.all([loadCached('k1', build, {}), loadCached('k1', build, {})]);
    expect(builds).toBe(1);
    expect(both.map((r) => r.outcome)).toEqual(['miss', 'miss']);
    expect((await loadCached('k1', build, {})).outcome).toBe('hit');
    expect(builds).toBe(1);
    for (const r of both) r.session.dispose();
    await seed.release();
  });

  it('rebuilds a corrupt artifact instead of trusting it', async () => {
    const first = await open();
    await first.release();
    const so = first.kestrel.artifact;
    const bytes = readFileSync(so);
    bytes[bytes.length >> 1] ^= 0xff;
    writeFileSync(so, bytes);
    const again = await open();
    expect(again.kestrel).toEqual({ artifact: so, cache: 'rebuilt', device: 'cpu' });
    expect(await sigmoidOf(again, 0)).toBe(0.5);
    await again.release();
    writeFileSync(so, new Uint8Array(64)); // truncated to junk
    const third = await open();
    expect(third.kestrel.cache).toBe('rebuilt');
    expect(await sigmoidOf(third, 2)).toBeCloseTo(1 / (1 + Math.exp(-2)), 6);
    await third.release();
  });

  it('rebuilds when the record is missing or unreadable', async () => {
    const first = await open();
    await first.release();
    const json = first.kestrel.artifact.replace(/\.so$/, '.json');
    writeFileSync(json, '{not json');
    expect((await open().then(async (s) => { await s.release(); return s; })).kestrel.cache).toBe('rebuilt');
    expect(existsSync(json)).toBe(true);
    expect(JSON.parse(readFileSync(json, 'utf8'))).toMatchObject({ size: expect.any(Number) });
  });

  it('keys entries by the options that change the code, not by the ones that do not', async () => {
    const base = await open();
    const fixed = await open({ freeDimensionOverrides: { n: 1 } });
    const threads = await open({ intraOpNumThreads: 1 });
    const same = await open({ executionProviders: ['cpu'] });
    expect(new Set([base, fixed, threads].map((s) => s.kestrel.artifact)).size).toBe(3);
    expect(same.kestrel).toEqual({ artifact: base.kestrel.artifact, cache: 'hit', device: 'cpu' });
    for (const s of [base, fixed, threads, same]) await s.release();
  });

  it('keys a model path by the files beside it that the model names (external data)', () => {
    const d = tempDir('kestrel-ort-external-');
    const bytes = new TextEncoder().encode('...location\u0012weights.bin...');
    const path = join(d, 'm.onnx');
    writeFileSync(path, bytes);
    writeFileSync(join(d, 'other.bin'), 'x');
    const parts = { fixedDims: {}, threads: 0, target: 'host' };
    const before = cacheKey(bytes, path, 'v', parts);
    writeFileSync(join(d, 'other.bin'), 'changed, but the model does not name it');
    expect(cacheKey(bytes, path, 'v', parts)).toBe(before);
    writeFileSync(join(d, 'weights.bin'), 'new weights');
    expect(cacheKey(bytes, path, 'v', parts)).not.toBe(before);
    expect(cacheKey(bytes, undefined, 'v', parts)).not.toBe(cacheKey(bytes, undefined, 'w', parts));
    expect(cacheKey(bytes, undefined, 'v', parts))
      .not.toBe(cacheKey(bytes, undefined, 'v', { ...parts, target: 'nvptx' }));
  });

  it('lives under KESTREL_CACHE_DIR, else $XDG_CACHE_HOME/kestrel, else ~/.cache/kestrel', () => {
    expect(cacheDir()).toBe(dir);
    delete process.env.KESTREL_CACHE_DIR;
    process.env.XDG_CACHE_HOME = '/x/cache';
    expect(cacheDir()).toBe('/x/cache/kestrel');
    delete process.env.XDG_CACHE_HOME;
    process.env.HOME = '/home/someone';
    expect(cacheDir()).toBe('/home/someone/.cache/kestrel');
  });

  it('terminate set during a run stops it with KR0302', async () => {
    const s = await ort.InferenceSession.create(join(sharedDir(), 'models', 'ctrl_loop_if', 'model.onnx'));
    const xs = new ort.Tensor('float32', new Float32Array(64), [1, 64]);
    const options: ort.InferenceSession.RunOptions = {};
    const t0 = performance.now();
    const run = s.run({ x: xs, n: new ort.Tensor('int64', [100_000_000n], []) }, options);
    setTimeout(() => { options.terminate = true; }, 50);
    const e = await run.then(() => undefined, (err: unknown) => err);
    expect((e as ort.KestrelError).code).toBe('KR0302');
    const took = performance.now() - t0;
    expect(took).toBeGreaterThanOrEqual(45); // it ran until terminate was set
    expect(took).toBeLessThan(20_000);
    const ok = await s.run({ x: xs, n: new ort.Tensor('int64', [2n], []) });
    expect(ok.y.dims[0]).toBe(1);
    await s.release();
  });
});
