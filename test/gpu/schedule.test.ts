// GPU schedule defaults (compiler/schedule/gpu.ts): applied on nvptx only, always candidates of
// the family's space; and the GPU's flat elementwise walk (elem.flat, ir/te-loops.ts) computes the
// right thing, checked on the CPU where it can run: gpt2_tiny (broadcasts, erf/pow/tanh chains)
// compiled for the host with elem.flat=1 on every elementwise kernel matches its references.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { targetFromName } from '../../codegen/target.js';
import { compile, checkedTarget } from '../../compiler/driver.js';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { expectMatchesDataSets } from '../helpers/models.js';
import { sharedDir, tempDir } from '../helpers/shared.js';

const model = (m: string) => join(sharedDir(), 'models', m, 'model.onnx');

async function schedulesFor(m: string, target: ReturnType<typeof targetFromName>) {
  return (await runPipeline(importOnnxFile(model(m)), { target })).schedules;
}

describe('GPU schedules', () => {
  it('give GPU kernels small tiles and flat elementwise walks, CPU kernels their own defaults', async () => {
    const both = async (t: ReturnType<typeof targetFromName>) =>
      [...await schedulesFor('resnet18', t), ...await schedulesFor('gpt2_tiny', t)];
    const gpu = await both(checkedTarget('nvptx'));
    const cpu = await both(targetFromName('x86_64'));
    const knobOf = (s: typeof gpu, fam: string, k: string) => s.filter((x) => x.family === fam)
      .map((x) => x.knobs[k]);
    expect(knobOf(gpu, 'elementwise', 'elem.flat').length).toBeGreaterThan(0);
    expect(new Set(knobOf(gpu, 'elementwise', 'elem.flat'))).toEqual(new Set([1]));
    expect(new Set(knobOf(cpu, 'elementwise', 'elem.flat'))).toEqual(new Set([0]));
    expect(new Set(knobOf(gpu, 'conv', 'conv.oc'))).toEqual(new Set([2]));
    expect(new Set(knobOf(cpu, 'conv', 'conv.oc'))).toEqual(new Set([6]));
    for (const s of gpu) {
      for (const [k, v] of Object.entries(s.knobs)) expect(s.space[k], `${s.key} ${k}`).toContain(v);
    }
  });

  it('the flat elementwise walk matches the references on the CPU (gpt2_tiny)', async () => {
    const host = targetFromName('x86_64');
    const flat = (await schedulesFor('gpt2_tiny', host)).filter((s) => s.family === 'elementwise')
      .map((s) => ({ workload: s.key, knobs: { 'elem.flat': 1 } }));
    expect(flat.length).toBeGreaterThan(3);
    const so = join(tempDir('kestrel-flat-'), 'gpt2.so');
    await compile(model('gpt2_tiny'), { output: so, target: 'x86_64', schedules: flat });
    expect(await expectMatchesDataSets(so, join(sharedDir(), 'models', 'gpt2_tiny'))).toBeGreaterThan(0);
  });
});
