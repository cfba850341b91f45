// Tuning per shape bucket, from `tune --shapes` to the artifact's dispatch, on a small dynamic
// model (y = relu(x @ W), x: [seq, 32]) with a fake measurer whose fastest mm.tm differs per
// bucket: each bucket is its own task, measured on inputs of the bucket's shape and logged with
// its bucket; the log gives each bucket its own best; the artifact runs each bucket's kernel
// inside its range and the generic kernel outside, with the outputs of the untuned artifact.
// Also: a real run of the built CLI measures each bucket in its worker; --shapes parsing, the
// errors for a symbol the model lacks, and bucket ranges.

import { spawnSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostTarget } from '../../codegen/target.js';
import { compile } from '../../compiler/driver.js';
import { bucketRanges, pow2Range } from '../../compiler/schedule/buckets.js';
import type { Knobs } from '../../compiler/schedule/space.js';
import { feedSpec, type MeasureResult } from '../../compiler/tune/bench-kernel.js';
import { parseBucketShapes } from '../../compiler/tune/cli-tune.js';
import { bestSchedules, loadLog, ratio } from '../../compiler/tune/log.js';
import type { Measurer } from '../../compiler/tune/measure.js';
import { knobsId } from '../../compiler/tune/search.js';
import type { Task } from '../../compiler/tune/tasks.js';
import { tune } from '../../compiler/tune/tune.js';
import { load } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { compareTensors } from '../../tools/testdata.js';
import { encodeModel, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const SEQS = [16, 37, 128];
const CLI = join(REPO_ROOT, 'dist', 'compiler', 'cli.js');

function writeModel(dir: string): string {
  const w = floatTensor('w', [32, 48], Array.from({ length: 32 * 48 }, (_, i) => ((i * 7) % 13) / 13 - 0.5));
  const file = join(dir, 'mm.onnx');
  writeFileSync(file, encodeModel({
    nodes: [node('MatMul', ['x', 'w'], ['h']), node('Relu', ['h'], ['y'])],
    inputs: [vi('x', FLOAT, ['seq', 32])], outputs: [vi('y', FLOAT, ['seq', 48])], initializers: [w],
  }));
  return file;
}

/** Faster the closer mm.tm is to a value that depends on the bucket (first, middle, last candidate). */
class BucketMeasurer implements Measurer {
  readonly seen: { bucket: readonly number[]; dims: readonly number[] }[] = [];

  want(t: Task): number {
    const vs = t.space['mm.tm'];
    return [0, vs.length >> 1, vs.length - 1][SEQS.indexOf(t.bucket[0])];
  }

  async measure(t: Task, cands: readonly Knobs[]): Promise<MeasureResult[]> {
    this.seen.push({ bucket: t.bucket, dims: feedSpec(t).inputs[0].dims });
    return cands.map((k) => {
      const base = knobsId(k) === knobsId(t.defaults) || !('mm.tm' in t.space);
      if (base) return { status: 'ok', ms: 1, baseMs: 1 };
      const d = Math.abs(t.space['mm.tm'].indexOf(k['mm.tm']) - this.want(t));
      return { status: 'ok', ms: 0.5 + 0.1 * d, baseMs: 1 };
    });
  }

  close(): void {}
}

describe('tune --shapes', () => {
  it('tunes each bucket, logs it, and the artifact dispatches on seq', async () => {
    const dir = tempDir();
    const model = writeModel(dir);
    const log = join(dir, 'mm.jsonl');
    const fake = new BucketMeasurer();
    await tune(model, { log, trials: 60, shapes: { seq: SEQS }, measurer: fake, plot: false });

    // Every bucket measured on inputs of its own shape.
    for (const seq of SEQS) {
      const mine = fake.seen.filter((s) => s.bucket[0] === seq);
      expect(mine.length, `seq ${seq}`).toBeGreaterThan(1);
      for (const s of mine) expect(s.dims).toEqual([seq, 32]);
    }
    const records = loadLog(log).records;
    expect(new Set(records.map((r) => r.bucket))).toEqual(new Set(SEQS.map((s) => `$0=${s}`)));

    // Each bucket gets its own best measured candidate (unless it is the generic kernel's); the
    // generic kernel gets the best of the candidates measured in every bucket (the default at worst).
    const schedules = bestSchedules(records, hostTarget());
    const worst = (bucket?: string) => {
      const w = new Map<string, { ratio: number; buckets: Set<string> }>();
      for (const r of records) {
        if (r.status !== 'ok' || (bucket !== undefined && r.bucket !== bucket)) continue;
        const e = w.get(knobsId(r.knobs)) ?? { ratio: 0, buckets: new Set<string>() };
        w.set(knobsId(r.knobs), { ratio: Math.max(e.ratio, ratio(r)), buckets: e.buckets.add(r.bucket) });
      }
      return w;
    };
    const all = worst();
    const generic = schedules.find((s) => s.bucket === undefined);
    if (generic) { // a candidate that beat the default in every bucket
      expect(all.get(knobsId(generic.knobs))!.buckets.size).toBe(SEQS.length);
      expect(all.get(knobsId(generic.knobs))!.ratio).toBeLessThan(1);
    }
    for (const seq of SEQS) {
      const mine = worst(`$0=${seq}`);
      const best = Math.min(...[...mine.values()].map((e) => e.ratio));
      const chosen = schedules.find((s) => s.bucket === `$0=${seq}`) ?? generic;
      expect(chosen, `seq ${seq}`).toBeDefined();
      expect(mine.get(knobsId(chosen!.knobs))!.ratio, `seq ${seq}`).toBe(best);
    }
    const tms = new Set(schedules.map((s) => s.knobs['mm.tm']));
    expect(tms.size, 'the buckets found different mm.tm').toBeGreaterThan(1);

    const tuned = join(dir, 'tuned.so'), plain = join(dir, 'plain.so');
    await compile(model, { output: tuned, schedules });
    await compile(model, { output: plain });
    const [t, p] = [await load(tuned, { threads: 1 }), await load(plain, { threads: 1 })];
    try {
      const inside = new Set(SEQS.flatMap((s) => {
        const r = pow2Range(s);
        return [r.lo, s, r.hi];
      }));
      for (const seq of [...inside, 1, 20, 129, 300]) {
        const data = Float32Array.from({ length: seq * 32 }, (_, i) => Math.sin(i));
        const x = new Tensor('float32', data, [seq, 32]);
        const { outputs, events } = await t.run({ x }, { profile: true });
        const want = await p.run({ x });
        expect(compareTensors(outputs.y, want.y).ok, `seq ${seq}`).toBe(true);
        const names = events.filter((e) => e.cat === 'kernel').map((e) => e.name);
        const bucket = SEQS.find((s) => seq >= pow2Range(s).lo && seq <= pow2Range(s).hi);
        const r = bucket === undefined ? undefined : pow2Range(bucket);
        // The bucket's kernel where the bucket has a schedule of its own, else the generic one.
        const own = schedules.some((s) => s.bucket === `$0=${bucket}`);
        expect(names.filter((n) => /_seq\d/.test(n)), `seq ${seq}`)
          .toEqual(own ? [expect.stringMatching(new RegExp(`_seq${r!.lo}to${r!.hi}$`))] : []);
      }
    } finally {
      t.dispose();
      p.dispose();
    }
  }, 300_000);

  it('measures each bucket for real in the worker (the built CLI)', async () => {
    expect(existsSync(CLI), `${CLI} is missing: run npm run build:ts`).toBe(true);
    const dir = tempDir();
    const model = writeModel(dir);
    const log = join(dir, 'real.jsonl');
    const r = spawnSync(process.execPath, [CLI, 'tune', model, '--log', log, '--trials', '6',
      '--shapes', 'seq=16,37'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const records = loadLog(log).records;
    expect(records.length).toBeGreaterThanOrEqual(2);
    expect(records.filter((x) => x.status !== 'ok').map((x) => x.error)).toEqual([]);
    // Both buckets' defaults are measured, each in its own row of the summary.
    const base = (b: string) => records.find((x) => x.bucket === b && x.isDefault)!;
    expect(base('$0=16')).toBeDefined();
    expect(base('$0=37')).toBeDefined();
    expect(r.stdout).toMatch(/@seq=16/);
    expect(r.stdout).toMatch(/@seq=37/);
  }, 300_000);

  it('parses --shapes and rejects a symbol the model does not have', async () => {
    expect(parseBucketShapes('seq=16,37,128')).toEqual({ seq: [16, 37, 128] });
    expect(parseBucketShapes('seq=16,37,batch=1,4')).toEqual({ seq: [16, 37], batch: [1, 4] });
    expect(parseBucketShapes(undefined)).toBeUndefined();
    for (const bad of ['16,37', 'seq=0', 'seq=a', 'seq=']) {
      expect(() => parseBucketShapes(bad)).toThrow(/--shapes/);
    }
    const dir = tempDir();
    const model = writeModel(dir);
    await expect(tune(model, { log: join(dir, 'x.jsonl'), trials: 1, shapes: { len: [4] },
      measurer: new BucketMeasurer(), plot: false }))
      .rejects.toThrow(/KC\d+: --shapes names 'len'.*symbols: seq/);
  }, 120_000);

  it('gives each bucket the power-of-two range of its value, exact where two share one', () => {
    expect([1, 2, 16, 17, 37, 128].map(pow2Range)).toEqual([{ lo: 1, hi: 1 }, { lo: 2, hi: 2 },
      { lo: 9, hi: 16 }, { lo: 17, hi: 32 }, { lo: 33, hi: 64 }, { lo: 65, hi: 128 }]);
    expect(bucketRanges([[1, 37], [1, 40], [1, 128]], ['batch', 'seq'])).toEqual([
      [{ symbol: 'batch', lo: 1, hi: 1 }, { symbol: 'seq', lo: 37, hi: 37 }],
      [{ symbol: 'batch', lo: 1, hi: 1 }, { symbol: 'seq', lo: 40, hi: 40 }],
      [{ symbol: 'batch', lo: 1, hi: 1 }, { symbol: 'seq', lo: 65, hi: 128 }],
    ]);
  });
});
