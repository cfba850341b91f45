// What the NVPTX emitter writes (codegen/nvptx): ptx_kernel entries reading the thread index from
// the special registers, global loads and stores, device definitions instead of the libm calls
// the NVPTX back end cannot select, and a clear KC0901 (never a process abort in LLVM) for a
// kernel that calls something the GPU has no implementation of.

import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import type { Kernel } from '../../ir/tir.js';
import * as t from '../../ir/tir-build.js';
import { emitGpuModules, emitPtx } from '../../codegen/nvptx/artifact.js';
import { deviceMath } from '../../codegen/nvptx/math.js';
import { checkedTarget } from '../../compiler/driver.js';

const target = checkedTarget('nvptx');

/** y[i] = op(x[i]) for i < n, as one parallel loop. */
function unaryKernel(name: string, op: Parameters<typeof t.unary>[0], dtype: 'float32' | 'float64'): Kernel {
  const x = t.buffer('x', dtype), y = t.buffer('y', dtype), n = t.variable('n'), i = t.variable('i');
  const body = t.loop(i, n, t.store(y, i, t.unary(op, t.load(x, i))), 'parallel');
  return { name, buffers: [x, y], scalars: [n], body };
}

function powKernel(): Kernel {
  const x = t.buffer('x', 'float32'), y = t.buffer('y', 'float32'), n = t.variable('n'), i = t.variable('i');
  const v = t.binary('pow', t.load(x, i), t.imm(0.75, 'float32'));
  return { name: 'k_pow', buffers: [x, y], scalars: [n], body: t.loop(i, n, t.store(y, i, v), 'parallel') };
}

describe('NVPTX modules', () => {
  it('declare kernel entries and read the thread index from the PTX special registers', () => {
    const m = emitGpuModules([unaryKernel('k_abs', 'abs', 'float32')], target);
    const ir = m.device[0];
    expect(ir).toContain('target triple = "nvptx64-nvidia-cuda"');
    expect(ir).toContain('define void @k_abs(float* noalias %b0, float* noalias %b1, i64 %s0, i32* %status)');
    expect(ir).toContain('!"kernel", i32 1}');
    expect(ir).toContain('!"maxntidx", i32 256}');
    for (const r of ['tid.x', 'ntid.x', 'ctaid.x', 'nctaid.x']) {
      expect(ir).toContain(`llvm.nvvm.read.ptx.sreg.${r}`);
    }
    expect(m.host).toContain('@kestrel_gpu_grids');
    expect(m.host).toContain('define internal i64 @k_abs.grid(');
    const ptx = emitPtx(m, target)[0];
    expect(ptx).toContain('.target sm_80');
    expect(ptx).toContain('.visible .entry k_abs(');
    expect(ptx).toMatch(/ld\.global\.\S*f32/);
    expect(ptx).toMatch(/st\.global\.\S*f32/);
    expect(ptx).toContain('%tid.x');
  });

  it('replace pow/sin/cos by device definitions the back end can select', () => {
    const m = emitGpuModules([powKernel(), unaryKernel('k_sin', 'sin', 'float32'),
      unaryKernel('k_cos', 'cos', 'float32')], target);
    for (const ir of m.device) {
      expect(ir).not.toMatch(/@llvm\.(pow|sin|cos)\./);
      expect(ir).toMatch(/define internal float @kestrel\.gpu\.(pow|sin|cos)\.f32/);
    }
    const ptx = emitPtx(m, target);
    expect(ptx[0]).toMatch(/lg2\.approx/);
    expect(ptx[1]).toMatch(/sin\.approx/);
    expect(ptx[2]).toMatch(/cos\.approx/);
    for (const p of ptx) expect(p).not.toMatch(/\.extern \.func/);
  });

  it('refuse a kernel that needs a function the GPU lacks, naming it (KC0901)', () => {
    expect(() => emitGpuModules([unaryKernel('k_tanh64', 'tanh', 'float64')], target))
      .toThrow(expect.objectContaining({ code: 'KC0901',
        message: expect.stringContaining('kernel k_tanh64 cannot be compiled for sm_80: it calls tanh') }));
  });

  it('keeps intrinsics the back end lowers and reports the rest', () => {
    const r = deviceMath('', ['declare float @llvm.sqrt.f32(float)',
      'declare double @llvm.exp.f64(double)', 'declare float @llvm.roundeven.f32(float)',
      'declare double @erf(double)']);
    expect(r.unresolved).toEqual(['llvm.exp.f64', 'erf']);
    expect(r.ir).toContain('declare float @llvm.sqrt.f32(float)');
    expect(r.ir).toContain('declare float @llvm.rint.f32(float)');
    expect(r.ir).not.toContain('roundeven');
  });
});
