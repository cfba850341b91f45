// Code-generation targets: triple, CPU, features and the natural f32 vector width that schedules
// use. Requires: for 'host', the kestrel_llvm addon (LLVM's host CPU detection). Guarantees:
// vectorLanesF32 is 16 with AVX-512F, 8 with AVX2, 4 for AArch64 NEON and 4 (SSE) otherwise.

import { llvmHostInfo } from './llvm/backend.js';

export interface TargetDesc {
  readonly arch: 'x86_64' | 'aarch64';
  readonly triple: string;
  readonly cpu: string;
  /** LLVM feature string, e.g. "+avx2,+fma". */
  readonly features: string;
  readonly vectorLanesF32: number;
  readonly dataLayout?: string;
}

export type TargetName = 'host' | 'x86_64' | 'aarch64';

function lanesFor(arch: TargetDesc['arch'], features: string): number {
  if (arch === 'aarch64') return 4;
  const on = new Set(features.split(',').filter((f) => f.startsWith('+')).map((f) => f.slice(1)));
  if (on.has('avx512f')) return 16;
  if (on.has('avx2')) return 8;
  return 4;
}

export function makeTarget(arch: TargetDesc['arch'], cpu: string, features: string): TargetDesc {
  const triple = arch === 'x86_64' ? 'x86_64-unknown-linux-gnu' : 'aarch64-unknown-linux-gnu';
  return { arch, triple, cpu, features, vectorLanesF32: lanesFor(arch, features) };
}

/** The machine we run on, as LLVM sees it. */
export function hostTarget(): TargetDesc {
  const h = llvmHostInfo();
  const arch = h.triple.startsWith('aarch64') ? 'aarch64' : 'x86_64';
  // The disabled features matter too: the CPU name implies features (rocketlake implies pku) that
  // a virtual machine may lack, and without '-pku' LLVM would enable them (and the manifest's
  // target.requires would name them, so the artifact would not load on the host it was built on).
  const all = h.features.split(',');
  const sign = (c: string) => all.filter((f) => f.startsWith(c)).sort();
  const features = [...sign('+'), ...sign('-')].join(',');
  return { ...makeTarget(arch, h.cpu, features), triple: h.triple };
}

/** 'x86_64' is a portable x86-64-v3 (AVX2+FMA) baseline; 'aarch64' is generic ARMv8 + NEON. */
export function targetFromName(name: TargetName): TargetDesc {
  switch (name) {
    case 'host': return hostTarget();
    case 'x86_64': return makeTarget('x86_64', 'x86-64-v3', '+avx2,+fma,+f16c');
    case 'aarch64': return makeTarget('aarch64', 'generic', '+neon');
    default: {
      const never: never = name;
      throw new Error(`unknown target ${String(never)}`);
    }
  }
}
