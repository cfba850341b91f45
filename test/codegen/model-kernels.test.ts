// The kernels kestrel generates for real convolutions and matrix products (lowered by the op
// records through the whole pipeline, not hand-built) must use vector FMAs on the widest
// registers of the target: `vfmadd…ps` on zmm with AVX-512, on ymm with AVX2. No scalar fallback.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitAsm } from '../../codegen/llvm/backend.js';
import { emitModule } from '../../codegen/llvm/emit.js';
import { makeTarget, type TargetDesc } from '../../codegen/target.js';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { REPO_ROOT } from '../helpers/shared.js';

/** Assembly of every function whose symbol starts with `prefix` (the kernel and its tasks). */
function functionsOf(asm: string, prefix: string): string {
  const out: string[] = [];
  let inside = false;
  for (const line of asm.split('\n')) {
    const label = /^([A-Za-z_][\w.$]*):/.exec(line);
    if (label) inside = label[1].startsWith(prefix);
    if (inside) out.push(line);
  }
  return out.join('\n');
}

const TARGETS = [
  { t: makeTarget('x86_64', 'skylake-avx512', '+avx512f,+avx2,+fma'), reg: 'zmm' },
  { t: makeTarget('x86_64', 'haswell', '+avx2,+fma'), reg: 'ymm' },
];

async function kernelAsm(t: TargetDesc) {
  const m = importOnnxFile(join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx'));
  const compiled = await runPipeline(m, { target: t });
  const asm = emitAsm({ ir: emitModule(compiled.kernels, { target: t }), triple: t.triple, cpu: t.cpu,
    features: t.features });
  return { asm, names: compiled.kernels.map((k) => k.name) };
}

describe('generated conv and gemm kernels use vector FMA', () => {
  for (const { t, reg } of TARGETS) {
    const compiled = kernelAsm(t);
    const fma = new RegExp(`vfmadd\\d+ps\\s+[^\\n]*%${reg}`);
    for (const op of ['conv', 'gemm']) {
      it(`${op} kernels on ${t.cpu}: vfmadd…ps on ${reg}, no scalar FMA`, async () => {
        const { asm, names } = await compiled;
        const kernels = names.filter((n) => n.split('_')[2] === op);
        expect(kernels.length, `no ${op} kernel among ${names.join(', ')}`).toBeGreaterThan(0);
        for (const k of kernels) {
          const body = functionsOf(asm, k);
          expect(body, `${k} has vector FMA`).toMatch(fma);
          expect(body, `${k} has scalar FMA`).not.toMatch(/vfmadd\d+s[sd]\b/);
        }
      });
    }
  }
});
