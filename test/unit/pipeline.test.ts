// The pipeline (compiler/pipeline.ts): every step can be dumped by name (KESTREL_DUMP_IR=after:STEP)
// and shows its printable form, timing lists every step, and a dump request naming no step fails
// with KC0703 before anything runs.

import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostTarget } from '../../codegen/target.js';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { PIPELINE_STEPS, runPipeline } from '../../compiler/pipeline.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const MODEL = join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx');
const BACKEND: readonly string[] = ['llvm-emit', 'o3', 'object-emit', 'link'];

/** Runs the pipeline on tiny_cnn (to an artifact when `full`) and returns what it printed. */
async function run(dump: string, timing = false, full = true): Promise<{ text: string; so: string }> {
  let text = '';
  const so = join(tempDir(), 'tiny_cnn.so');
  const artifact = full ? { output: so, manifest: () => new TextEncoder().encode('{}') } : undefined;
  await runPipeline(importOnnxFile(MODEL), {
    target: hostTarget(), artifact, debug: { dump, timing, write: (s) => { text += s; } },
  });
  return { text, so };
}

/** The text dumped after `step` (up to the next header). */
function section(text: string, step: string): string | undefined {
  const at = text.indexOf(`// after ${step}\n`);
  if (at < 0) return undefined;
  const rest = text.slice(at + `// after ${step}\n`.length);
  const end = rest.indexOf('// after ');
  return end < 0 ? rest : rest.slice(0, end);
}

/** What each step's dump must show (its printable form). */
const SHOWS: Readonly<Record<string, RegExp>> = {
  'eliminate-identity': /= conv\(/, 'fuse-qdq': /= conv\(/, 'integer-conv': /= conv\(/,
  'integer-max-pool': /= conv\(/, 'integer-nhwc': /= conv\(/, 'fold-batchnorm': /= conv\(/,
  'fuse-swish': /= conv\(/, 'winograd-conv': /= conv\(/,
  'pad-conv-inputs': /= pad2d\(/,
  'coalesce-transpose': /= conv\(/, 'fuse-attention': /= conv\(/,
  'pack-conv-weights': /packedOc=16/, 'pack-matmul-weights': /gemm\(.*\$fc_w_panels.*packedLanes=16/,
  fuse: /kernel %.* = conv\(.*\n\s+\+ %.* = relu\(/,
  'assign-layouts': /OIHW16o/, schedule: /conv\+relu 'conv1' \[conv, default\] \{conv\.vec=/,
  'lower-kernels': /kernel kestrel_k\d+_conv_relu\(/, 'verify-tir': /^\d+ kernels verified/,
  'lower-program': /call_kernel kernel=k0/, 'llvm-emit': /define i32 @kestrel_k0_/,
  o3: /define i32 @kestrel_k0_\w+\(%kestrel\.ctx\* nocapture/,
  'object-emit': /kernels\.o: \d+ bytes\ndata\.o: \d+ bytes/,
  link: /linked .*tiny_cnn\.so/,
};

describe('pipeline steps', () => {
  it('lists every step once, in order, and describes each', () => {
    expect(new Set(PIPELINE_STEPS).size).toBe(PIPELINE_STEPS.length);
    expect(Object.keys(SHOWS).sort()).toEqual([...PIPELINE_STEPS].sort());
    const order = ['fuse', 'assign-layouts', 'schedule', 'lower-kernels', 'verify-tir', 'lower-program',
      'llvm-emit', 'o3', 'object-emit', 'link'];
    expect(PIPELINE_STEPS.slice(-order.length)).toEqual(order);
  });

  for (const step of PIPELINE_STEPS) {
    it(`KESTREL_DUMP_IR=after:${step} prints that step's result only`, async () => {
      const { text } = await run(`after:${step}`, false, BACKEND.includes(step));
      expect(text.match(/\/\/ after /g)?.length).toBe(1);
      expect(section(text, step)).toMatch(SHOWS[step]);
    });
  }

  it('after:all dumps every step and KESTREL_TIME_PASSES lists every step with a total', async () => {
    const { text, so } = await run('after:all', true);
    expect(existsSync(so)).toBe(true);
    for (const step of PIPELINE_STEPS) {
      expect(section(text, step), step).toMatch(SHOWS[step]);
      expect(text, step).toMatch(new RegExp(`^\\[kestrel\\] ${step}: \\d+\\.\\d ms$`, 'm'));
    }
    expect(text).toMatch(/^\[kestrel\] total: \d+\.\d ms$/m);
  });

  it('reads KESTREL_DUMP_IR and KESTREL_TIME_PASSES from the environment', async () => {
    const old = [process.env.KESTREL_DUMP_IR, process.env.KESTREL_TIME_PASSES];
    process.env.KESTREL_DUMP_IR = 'after:fuse,after:schedule';
    process.env.KESTREL_TIME_PASSES = '1';
    let text = '';
    try {
      const debug = { write: (s: string) => { text += s; } };
      await runPipeline(importOnnxFile(MODEL), { target: hostTarget(), debug });
    } finally {
      for (const [k, v] of [['KESTREL_DUMP_IR', old[0]], ['KESTREL_TIME_PASSES', old[1]]] as const) {
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
      }
    }
    expect(text.match(/\/\/ after (\S+)/g)).toEqual(['// after fuse', '// after schedule']);
    expect(text).toMatch(/^\[kestrel\] lower-program: /m);
  });

  it('rejects a dump request naming an unknown step, listing the steps', async () => {
    await expect(run('after:fusion', false, false)).rejects.toMatchObject({
      code: 'KC0703', message: /unknown step\(s\) fusion; steps: eliminate-identity, .*, link/,
    });
  });
});
