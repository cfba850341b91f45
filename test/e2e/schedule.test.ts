// Schedules change kernels, not results: tiny_cnn compiled with non-default tiles for its
// convolution paths (packed weights, depthwise, and the direct nest where a conv takes it: since
// reductions from K = 8 are packed, tiny_cnn's convs all are) generates different kernels for
// exactly those workloads, and the artifact still matches the reference outputs of both data sets.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostTarget } from '../../codegen/target.js';
import { compile } from '../../compiler/driver.js';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { runPipeline } from '../../compiler/pipeline.js';
import type { Schedule } from '../../compiler/schedule/schedule.js';
import { printKernel } from '../../ir/tir-print.js';
import { expectMatchesDataSets } from '../helpers/models.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const MODEL_DIR = join(REPO_ROOT, 'examples', 'tiny_cnn');
const MODEL = join(MODEL_DIR, 'model.onnx');

/** Kernel bodies by workload key (names differ only by index, which schedules do not change). */
async function kernelsByWorkload(schedules?: readonly Schedule[]): Promise<Map<string, string>> {
  const c = await runPipeline(importOnnxFile(MODEL), { target: hostTarget(), schedules });
  const out = new Map<string, string>();
  const keys = c.schedules.map((s) => s.key);
  expect(new Set(keys).size, 'one kernel per distinct workload').toBe(c.kernels.length);
  // Kernels are deduplicated; lowering order is the schedules' order, so the first group of each
  // new kernel is the one that created it.
  let next = 0;
  const seen = new Set<string>();
  for (const k of keys) {
    if (seen.has(k)) continue;
    seen.add(k);
    out.set(k, printKernel({ ...c.kernels[next++], name: 'k' }));
  }
  return out;
}

describe('applying a schedule', () => {
  it('changes the scheduled conv kernels and keeps the results correct', async () => {
    const base = await runPipeline(importOnnxFile(MODEL), { target: hostTarget() });
    const convs = base.schedules.filter((s) => s.family === 'conv');
    const direct = convs.find((s) => s.workload.attrs.packedOc === undefined
      && s.workload.attrs.group === 1);
    const packed = convs.find((s) => s.workload.attrs.packedOc !== undefined)!;
    const dw = convs.find((s) => (s.workload.attrs.group as number) > 1)!;
    expect([packed, dw].every(Boolean)).toBe(true);
    const schedules: Schedule[] = [
      ...(direct ? [{ workload: direct.key, knobs: { 'conv.oc': 4, 'conv.wv': 2 } }] : []),
      { workload: packed.key, knobs: { 'conv.ocv': 1, 'conv.px': 4 } },
      { workload: dw.key, knobs: { 'dw.rows': 2, 'dw.wv': 1 } },
    ];
    const before = await kernelsByWorkload();
    const after = await kernelsByWorkload(schedules);
    expect([...after.keys()]).toEqual([...before.keys()]);
    const changed = new Set(schedules.map((s) => s.workload));
    for (const [key, text] of after) {
      if (changed.has(key)) expect(text, key).not.toEqual(before.get(key));
      else expect(text, key).toEqual(before.get(key));
    }

    const so = join(tempDir(), 'tiny_cnn_scheduled.so');
    await compile(MODEL, { output: so, schedules });
    expect(await expectMatchesDataSets(so, MODEL_DIR)).toBe(2);
  });
});
