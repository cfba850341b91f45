// The kernels kestrel generates for real convolutions and matrix products (lowered by the op
// records through the whole pipeline, not hand-built) must use vector FMAs on the widest
// registers of the target: `vfmadd…ps` on zmm with AVX-512, on ymm with AVX2, NEON `fmla` on `.4s`
// vectors for AArch64 (bert_mini's matmuls too). No scalar fallback. A Gemm with transB reads
// its constant B from compile-time panels: no gather.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { emitAsm } from '../../codegen/llvm/backend.js';
import { emitModule } from '../../codegen/llvm/emit.js';
import { makeTarget, type TargetDesc } from '../../codegen/target.js';
import { importOnnx, importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import type { Module } from '../../ir/graph.js';
import { attrInt, encodeModel, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { REPO_ROOT, sharedDir } from '../helpers/shared.js';

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

interface Case {
  readonly t: TargetDesc;
  /** The vector FMA every kernel must have, and the scalar one none may have. */
  readonly fma: RegExp;
  readonly scalar: RegExp;
  readonly what: string;
}

const x86 = (cpu: string, features: string, reg: string): Case => ({
  t: makeTarget('x86_64', cpu, features), fma: new RegExp(`vfmadd\\d+ps\\s+[^\\n]*%${reg}`),
  scalar: /vfmadd\d+s[sd]\b/, what: `vfmadd…ps on ${reg}`,
});
// `fmla v0.4s, v1.4s, v2.4s` or the by-element form `fmla v0.4s, v1.4s, v2.s[1]`; scalar is fmadd.
const NEON: Case = {
  t: makeTarget('aarch64', 'generic', '+neon'), fma: /\bfmla\s+v\d+\.4s, v\d+\.4s, v\d+\.(4s|s\[\d\])/,
  scalar: /\bfmadd\s+s\d+/, what: 'NEON fmla on .4s',
};
const CASES: readonly Case[] = [
  x86('skylake-avx512', '+avx512f,+avx2,+fma', 'zmm'), x86('haswell', '+avx2,+fma', 'ymm'), NEON,
];

async function kernelAsm(t: TargetDesc, model: string | Module) {
  const m = typeof model === 'string' ? importOnnxFile(model) : model;
  const compiled = await runPipeline(m, { target: t });
  const asm = emitAsm({ ir: emitModule(compiled.kernels, { target: t }), triple: t.triple, cpu: t.cpu,
    features: t.features });
  return { asm, names: compiled.kernels.map((k) => k.name) };
}

function expectVectorFma(c: Case, op: string, { asm, names }: { asm: string; names: string[] }): void {
  const kernels = names.filter((n) => n.split('_')[2] === op);
  expect(kernels.length, `no ${op} kernel among ${names.join(', ')}`).toBeGreaterThan(0);
  for (const k of kernels) {
    const body = functionsOf(asm, k);
    expect(body, `${k} has vector FMA`).toMatch(c.fma);
    expect(body, `${k} has scalar FMA`).not.toMatch(c.scalar);
  }
}

describe('generated conv and gemm kernels use vector FMA', () => {
  for (const c of CASES) {
    const compiled = kernelAsm(c.t, join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx'));
    for (const op of ['conv', 'gemm']) {
      it(`${op} kernels on ${c.t.arch} ${c.t.cpu}: ${c.what}, no scalar FMA`, async () => {
        expectVectorFma(c, op, await compiled);
      });
    }
  }
  it('Gemm transB=1 (a linear layer, B as [N][K]) on avx512: vector FMA, no gather', async () => {
    const [M, K, N] = [6, 40, 50];
    const m = importOnnx(encodeModel({
      nodes: [node('Gemm', ['x', 'w'], ['y'], [attrInt('transB', 1)])],
      inputs: [vi('x', FLOAT, [M, K])], outputs: [vi('y', FLOAT, [M, N])],
      initializers: [floatTensor('w', [N, K], Array.from({ length: N * K }, (_, i) => i % 7))],
    }));
    const compiled = await kernelAsm(CASES[0].t, m);
    expectVectorFma(CASES[0], 'gemm', compiled);
    expect(compiled.asm).not.toMatch(/\bv(p)?gather/);
  });
  it('bert_mini matmul kernels on aarch64: NEON fmla on .4s, no scalar FMA', async () => {
    expectVectorFma(NEON, 'matmul', await kernelAsm(NEON.t, join(sharedDir(), 'models', 'bert_mini',
      'model.onnx')));
  });
});
