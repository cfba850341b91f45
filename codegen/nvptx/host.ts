// The host half of a GPU artifact, as one textual LLVM 14 module for the host CPU:
//   i32 @<kernel>(%kestrel.ctx*, i8**, i64*)   a stub per kernel, returning GPU_KERNEL_ON_HOST: the
//                                              VM's kernel table stays well formed, and a run
//                                              that reaches a stub fails cleanly (never happens
//                                              with a CUDA device, which launches the PTX)
//   i64 @<entry>.grid(i64* %scalars)           per launch: the threads it wants, computed from the
//                                              kernel's scalars with the CPU emitter (-1: the
//                                              count reads tensor data; use the fixed grid)
//   @kestrel_kernels, @kestrel_kernel_count    as for CPU artifacts (codegen/llvm/emit.ts)
//   @kestrel_gpu_grids = [L x i8*], @kestrel_gpu_launch_count = L   launches of all kernels, in order
// Requires: launches from codegen/nvptx/bind.ts. Guarantees: the grid functions only read scalars.

import type { Kernel } from '../../ir/tir.js';
import { KernelStatus } from '../../ir/kernel-status.js';
import type { TargetDesc } from '../target.js';
import { FnBuilder, ModuleBuilder } from '../llvm/builder.js';
import { CTX_TYPE } from '../llvm/emit.js';
import { emitCast, emitExpr } from '../llvm/expr.js';
import { type Cx, type FnState, Scope, uni } from '../llvm/lanes.js';
import type { Launch } from './bind.js';

function emitStub(mod: ModuleBuilder, k: Kernel): void {
  const b = new FnBuilder(mod);
  b.instr(`ret i32 ${KernelStatus.GPU_KERNEL_ON_HOST}`);
  const params = '%kestrel.ctx* %ctx, i8** nocapture readnone %bufs, i64* nocapture readnone %scalars';
  mod.functions.push(b.finish(`define i32 @${k.name}(${params}) nounwind`));
}

function emitGrid(mod: ModuleBuilder, k: Kernel, l: Launch, target: TargetDesc): void {
  const b = new FnBuilder(mod);
  const f: FnState = { b, mod, target, kernel: l.entry, kind: 'kernel', tasks: { n: 0 } };
  let cx: Cx = { f, scope: Scope.empty(), w: 1, mask: null };
  const { extent, lets } = l.threads;
  if (extent === null) {
    b.instr('ret i64 -1');
  } else {
    k.scalars.forEach((v, i) => {
      const p = b.emit(`getelementptr inbounds i64, i64* %scalars, i64 ${i}`);
      const s = b.emit(`load i64, i64* ${p}, align 8`);
      cx = { ...cx, scope: cx.scope.withVar(v.name, emitCast(cx, uni('i64', s), 'int64', v.dtype)) };
    });
    for (const x of lets) cx = { ...cx, scope: cx.scope.withVar(x.var.name, emitExpr(cx, x.value)) };
    const n = emitCast(cx, emitExpr(cx, extent), extent.dtype, 'int64');
    if (n.k !== 'u') throw new Error(`codegen: thread count of ${l.entry} is not a scalar`);
    b.instr(`ret i64 ${n.v}`);
  }
  const head = `define internal i64 @${l.entry}.grid(i64* nocapture readonly %scalars) nounwind`;
  mod.functions.push(b.finish(head));
}

function table(name: string, ty: string, refs: readonly string[]): string[] {
  const items = refs.map((r) => `i8* bitcast (${ty} ${r} to i8*)`);
  const init = refs.length ? `[${items.join(', ')}]` : 'zeroinitializer';
  return [`@${name} = constant [${refs.length} x i8*] ${init}, align 8`];
}

/** The host module of a GPU artifact whose kernels are `kernels`, launched as `launches[i]`. */
export function emitHostModule(kernels: readonly Kernel[], launches: readonly (readonly Launch[])[],
  target: TargetDesc): string {
  const mod = new ModuleBuilder();
  kernels.forEach((k, i) => {
    emitStub(mod, k);
    for (const l of launches[i]) emitGrid(mod, k, l, target);
  });
  const all = launches.flat();
  return [
    `; kestrel GPU artifact, host side (${kernels.length} kernels, ${all.length} launches)`,
    `target triple = "${target.triple}"`,
    CTX_TYPE,
    '',
    ...mod.functions.flatMap((fn) => [fn, '']),
    ...table('kestrel_kernels', 'i32 (%kestrel.ctx*, i8**, i64*)*', kernels.map((k) => `@${k.name}`)),
    `@kestrel_kernel_count = constant i64 ${kernels.length}, align 8`,
    ...table('kestrel_gpu_grids', 'i64 (i64*)*', all.map((l) => `@${l.entry}.grid`)),
    `@kestrel_gpu_launch_count = constant i64 ${all.length}, align 8`,
    '',
    ...mod.declarations(),
    '',
  ].join('\n');
}
