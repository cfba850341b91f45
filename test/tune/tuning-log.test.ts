// Compiling with a tuning log: the best valid record per workload of this target replaces the
// defaults of exactly those workloads (an invalid record, a record of another target and a
// workload whose best record is its default change nothing), and tiny_cnn compiled that way
// still matches its reference outputs on both data sets; `inspect` of the artifact names the tuned
// kernels.

import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostTarget } from '../../codegen/target.js';
import { compile } from '../../compiler/driver.js';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { runPipeline } from '../../compiler/pipeline.js';
import type { Schedule } from '../../compiler/schedule/schedule.js';
import { tuningLogSchedules } from '../../compiler/tune/cli-tune.js';
import { logText, targetKey, type TuneRecord } from '../../compiler/tune/log.js';
import { describeArtifact } from '../../compiler/inspect.js';
import { printKernel } from '../../ir/tir-print.js';
import { expectMatchesDataSets } from '../helpers/models.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const MODEL_DIR = join(REPO_ROOT, 'examples', 'tiny_cnn');
const MODEL = join(MODEL_DIR, 'model.onnx');

async function kernelsByKey(schedules?: readonly Schedule[]): Promise<Map<string, string>> {
  const c = await runPipeline(importOnnxFile(MODEL), { target: hostTarget(), schedules });
  const out = new Map<string, string>();
  let next = 0;
  for (const s of c.schedules) {
    if (!out.has(s.key)) out.set(s.key, printKernel({ ...c.kernels[next++], name: 'k' }));
  }
  return out;
}

describe('compile --tuning-log', () => {
  it('changes exactly the logged workloads and keeps the model correct', async () => {
    const base = await runPipeline(importOnnxFile(MODEL), { target: hostTarget() });
    const convs = base.schedules.filter((s) => s.family === 'conv');
    // tiny_cnn's dense convs all take the packed-weight path (pack-conv-weights).
    const direct = convs.find((s) => s.workload.attrs.packedOc !== undefined)!;
    const dw = convs.find((s) => (s.workload.attrs.group as number) > 1)!;
    const pool = base.schedules.find((s) => s.family === 'pool')!;
    const mm = base.schedules.find((s) => s.family === 'matmul')!;
    const t = targetKey(hostTarget());
    const r = (workload: string, knobs: Record<string, number>, x: Partial<TuneRecord>): TuneRecord => ({
      kind: 'kestrel-tune', v: 1, workload, target: t, bucket: '$0=1', knobs, status: 'ok', ms: 1,
      baseMs: 1, time: new Date().toISOString(), ...x });
    const records = [
      r(direct.key, direct.knobs, { isDefault: true }),
      r(direct.key, { ...direct.knobs, 'conv.ocv': 1, 'conv.px': 4 }, { ms: 0.8 }),
      r(direct.key, { ...direct.knobs, 'conv.px': 6 }, { ms: 0.9 }),
      r(dw.key, { ...dw.knobs, 'dw.rows': 2, 'dw.wv': 1 }, { ms: 0.7 }),
      // Never applied: invalid, another target's, or slower than the default.
      r(pool.key, { ...pool.knobs, 'pool.wv': 1 }, { status: 'invalid', ms: undefined, baseMs: undefined }),
      r(pool.key, { ...pool.knobs, 'pool.wv': 1 }, { target: `${t}+other`, ms: 0.1 }),
      r(mm.key, mm.knobs, { isDefault: true }),
      r(mm.key, { ...mm.knobs, 'mm.tm': 2 }, { ms: 1.3 }),
    ];
    const file = join(tempDir(), 'tiny_cnn.jsonl');
    writeFileSync(file, `${logText(records)}not json\n`);
    const warnings: string[] = [];
    const schedules = tuningLogSchedules(file, 'host', (w) => warnings.push(w));
    expect(warnings.join('\n')).toContain(':9: skipped: corrupt line');
    expect(schedules).toEqual([
      { workload: direct.key, knobs: { ...direct.knobs, 'conv.ocv': 1, 'conv.px': 4 } },
      { workload: dw.key, knobs: { ...dw.knobs, 'dw.rows': 2, 'dw.wv': 1 } },
    ]);

    const before = await kernelsByKey();
    const after = await kernelsByKey(schedules);
    expect([...after.keys()]).toEqual([...before.keys()]);
    for (const [key, text] of after) {
      if (key === direct.key || key === dw.key) expect(text, key).not.toEqual(before.get(key));
      else expect(text, key).toEqual(before.get(key));
    }

    const so = join(tempDir(), 'tiny_cnn_tuned.so');
    await compile(MODEL, { output: so, schedules });
    expect(await expectMatchesDataSets(so, MODEL_DIR)).toBe(2);
    // `kestrel inspect model.so` says which kernels are tuned (the manifest's 'tuned' field).
    const text = describeArtifact(so);
    expect(text).toContain(`tuned kernels: 2 of ${before.size} workloads`);
    const tunedLines = text.split('\n').filter((l) => l.startsWith('  conv '));
    expect(tunedLines).toHaveLength(2);
    expect(tunedLines[0]).toMatch(/conv\.ocv=1 .*conv\.px=4/);
    expect(tunedLines[1]).toMatch(/dw\.rows=2 dw\.wv=1/);
  }, 60_000);

  it('skips a stale record (a knob or value its family no longer has) with a report', async () => {
    const base = await runPipeline(importOnnxFile(MODEL), { target: hostTarget() });
    const conv = base.schedules.find((s) => s.family === 'conv')!;
    const pool = base.schedules.find((s) => s.family === 'pool')!;
    const stale: Schedule[] = [
      { workload: conv.key, knobs: { 'conv.retired': 3 } },
      { workload: pool.key, knobs: { ...pool.knobs, 'pool.wv': 999 } },
    ];
    // Schedules handed in directly are held to the spaces: KC0701.
    await expect(runPipeline(importOnnxFile(MODEL), { target: hostTarget(), schedules: stale }))
      .rejects.toMatchObject({ code: 'KC0701' });
    // From a log (onStaleSchedule given): each one is reported and its kernel keeps the defaults.
    const reported: string[] = [];
    const so = join(tempDir(), 'tiny_cnn_stale.so');
    await compile(MODEL, { output: so, schedules: stale, onStaleSchedule: (e) => reported.push(e.message) });
    expect(reported).toHaveLength(2);
    expect(reported[0]).toMatch(/KC0701: .*'conv\.retired'/);
    expect(reported[1]).toMatch(/KC0701: .*pool\.wv=999/);
    expect(await expectMatchesDataSets(so, MODEL_DIR)).toBe(2);
    expect(describeArtifact(so)).toContain('tuned kernels: 0 of');
  }, 60_000);
});
