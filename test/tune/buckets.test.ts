// Shape buckets end to end on bert_mini (symbols batch and seq): a tuning log holding records of
// three buckets (seq = 16, 37, 128) for its matmul workloads, each bucket with another schedule,
// compiles to one artifact with a bucket-specialised kernel per bucket beside the generic kernel.
// The profiler's kernel names show which kernel ran: the bucket's kernel where seq is in the
// bucket's range (9..16, 33..64, 65..128 with batch 1), the generic one outside every bucket
// (seq 20, 200, and batch 2); at every shape the outputs match onnxruntime's. `inspect` lists the
// buckets; without a log there is no dispatch and no specialised kernel, and the generic kernels
// of the bucketed artifact are the untuned ones.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { hostTarget } from '../../codegen/target.js';
import { compile } from '../../compiler/driver.js';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { describeArtifact } from '../../compiler/inspect.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { pow2Range } from '../../compiler/schedule/buckets.js';
import { tuningLogSchedules } from '../../compiler/tune/cli-tune.js';
import { logText, targetKey, type TuneRecord } from '../../compiler/tune/log.js';
import { bucketOf } from '../../compiler/tune/bench-kernel.js';
import { bucketTasks, extractTasks, type Task } from '../../compiler/tune/tasks.js';
import type { Knobs } from '../../compiler/schedule/space.js';
import { printKernel } from '../../ir/tir-print.js';
import { printProgram } from '../../codegen/vm-text.js';
import { load, type Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { compareTensors } from '../../tools/testdata.js';
import { sharedDir, tempDir } from '../helpers/shared.js';

const MODEL = join(sharedDir(), 'models', 'bert_mini', 'model.onnx');
const SEQS = [16, 37, 128];

/** The kernel text of task `t` compiled with `knobs`. */
async function kernelText(t: Task, knobs: Knobs): Promise<string> {
  const c = await runPipeline(t.module, { target: hostTarget(), schedules: [{ workload: t.key, knobs }] });
  return c.kernels.map((k) => printKernel({ ...k, name: 'k' })).join('\n');
}

/** `n` one-knob changes of the task's defaults whose kernels differ from each other and the default's. */
async function distinctKnobs(t: Task, n: number): Promise<Knobs[]> {
  const seen = new Set([await kernelText(t, t.defaults)]);
  const out: Knobs[] = [];
  for (const [name, values] of Object.entries(t.space)) {
    for (const v of values) {
      const k = { ...t.defaults, [name]: v };
      if (out.length === n || t.legal(k)) continue;
      const text = await kernelText(t, k);
      if (!seen.has(text)) { seen.add(text); out.push(k); }
    }
  }
  return out;
}

const ids = (batch: number, seq: number) => Array.from({ length: batch * seq }, (_, i) => (i * 37 + 11) % 97);

interface Run { readonly names: string[]; readonly ok: boolean; readonly message: string }

describe('shape buckets (bert_mini, seq = 16, 37, 128)', () => {
  let tasks: Task[];
  const picked = new Map<string, Knobs[]>();
  let so: string, plain: string, log: string;
  let session: Session, reference: ort.InferenceSession;

  beforeAll(async () => {
    const m = importOnnxFile(MODEL);
    const all = await extractTasks(m, { target: hostTarget() });
    tasks = bucketTasks(all, { seq: SEQS });
    // Tasks are per (workload, bucket): the matmul workloads, each three times.
    const mm = all.filter((t) => t.family === 'matmul' && t.symbols.includes('seq'));
    expect(mm.length).toBeGreaterThan(0);
    for (const t of mm) picked.set(t.key, await distinctKnobs(t, SEQS.length));
    const time = new Date().toISOString();
    const records: TuneRecord[] = tasks.filter((t) => picked.get(t.key)?.length === SEQS.length)
      .flatMap((t) => {
        const i = SEQS.indexOf(t.bucket[t.symbols.indexOf('seq')]);
        const base = { kind: 'kestrel-tune', v: 1, workload: t.key, target: targetKey(hostTarget()),
          bucket: bucketOf(t), status: 'ok', time } as const;
        return [{ ...base, knobs: t.defaults, ms: 1, baseMs: 1, isDefault: true as const },
          { ...base, knobs: picked.get(t.key)![i], ms: 0.5, baseMs: 1 }];
      });
    expect(records.length).toBeGreaterThan(0);
    const dir = tempDir();
    log = join(dir, 'bert.jsonl');
    writeFileSync(log, logText(records));
    so = join(dir, 'bert_buckets.so');
    plain = join(dir, 'bert_plain.so');
    await compile(MODEL, { output: so, schedules: tuningLogSchedules(log, 'host', () => undefined) });
    await compile(MODEL, { output: plain });
    session = await load(so, { threads: 1 });
    reference = await ort.InferenceSession.create(MODEL);
  }, 600_000);
  afterAll(() => session?.dispose());

  async function run(batch: number, seq: number): Promise<Run> {
    const data = ids(batch, seq);
    const feeds = {
      input_ids: new Tensor('int64', BigInt64Array.from(data.map(BigInt)), [batch, seq]),
      attention_mask: new Tensor('int64', new BigInt64Array(batch * seq).fill(1n), [batch, seq]),
    };
    const { outputs, events } = await session.run(feeds, { profile: true });
    const ref = await reference.run({
      input_ids: new ort.Tensor('int64', BigInt64Array.from(data.map(BigInt)), [batch, seq]),
      attention_mask: new ort.Tensor('int64', new BigInt64Array(batch * seq).fill(1n), [batch, seq]),
    });
    const r = ref.hidden;
    const c = compareTensors(outputs.hidden, new Tensor('float32', r.data as Float32Array, [...r.dims]));
    const names = events.filter((e) => e.cat === 'kernel').map((e) => e.name);
    return { names, ok: c.ok, message: c.message };
  }

  const bucketNames = (names: readonly string[]) => names.filter((n) => /_seq\d+to\d+/.test(n));

  it('runs the bucket kernel inside each bucket and matches onnxruntime', async () => {
    for (const seq of [16, 9, 37, 33, 64, 128, 65]) {
      const r = await run(1, seq);
      expect(r.ok, `seq ${seq}: ${r.message}`).toBe(true);
      const { lo, hi } = pow2Range(SEQS.find((s) => pow2Range(s).hi === pow2Range(seq).hi)!);
      const used = bucketNames(r.names);
      expect(used.length, `seq ${seq}`).toBeGreaterThan(0);
      // Every specialised kernel that ran is the one of this bucket, and batch 1 is part of it.
      const mine = new RegExp(`_batch1_seq${lo}to${hi}$|_seq${lo}to${hi}_batch1$`);
      for (const n of used) expect(n, `seq ${seq}`).toMatch(mine);
    }
  }, 300_000);

  it('runs the generic kernels outside every bucket and matches onnxruntime', async () => {
    for (const [batch, seq] of [[1, 20], [1, 200], [1, 1], [2, 37]]) {
      const r = await run(batch, seq);
      expect(r.ok, `${batch}x${seq}: ${r.message}`).toBe(true);
      expect(bucketNames(r.names), `${batch}x${seq}`).toEqual([]);
    }
  }, 300_000);

  it('inspect lists the buckets of each tuned kernel; without a log nothing changes', async () => {
    const text = describeArtifact(so);
    for (const [lo, hi] of SEQS.map((s) => [pow2Range(s).lo, pow2Range(s).hi])) {
      const range = `(batch=1,seq=${lo}\\.\\.${hi}|seq=${lo}\\.\\.${hi},batch=1)`;
      expect(text).toMatch(new RegExp(`bucket ${range}: .* -> `
        + `kestrel_k\\d+_matmul\\w*_(batch1_seq${lo}to${hi}|seq${lo}to${hi}_batch1)`));
    }
    expect(describeArtifact(plain)).toContain('(every kernel has its default schedule)');
    // Untuned: no dispatch at all. Tuned: one compare chain per bucketed call site, and the generic
    // kernels are the untuned ones (no candidate was measured in every bucket).
    const schedules = tuningLogSchedules(log, 'host', () => undefined);
    expect(schedules.every((x) => x.bucket !== undefined)).toBe(true);
    const untuned = await runPipeline(importOnnxFile(MODEL), { target: hostTarget() });
    const tuned = await runPipeline(importOnnxFile(MODEL), { target: hostTarget(), schedules });
    const jumps = (c: typeof untuned) => printProgram(c.program).split('\n')
      .filter((l) => /\bjump_if\b/.test(l));
    expect(jumps(untuned)).toEqual([]);
    expect(jumps(tuned).length).toBeGreaterThanOrEqual(SEQS.length);
    const texts = (c: typeof untuned, bucketed: boolean) => c.kernels
      .filter((k) => /_seq\d/.test(k.name) === bucketed).map((k) => printKernel({ ...k, name: 'k' }));
    expect(texts(untuned, true)).toEqual([]);
    expect(texts(tuned, false)).toEqual(texts(untuned, false));
    const bucketed = [...picked.values()].filter((k) => k.length === SEQS.length).length;
    expect(texts(tuned, true).length).toBe(SEQS.length * bucketed);
  }, 300_000);
});
