// `kestrel compile` without -o writes into the working directory; `kestrel run` without --inputs
// makes random inputs (symbolic dims from --shapes) and --bench prints p50/p90/p99 and throughput;
// `kestrel inspect model.so` names the target and the CPU features it requires.
// Needs the native addons (compiles examples/tiny_cnn, whose input is image: float32[batch,3,20,20]).
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../compiler/cli-main.js';
import { benchLine, percentile } from '../../compiler/cli-run.js';
import { inspectArtifact } from '../../runtime-vm/session.js';
import { TINY_CNN } from '../helpers/cpp-example.js';
import { tempDir } from '../helpers/shared.js';

async function cli(...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [], err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
  // inspect writes its text whole (process.stdout.write).
  vi.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    out.push(String(chunk).replace(/\n$/, ''));
    return true;
  });
  try {
    return { code: await main(argv), out: out.join('\n'), err: err.join('\n') };
  } finally {
    vi.restoreAllMocks();
  }
}

describe('bench statistics', () => {
  it('nearest-rank percentiles', () => {
    const s = Array.from({ length: 100 }, (_, i) => i + 1);
    expect([percentile(s, 50), percentile(s, 90), percentile(s, 99), percentile(s, 100)])
      .toEqual([50, 90, 99, 100]);
    expect(percentile([7], 99)).toBe(7);
    expect(percentile([1, 2, 3], 50)).toBe(2);
  });

  it('the bench line reports throughput from the total time', () => {
    expect(benchLine([2, 1, 4, 1])).toBe('bench: 4 runs, p50 1.000 ms, p90 4.000 ms, p99 4.000 ms, '
      + 'min 1.000 ms, mean 2.000 ms; throughput 500.0 runs/s');
  });
});

describe('kestrel compile and run on tiny_cnn', () => {
  const cwd = process.cwd();
  let dir = '';
  beforeAll(() => { dir = tempDir('kestrel-cli-'); process.chdir(dir); });
  afterAll(() => { process.chdir(cwd); });

  it('compile without -o writes MODEL.so into the working directory, not beside the model', async () => {
    const r = await cli('compile', TINY_CNN);
    expect(r.code, r.err).toBe(0);
    expect(existsSync(join(dir, 'model.so'))).toBe(true);
    expect(r.out).toContain(`-> ${join(dir, 'model.so')}`);
  });

  it('run without --inputs needs the symbolic dims, naming the input', async () => {
    const r = await cli('run', 'model.so');
    expect(r.code).toBe(2);
    expect(r.err.split('\n')[0]).toBe("error: input 'image' has symbolic dims (batch) in its shape "
      + '[batch, 3, 20, 20]; give them with --shapes image=1x3x20x20 (say) or give data with --inputs DIR');
  });

  it('--shapes that contradict a static dim, or name no input, are refused', async () => {
    const wrong = await cli('run', 'model.so', '--shapes', 'image=2x3x21x20');
    expect(wrong.code).toBe(2);
    expect(wrong.err).toContain("--shapes gives input 'image' dim 2 = 21; the model fixes it to 20");
    const none = await cli('run', 'model.so', '--shapes', 'img=2x3x20x20');
    expect(none.code).toBe(2);
    expect(none.err).toContain("--shapes names 'img', which is not an input; the inputs are image");
    const bad = await cli('run', 'model.so', '--shapes', 'image=2by3');
    expect(bad.code).toBe(2);
    expect(bad.err).toContain(
      "--shapes expects name=DxDx...[,name=...] (as input=1x3x224x224), got 'image=2by3'");
  });

  it('run --bench N with random inputs prints the output, p50/p90/p99 and throughput', async () => {
    const r = await cli('run', 'model.so', '--shapes', 'image=3x3x20x20', '--bench', '12');
    expect(r.code, r.err).toBe(0);
    expect(r.out).toContain('random inputs (seed 0): image: float32[3, 3, 20, 20]');
    expect(r.out).toContain('probs: float32[3, 10]');
    const ms = '[\\d.]+ ms';
    expect(r.out).toMatch(new RegExp(`^bench: 12 runs, p50 ${ms}, p90 ${ms}, p99 ${ms}, min ${ms}, `
      + `mean ${ms}; throughput [\\d.]+ runs/s$`, 'm'));
    expect(r.out).toContain('kestrel_k1_conv_relu');
  });

  it('inspect model.so shows the target, its CPU features and whether this host loads it', async () => {
    const r = await cli('inspect', 'model.so');
    expect(r.code, r.err).toBe(0);
    const manifest = inspectArtifact(join(dir, 'model.so')).manifest as
      { target: { arch: string; cpu: string; requires: string[] } };
    const t = manifest.target;
    expect(t.requires.length).toBeGreaterThan(0);
    expect(r.out).toContain(`target ${t.arch} (cpu ${t.cpu}), requires: ${t.requires.join(', ')}`);
    expect(r.out).toContain('loads on this host: yes');
    expect(r.out).toMatch(/^inputs:\n {2}image: float32\[batch, 3, 20, 20\]/m);
  });

  it('--check needs --inputs; --shapes does not go with --inputs', async () => {
    const c = await cli('run', 'model.so', '--shapes', 'image=1x3x20x20', '--check');
    expect(c.code).toBe(2);
    expect(c.err.split('\n')[0]).toBe("error: --check compares with --inputs DIR's outputs");
  });
});
