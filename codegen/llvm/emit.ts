// Tensor-IR kernels -> one textual LLVM 14 module. Each kernel becomes
//   define i32 @<name>(%kestrel.ctx* %ctx, i8** %bufs, i64* %scalars) nounwind   ; the ABI entry
//   define internal i32 @<name>.body(%kestrel.ctx*, T0* noalias, ..., i64 ...) alwaysinline
// The entry only unpacks pointers and scalars; inlining the body turns its `noalias` parameters
// into alias scopes on every access, which is how loads and stores of distinct tensors are known
// not to alias (sound: the VM never passes the same buffer twice). The module also exports
//   @kestrel_kernels = [N x i8*] (kernel entry points, in order) and @kestrel_kernel_count = N.
// Fast-math: only `contract` (FMA formation) is used anywhere; reductions stay in program order,
// so results match ir/tir-interp.ts up to FMA rounding. Requires: kernels whose names are unique.
// Guarantees: output that LLVM 14's verifier accepts for well-formed tensor IR (tested).

import type { Kernel } from '../../ir/tir.js';
import type { TargetDesc } from '../target.js';
import { FnBuilder, ModuleBuilder } from './builder.js';
import { Scope, uni } from './lanes.js';
import type { Cx, FnState } from './lanes.js';
import { emitCast } from './expr.js';
import { emitStmt } from './stmt.js';
import { memTy } from './types.js';

export interface EmitOptions {
  readonly target: TargetDesc;
}

export const CTX_TYPE = '%kestrel.ctx = type { void (i8*, void (i8*, i64, i64)*, i8*, i64)*, i8* }';

function checkName(name: string): void {
  if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(name)) {
    throw new Error(`codegen: kernel name '${name}' is not a C identifier`);
  }
}

function emitBody(mod: ModuleBuilder, k: Kernel, target: TargetDesc): void {
  const b = new FnBuilder(mod);
  const f: FnState = { b, mod, target, kernel: k.name, kind: 'kernel', tasks: { n: 0 }, ctx: '%ctx' };
  let scope = Scope.empty();
  const params = ['%kestrel.ctx* %ctx'];
  k.buffers.forEach((buf, i) => {
    params.push(`${memTy(buf.dtype)}* noalias %b${i}`);
    scope = scope.withBuf(buf.name, { ptr: `%b${i}`, dtype: buf.dtype });
  });
  let cx: Cx = { f, scope, w: 1, mask: null };
  k.scalars.forEach((v, i) => {
    params.push(`i64 %s${i}`);
    const val = emitCast(cx, uni('i64', `%s${i}`), 'int64', v.dtype);
    cx = { ...cx, scope: cx.scope.withVar(v.name, val) };
  });
  emitStmt(cx, k.body);
  b.instr('ret i32 0');
  const head = `define internal i32 @${k.name}.body(${params.join(', ')}) alwaysinline nounwind`;
  mod.functions.push(b.finish(head));
}

function emitEntry(mod: ModuleBuilder, k: Kernel): void {
  const b = new FnBuilder(mod);
  const args = ['%kestrel.ctx* %ctx'];
  k.buffers.forEach((buf, i) => {
    const pp = b.emit(`getelementptr inbounds i8*, i8** %bufs, i64 ${i}`);
    const raw = b.emit(`load i8*, i8** ${pp}, align 8`);
    const mt = memTy(buf.dtype);
    args.push(`${mt}* ${b.emit(`bitcast i8* ${raw} to ${mt}*`)}`);
  });
  k.scalars.forEach((_, i) => {
    const sp = b.emit(`getelementptr inbounds i64, i64* %scalars, i64 ${i}`);
    args.push(`i64 ${b.emit(`load i64, i64* ${sp}, align 8`)}`);
  });
  const r = b.emit(`call i32 @${k.name}.body(${args.join(', ')})`);
  b.instr(`ret i32 ${r}`);
  const params = '%kestrel.ctx* %ctx, i8** nocapture readonly %bufs, i64* nocapture readonly %scalars';
  mod.functions.push(b.finish(`define i32 @${k.name}(${params}) nounwind`));
}

function kernelTable(kernels: readonly Kernel[]): string[] {
  const fnTy = 'i32 (%kestrel.ctx*, i8**, i64*)*';
  const entries = kernels.map((k) => `i8* bitcast (${fnTy} @${k.name} to i8*)`);
  const init = entries.length ? `[${entries.join(', ')}]` : 'zeroinitializer';
  return [
    `@kestrel_kernels = constant [${kernels.length} x i8*] ${init}, align 8`,
    `@kestrel_kernel_count = constant i64 ${kernels.length}, align 8`,
  ];
}

/** Textual LLVM IR for `kernels` (see the file comment for what it defines and exports). */
export function emitModule(kernels: readonly Kernel[], opts: EmitOptions): string {
  const mod = new ModuleBuilder();
  const seen = new Set<string>();
  for (const k of kernels) {
    checkName(k.name);
    if (seen.has(k.name)) throw new Error(`codegen: duplicate kernel name ${k.name}`);
    seen.add(k.name);
    emitBody(mod, k, opts.target);
    emitEntry(mod, k);
  }
  return [
    `; kestrel kernels (${kernels.length})`,
    `target triple = "${opts.target.triple}"`,
    ...(opts.target.dataLayout ? [`target datalayout = "${opts.target.dataLayout}"`] : []),
    CTX_TYPE,
    '',
    ...mod.functions.flatMap((f) => [f, '']),
    ...kernelTable(kernels),
    '',
    ...mod.declarations(),
    '',
  ].join('\n');
}
