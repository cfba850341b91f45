// The back half of the pipeline for a GPU target (compiler/pipeline.ts runs it in place of the
// CPU one, under the same step names): llvm-emit writes the host module (codegen/nvptx/host.ts)
// and one NVPTX module per kernel (codegen/nvptx/emit.ts); o3 optimises the host module;
// object-emit emits the host object and each kernel's PTX (O3 + LLVM's NVPTX back end in the
// kestrel_llvm addon) and the data object, to which the PTX blob is added as its own section.
// The manifest's `gpu` record (GpuManifest) says where each kernel's PTX lies in that blob and
// which entries it launches, in order.
// Requires: a target with `gpu`. Guarantees: every PTX text is NUL-terminated (what
// cuModuleLoadData wants) and starts at the offset the manifest gives; a kernel that cannot be
// compiled for the GPU fails with KC0901 naming it, before LLVM's NVPTX back end sees it.

import type { Kernel } from '../../ir/tir.js';
import { KestrelError } from '../../runtime-vm/errors.js';
import { BACKEND_ERROR, emitAsm, LlvmModule } from '../llvm/backend.js';
import type { GpuTarget, TargetDesc } from '../target.js';
import type { Launch } from './bind.js';
import { emitDeviceModule, GPU_BLOCK } from './emit.js';
import { emitHostModule } from './host.js';

/** The manifest's `gpu` record. */
export interface GpuManifest {
  readonly kind: 'nvptx';
  readonly arch: string;
  /** Threads per block of every launch. */
  readonly block: number;
  /** Per kernel (in kernel order): its PTX in the blob and its launches' entry names. */
  readonly kernels: readonly { readonly offset: number; readonly size: number;
    readonly entries: readonly string[] }[];
}

export interface GpuModules {
  readonly host: string;
  readonly device: readonly string[];
  readonly launches: readonly (readonly Launch[])[];
}

/** llvm-emit: the host module and each kernel's NVPTX module. */
export function emitGpuModules(kernels: readonly Kernel[], t: TargetDesc): GpuModules {
  const gpu = t.gpu as GpuTarget;
  const dev = kernels.map((k) => {
    try {
      return emitDeviceModule(k, gpu, t);
    } catch (e) {
      const why = (e as Error).message.replace(/^codegen: /, '');
      throw new KestrelError(BACKEND_ERROR, `kernel ${k.name} cannot be compiled for ${gpu.arch}: ${why}`);
    }
  });
  const launches = dev.map((d) => d.launches);
  return { host: emitHostModule(kernels, launches, t), device: dev.map((d) => d.ir), launches };
}

/** object-emit, device half: every kernel's PTX, in kernel order. */
export function emitPtx(m: GpuModules, t: TargetDesc): string[] {
  const gpu = t.gpu as GpuTarget;
  return m.device.map((ir) => emitAsm({ ir, triple: gpu.triple, cpu: gpu.llvmCpu, features: `+${gpu.ptx}` }));
}

/** The PTX blob (NUL-terminated texts) and the manifest record locating them. */
export function ptxBlob(ptx: readonly string[], m: GpuModules, t: TargetDesc): { blob: Uint8Array;
  manifest: GpuManifest; } {
  const enc = new TextEncoder();
  const parts = ptx.map((p) => enc.encode(`${p}\0`));
  const blob = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
  let at = 0;
  const kernels = parts.map((p, i) => {
    blob.set(p, at);
    const r = { offset: at, size: p.byteLength, entries: m.launches[i].map((l) => l.entry) };
    at += p.byteLength;
    return r;
  });
  const gpu = t.gpu as GpuTarget;
  return { blob, manifest: { kind: 'nvptx', arch: gpu.arch, block: GPU_BLOCK, kernels } };
}

/** o3, host half. */
export function optimizeHost(m: GpuModules, t: TargetDesc): LlvmModule {
  return LlvmModule.parse({ ir: m.host, triple: t.triple, cpu: t.cpu, features: t.features, optLevel: 3 })
    .optimize();
}
