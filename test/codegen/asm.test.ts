// Assembly assertions (Halide-style): register-tiled matmul and conv micro-kernels must become
// vector FMAs on the target's widest registers, with no scalar FMA anywhere in the kernel.

import { describe, expect, it } from 'vitest';
import type { Kernel } from '../../ir/tir.js';
import { emitModule } from '../../codegen/llvm/emit.js';
import { emitAsm } from '../../codegen/llvm/backend.js';
import { makeTarget } from '../../codegen/target.js';
import type { TargetDesc } from '../../codegen/target.js';
import * as K from './kernels.js';

function asmOf(k: Kernel, t: TargetDesc): string[] {
  return emitAsm({ ir: emitModule([k], { target: t }), triple: t.triple, cpu: t.cpu, features: t.features })
    .split('\n');
}

/** The instructions of the innermost loop containing the first match of `re` (label to branch). */
function hotLoop(lines: string[], re: RegExp): string[] {
  const at = lines.findIndex((l) => re.test(l));
  let start = at;
  while (start > 0 && !/^\.LBB/.test(lines[start])) start--;
  const label = lines[start].replace(':', '').trim();
  let end = at;
  const back = new RegExp(`\\bj\\w*\\s+${label.replace('.', '\\.')}$`);
  while (end < lines.length && !back.test(lines[end].trim())) end++;
  return lines.slice(start, end + 1);
}

const x86 = [
  { cpu: 'skylake-avx512', w: 16, reg: 'zmm' },
  { cpu: 'x86-64-v4', w: 16, reg: 'zmm' },
  { cpu: 'haswell', w: 8, reg: 'ymm' },
] as const;

describe('x86-64 vector FMA', () => {
  for (const { cpu, w, reg } of x86) {
    const t = makeTarget('x86_64', cpu, '');
    for (const k of [K.tiledMatmul(4, w), K.tiledMatmul(6, w), K.convNest(w)]) {
      it(`${k.name} on ${cpu}: vfmadd*ps on ${reg}, no scalar FMA`, () => {
        const lines = asmOf(k, t);
        const vfma = new RegExp(`vfmadd\\d+ps\\s.*%${reg}\\d+`);
        expect(lines.some((l) => vfma.test(l))).toBe(true);
        expect(lines.filter((l) => /vfmadd\d*s[sd]\b|vmulss|vaddss/.test(l))).toEqual([]);
        const loop = hotLoop(lines, vfma);
        const rows = k.name.includes('_r6_') ? 6 : 4;
        expect(loop.filter((l) => vfma.test(l)).length).toBeGreaterThanOrEqual(rows);
        // Accumulators live in registers: the hot loop stores nothing.
        expect(loop.filter((l) => /\bvmovups\s+%[xyz]mm\d+, /.test(l))).toEqual([]);
      });
    }
  }
});

describe('aarch64 NEON', () => {
  it('tiled matmul emits fmla on v registers', () => {
    const t = makeTarget('aarch64', 'generic', '+neon');
    for (const k of [K.tiledMatmul(4, 4), K.convNest(4)]) {
      const lines = asmOf(k, t);
      expect(lines.filter((l) => /\bfmla\s+v\d+\.4s/.test(l)).length).toBeGreaterThanOrEqual(4);
      expect(lines.filter((l) => /\bfmadd\s+s\d+/.test(l))).toEqual([]);
    }
  });
});

describe('masked tails and padding', () => {
  it('use AVX-512 masked moves, not scalar loops', () => {
    const t = makeTarget('x86_64', 'skylake-avx512', '');
    const lines = asmOf(K.vaddTail(16), t);
    expect(lines.some((l) => /vmovups\s.*\{%k\d\}/.test(l))).toBe(true);
    expect(lines.filter((l) => /vaddss/.test(l))).toEqual([]);
  });
});

describe('selects whose arms repeat the condition\'s loads', () => {
  it('Clip over a fused bias: no gathers, no reloads of the bias as a vector', () => {
    const t = makeTarget('x86_64', 'skylake-avx512', '');
    const lines = asmOf(K.clipBias(16), t);
    expect(lines.filter((l) => /vgather|vpgather/.test(l))).toEqual([]);
    expect(lines.some((l) => /vmovups\s.*\{%k\d\}/.test(l))).toBe(true); // the tail stays masked
  });
});

describe('loads whose lanes repeat each element (nearest upsampling)', () => {
  it('a vector load and a permute, in whole vectors and in the masked tail: no gathers', () => {
    const t = makeTarget('x86_64', 'skylake-avx512', '');
    for (const s of [2, 3]) {
      const lines = asmOf(K.repeatedLoad(16, s), t);
      expect(lines.filter((l) => /vgather|vpgather/.test(l))).toEqual([]);
      expect(lines.some((l) => /vperm|vpunpck|vunpck|vshuf|vpshuf|vinsert|vpermi2/.test(l))).toBe(true);
    }
  });
});
