// Tensor-IR kernel -> one textual LLVM 14 module for the NVPTX back end. Each launch of the
// kernel (codegen/nvptx/bind.ts) becomes a `ptx_kernel` entry (nvvm.annotations "kernel", with
// maxntidx = GPU_BLOCK so that ptxas never allocates more registers than a full block can have):
//   define void @<entry>(T0* noalias %b0, ..., i64 %s0, ..., i32* %status)
// Buffers are generic pointers to global memory (what cuMemAlloc returns); the thread index and
// thread count come from llvm.nvvm.read.ptx.sreg.{tid,ntid,ctaid,nctaid}.x. The body reuses the
// CPU emitter (codegen/llvm) as an outlined task: a failed assert stores its code in *status
// (first failure wins, cmpxchg) and returns. Device math the NVPTX back end cannot lower
// (llvm.pow/sin/cos/exp/log on floats) is renamed to definitions in codegen/nvptx/math.ts.
// Requires: a verified kernel. Guarantees: no host-only intrinsic or call is left; any other
// external declaration is reported (KC0901 naming the kernel) instead of reaching ptxas.

import type { Kernel } from '../../ir/tir.js';
import type { GpuTarget, TargetDesc } from '../target.js';
import { FnBuilder, ModuleBuilder } from '../llvm/builder.js';
import { emitCast } from '../llvm/expr.js';
import { type Cx, type FnState, Scope, uni } from '../llvm/lanes.js';
import { emitStmt } from '../llvm/stmt.js';
import { memTy } from '../llvm/types.js';
import { bindKernel, GPU_NTHREADS, GPU_TID, type Launch } from './bind.js';
import { deviceMath } from './math.js';

/** Threads per block of every launch (the runtime launches with this block size). */
export const GPU_BLOCK = 256;

const NVPTX_LAYOUT = 'e-i64:64-i128:128-v16:16-v32:32-n16:32:64';

function sreg(b: FnBuilder, name: string): string {
  const r = b.intrinsic(`llvm.nvvm.read.ptx.sreg.${name}`, 'i32', []);
  return b.emit(`zext i32 ${r} to i64`);
}

function emitEntry(mod: ModuleBuilder, k: Kernel, l: Launch, target: TargetDesc): string {
  const b = new FnBuilder(mod);
  const f: FnState = { b, mod, target, kernel: l.entry, kind: 'task', status: '%status', tasks: { n: 0 } };
  const params: string[] = [];
  let scope = Scope.empty();
  k.buffers.forEach((buf, i) => {
    params.push(`${memTy(buf.dtype)}* noalias %b${i}`);
    scope = scope.withBuf(buf.name, { ptr: `%b${i}`, dtype: buf.dtype });
  });
  const base = b.emit(`mul nuw nsw i64 ${sreg(b, 'ctaid.x')}, ${sreg(b, 'ntid.x')}`);
  const tid = b.emit(`add nuw nsw i64 ${base}, ${sreg(b, 'tid.x')}`);
  const nthreads = b.emit(`mul nuw nsw i64 ${sreg(b, 'nctaid.x')}, ${sreg(b, 'ntid.x')}`);
  scope = scope.withVar(GPU_TID.name, uni('i64', tid)).withVar(GPU_NTHREADS.name, uni('i64', nthreads));
  let cx: Cx = { f, scope, w: 1, mask: null };
  k.scalars.forEach((v, i) => {
    params.push(`i64 %s${i}`);
    cx = { ...cx, scope: cx.scope.withVar(v.name, emitCast(cx, uni('i64', `%s${i}`), 'int64', v.dtype)) };
  });
  params.push('i32* %status');
  emitStmt(cx, l.body);
  b.instr('ret void');
  mod.functions.push(b.finish(`define void @${l.entry}(${params.join(', ')}) nounwind`));
  const types = params.map((p) => p.split(' ')[0]).join(', ');
  return `void (${types})* @${l.entry}`;
}

export interface DeviceModule {
  readonly ir: string;
  readonly launches: readonly Launch[];
}

/** The NVPTX module of kernel `k` and the launches it defines (in order). */
export function emitDeviceModule(k: Kernel, gpu: GpuTarget, host: TargetDesc): DeviceModule {
  const target: TargetDesc = { ...host, triple: gpu.triple, cpu: gpu.llvmCpu, features: `+${gpu.ptx}` };
  const mod = new ModuleBuilder();
  const launches = bindKernel(k);
  const refs = launches.map((l) => emitEntry(mod, k, l, target));
  const notes = refs.flatMap((r, i) => [
    `!${2 * i} = !{${r}, !"kernel", i32 1}`, `!${2 * i + 1} = !{${r}, !"maxntidx", i32 ${GPU_BLOCK}}`,
  ]);
  const body = [
    `; kestrel GPU kernel ${k.name} (${launches.length} launch${launches.length > 1 ? 'es' : ''})`,
    `target triple = "${gpu.triple}"`,
    `target datalayout = "${NVPTX_LAYOUT}"`,
    '',
    ...mod.functions.flatMap((fn) => [fn, '']),
  ].join('\n');
  const { ir, unresolved } = deviceMath(body, mod.declarations());
  if (unresolved.length) {
    throw new Error(`codegen: it calls ${unresolved.join(', ')}, which the GPU has no implementation of`);
  }
  const ids = refs.flatMap((_, i) => [`!${2 * i}`, `!${2 * i + 1}`]);
  const annotations = `!nvvm.annotations = !{${ids.join(', ')}}`;
  return { ir: [ir, annotations, ...notes, ''].join('\n'), launches };
}
