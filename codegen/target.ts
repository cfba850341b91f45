// Code-generation targets: triple, CPU, features, the natural f32 vector width and the machine
// facts schedules choose their defaults from (vector registers, cache sizes, cores).
// Requires: for 'host', the kestrel_llvm addon (LLVM's host CPU detection) and, for the caches,
// Linux sysfs (fixed fallbacks otherwise). Guarantees: vectorLanesF32 is 16 with AVX-512F, 8 with
// AVX2, 4 for AArch64 NEON and 4 (SSE) otherwise; named targets have fixed cache sizes and one
// core, so their artifacts do not depend on the machine that compiles them. 'nvptx[:sm_XX]' is
// a host-CPU artifact (generic CPU of the compiling machine's architecture: bytecode, constants,
// grid functions) whose kernels are PTX for an NVIDIA GPU (`gpu`, see docs/gpu.md).

import { readFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import type { TargetInfo } from '../ir/te.js';
import { llvmHostInfo } from './llvm/backend.js';

/** Data cache capacities in bytes (L1 data, L2, last-level). */
export interface CacheSizes {
  readonly l1d: number;
  readonly l2: number;
  readonly l3: number;
}

export interface TargetDesc {
  readonly arch: 'x86_64' | 'aarch64';
  readonly triple: string;
  readonly cpu: string;
  /** LLVM feature string, e.g. "+avx2,+fma". */
  readonly features: string;
  readonly vectorLanesF32: number;
  /** Architectural vector registers (32 zmm with AVX-512, 16 ymm/xmm otherwise, 32 on NEON). */
  readonly vectorRegisters: number;
  readonly caches: CacheSizes;
  /** Cores schedules may plan for. */
  readonly cores: number;
  readonly dataLayout?: string;
  /** Set for GPU targets: the kernels are PTX for this GPU; the rest is host code. */
  readonly gpu?: GpuTarget;
}

/** NVIDIA architectures `--target nvptx:ARCH` accepts (sm_80 is the default). */
export const NVPTX_ARCHS: readonly string[] = Object.freeze(['sm_80', 'sm_86', 'sm_90']);

/**
 * An NVIDIA GPU target. LLVM 14 knows sm_80 and sm_86 but not sm_90: for sm_90 the PTX is
 * generated for sm_80 (PTX is forward compatible; ptxas and the driver's JIT assemble it for
 * sm_90) and `arch` records the GPU the artifact was built for.
 */
export interface GpuTarget {
  readonly kind: 'nvptx';
  readonly arch: string;
  /** The LLVM CPU the PTX is generated for, and the PTX ISA version feature. */
  readonly llvmCpu: string;
  readonly ptx: string;
  readonly triple: 'nvptx64-nvidia-cuda';
}

/**
 * 'host', 'x86_64', or 'aarch64' with an optional LLVM CPU and extra features:
 * `aarch64:neoverse-n1`, `aarch64+dotprod+i8mm`, `aarch64:cortex-a76+sve` (see parseTargetName).
 */
export type TargetName = 'host' | 'x86_64' | 'aarch64' | `aarch64:${string}` | `aarch64+${string}`
  | 'nvptx' | `nvptx:${string}`;

/** AArch64 CPUs LLVM 14 knows that kestrel accepts by name (their features come from LLVM). */
export const AARCH64_CPUS: readonly string[] = Object.freeze([
  'generic', 'cortex-a53', 'cortex-a55', 'cortex-a57', 'cortex-a72', 'cortex-a73', 'cortex-a75',
  'cortex-a76', 'cortex-a77', 'cortex-a78', 'cortex-a710', 'cortex-x1', 'cortex-x2', 'neoverse-e1',
  'neoverse-n1', 'neoverse-n2', 'neoverse-v1', 'apple-m1', 'a64fx',
]);

/**
 * Extra AArch64 features a target string may name: those the runtime can check against the
 * host's hwcaps before loading (native/src/util/cpu_features.cc), so an artifact that needs them is
 * refused with KR0006 on a CPU without them instead of dying with SIGILL.
 */
export const AARCH64_FEATURES: readonly string[] = Object.freeze([
  'crc', 'lse', 'rdm', 'fullfp16', 'fp16fml', 'dotprod', 'rcpc', 'sve', 'sve2', 'i8mm', 'bf16',
]);

/** The target a name denotes, or why it denotes none. */
export function parseTargetName(name: string): { target: TargetDesc } | { error: string } {
  if (name === 'host' || name === 'x86_64') return { target: targetFromName(name) };
  if (name === 'nvptx') return nvptxTarget('sm_80');
  if (name.startsWith('nvptx:')) return nvptxTarget(name.slice(6));
  const m = /^aarch64(?::([a-z0-9.-]+))?((?:\+[a-z0-9-]+)*)$/.exec(name);
  if (!m) {
    return { error: `unknown target '${name}' (host, x86_64, aarch64, aarch64:CPU, aarch64+FEATURE...)` };
  }
  const cpu = m[1] ?? 'generic';
  if (!AARCH64_CPUS.includes(cpu)) {
    return { error: `unknown AArch64 CPU '${cpu}' (known: ${AARCH64_CPUS.join(', ')})` };
  }
  const extra = m[2].split('+').filter(Boolean);
  const bad = extra.filter((f) => !AARCH64_FEATURES.includes(f));
  if (bad.length) {
    return { error: `unknown AArch64 feature(s) ${bad.join(', ')} (known: ${AARCH64_FEATURES.join(', ')})` };
  }
  const features = ['+neon', ...[...new Set(extra)].map((f) => `+${f}`)].join(',');
  return { target: makeTarget('aarch64', cpu, features) };
}

/** `nvptx:ARCH`: the host part for a generic CPU of this machine's architecture. */
function nvptxTarget(arch: string): { target: TargetDesc } | { error: string } {
  if (!NVPTX_ARCHS.includes(arch)) {
    return { error: `unknown NVIDIA GPU architecture '${arch}' (known: ${NVPTX_ARCHS.join(', ')})` };
  }
  const host = process.arch === 'arm64'
    ? makeTarget('aarch64', 'generic', '+neon') : makeTarget('x86_64', 'x86-64', '');
  const llvmCpu = arch === 'sm_90' ? 'sm_80' : arch;
  const gpu: GpuTarget = { kind: 'nvptx', arch, llvmCpu, ptx: 'ptx75', triple: 'nvptx64-nvidia-cuda' };
  return { target: { ...host, gpu } };
}

function lanesFor(arch: TargetDesc['arch'], features: string): number {
  if (arch === 'aarch64') return 4;
  const on = new Set(features.split(',').filter((f) => f.startsWith('+')).map((f) => f.slice(1)));
  if (on.has('avx512f')) return 16;
  if (on.has('avx2')) return 8;
  return 4;
}

/** Fixed caches of the named targets: a common x86-64 server core and a generic ARMv8 core. */
const NAMED_CACHES: Readonly<Record<TargetDesc['arch'], CacheSizes>> = {
  x86_64: { l1d: 32 << 10, l2: 1 << 20, l3: 8 << 20 },
  aarch64: { l1d: 64 << 10, l2: 1 << 20, l3: 4 << 20 },
};

export function makeTarget(arch: TargetDesc['arch'], cpu: string, features: string, caches?: CacheSizes,
  cores = 1): TargetDesc {
  const triple = arch === 'x86_64' ? 'x86_64-unknown-linux-gnu' : 'aarch64-unknown-linux-gnu';
  const lanes = lanesFor(arch, features);
  const vectorRegisters = arch === 'aarch64' || lanes === 16 ? 32 : 16;
  return {
    arch, triple, cpu, features, vectorLanesF32: lanes, vectorRegisters,
    caches: caches ?? NAMED_CACHES[arch], cores,
  };
}

/** `48K`, `2048K`, `32M` (sysfs cache sizes) -> bytes; undefined when unreadable. */
export function parseCacheSize(text: string): number | undefined {
  const m = /^(\d+)([KMG]?)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = { '': 1, K: 1 << 10, M: 1 << 20, G: 1 << 30 }[m[2] as '' | 'K' | 'M' | 'G'];
  return Number(m[1]) * unit;
}

/**
 * The host's data caches from sysfs (cpu0's view: L1 data, L2, the largest level beyond), each
 * falling back to the named target's value when sysfs does not say.
 */
export function hostCaches(arch: TargetDesc['arch'],
  root = '/sys/devices/system/cpu/cpu0/cache'): CacheSizes {
  const found: Record<number, number> = {};
  for (let i = 0; i < 8; i++) {
    try {
      const read = (f: string) => readFileSync(`${root}/index${i}/${f}`, 'utf8').trim();
      if (read('type') === 'Instruction') continue;
      const size = parseCacheSize(read('size'));
      if (size !== undefined) found[Number(read('level'))] = size;
    } catch {
      break; // no more cache levels (or no sysfs)
    }
  }
  const dflt = NAMED_CACHES[arch];
  const last = Math.max(0, ...Object.keys(found).map(Number).filter((l) => l >= 3));
  return { l1d: found[1] ?? dflt.l1d, l2: found[2] ?? dflt.l2, l3: last ? found[last] : dflt.l3 };
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
  return { ...makeTarget(arch, h.cpu, features, hostCaches(arch), availableParallelism()), triple: h.triple };
}

/** 'x86_64' is a portable x86-64-v3 (AVX2+FMA) baseline; 'aarch64' is generic ARMv8 + NEON. */
export function targetFromName(name: TargetName): TargetDesc {
  switch (name) {
    case 'host': return hostTarget();
    case 'x86_64': return makeTarget('x86_64', 'x86-64-v3', '+avx2,+fma,+f16c');
    case 'aarch64': return makeTarget('aarch64', 'generic', '+neon');
    default: {
      // Callers facing users check names with parseTargetName first (compiler/driver.ts).
      const r = parseTargetName(name);
      if ('error' in r) throw new Error(r.error);
      return r.target;
    }
  }
}

/** What kernel lowerings and schedules see of a target; `threads` defaults to 1. */
export function targetInfo(t: TargetDesc, threads?: number): TargetInfo {
  if (t.gpu) return gpuTargetInfo(t.gpu);
  return {
    arch: t.arch, vectorLanes: t.vectorLanesF32, threads: threads ?? 1,
    vectorRegisters: t.vectorRegisters, caches: t.caches, cores: t.cores,
  };
}

/**
 * What lowerings see of a GPU: 'nvptx', 4-lane vectors (each thread handles a short vector, which
 * the NVPTX back end scalarises or turns into ld.v4/st.v4), 255 registers a thread, and many
 * "cores" (threads in flight), so schedules that split work by cores make plenty of parallel
 * iterations.
 */
function gpuTargetInfo(g: GpuTarget): TargetInfo {
  void g;
  return {
    arch: 'nvptx', vectorLanes: 4, threads: 1, vectorRegisters: 64,
    caches: { l1d: 128 << 10, l2: 40 << 20, l3: 40 << 20 }, cores: 1024,
  };
}
