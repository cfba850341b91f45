// Outlining of 'parallel' loops. `for i in [min, min+n) parallel: body` becomes
//   internal void @<kernel>_task<k>(i8* closure, i64 begin, i64 end)      ; the ABI task
//   internal void @<kernel>_task<k>.body(i32* status, T* noalias bufs..., captures..., i64 min,
//                                        i64 begin, i64 end) alwaysinline ; the loop itself
// and the kernel stores {status, buffer pointers, captured values, min} in a closure struct on
// its stack, calls ctx->parallel_for(ctx->pool, task, closure, n) and returns the status slot
// when a task recorded a failed assert (first failure wins, via cmpxchg).
// Requires: called outside vector/parallel contexts (all captured values are uniform scalars).
// Guarantees: the task touches only captured state; `noalias` on the outlined buffer parameters
// is sound because the VM never passes one buffer twice and local allocs are distinct.

import type { Expr, Stmt } from '../../ir/tir.js';
import { FnBuilder } from './builder.js';
import { Scope, uni } from './lanes.js';
import type { Cx, FnState, Val } from './lanes.js';
import { emitCountedLoop, uniformBound } from './loops.js';
import { assertNever, memTy, regTy } from './types.js';

type ForStmt = Extract<Stmt, { kind: 'for' }>;
type StmtEmitter = (cx: Cx, s: Stmt) => void;

function exprNames(e: Expr, vars: Set<string>, bufs: Set<string>): void {
  switch (e.kind) {
    case 'const': return;
    case 'var': vars.add(e.name); return;
    case 'load': bufs.add(e.buf.name); exprNames(e.index, vars, bufs); return;
    case 'binary': exprNames(e.a, vars, bufs); exprNames(e.b, vars, bufs); return;
    case 'unary': case 'cast': exprNames(e.a, vars, bufs); return;
    case 'select':
      for (const x of [e.cond, e.a, e.b]) exprNames(x, vars, bufs);
      return;
    default: assertNever(e);
  }
}

/** Names of all variables and buffers a statement mentions. */
export function stmtNames(s: Stmt, vars: Set<string>, bufs: Set<string>): void {
  switch (s.kind) {
    case 'for':
      exprNames(s.min, vars, bufs);
      exprNames(s.extent, vars, bufs);
      stmtNames(s.body, vars, bufs);
      return;
    case 'store':
      bufs.add(s.buf.name);
      exprNames(s.index, vars, bufs);
      exprNames(s.value, vars, bufs);
      return;
    case 'seq': for (const b of s.body) stmtNames(b, vars, bufs); return;
    case 'if':
      exprNames(s.cond, vars, bufs);
      stmtNames(s.then, vars, bufs);
      if (s.else) stmtNames(s.else, vars, bufs);
      return;
    case 'let': exprNames(s.value, vars, bufs); stmtNames(s.body, vars, bufs); return;
    case 'alloc': stmtNames(s.body, vars, bufs); return;
    case 'assert': exprNames(s.cond, vars, bufs); return;
    default: assertNever(s);
  }
}

interface Capture {
  readonly name: string;
  readonly ty: string;
  readonly value: string;
  readonly kind: 'buf' | 'var';
}

function captures(cx: Cx, s: ForStmt): Capture[] {
  const vars = new Set<string>();
  const bufs = new Set<string>();
  stmtNames(s.body, vars, bufs);
  const out: Capture[] = [];
  for (const name of cx.scope.bufNames()) {
    if (!bufs.has(name)) continue;
    const r = cx.scope.buf(name);
    out.push({ name, ty: `${memTy(r.dtype)}*`, value: r.ptr, kind: 'buf' });
  }
  for (const name of cx.scope.varNames()) {
    if (!vars.has(name) || name === s.var.name) continue;
    const v = cx.scope.get(name) as Extract<Val, { k: 'u' }>;
    out.push({ name, ty: v.t, value: v.v, kind: 'var' });
  }
  return out;
}

export function emitParallel(cx: Cx, s: ForStmt, emitStmt: StmtEmitter): void {
  const k = cx.f.tasks.n++;
  const task = `${cx.f.kernel}_task${k}`;
  const caps = captures(cx, s);
  const t = regTy(s.var.dtype);
  const lo = uniformBound(cx, s.min, s);
  const n = uniformBound(cx, s.extent, s);
  emitTaskBody(cx, s, task, caps, emitStmt);
  emitTaskThunk(cx, task, caps, t);
  emitLaunch(cx, task, caps, t, lo, n);
}

function closureType(caps: readonly Capture[], t: string): string {
  return `{ i32*, ${[...caps.map((c) => c.ty), t].join(', ')} }`;
}

function emitTaskBody(cx: Cx, s: ForStmt, task: string, caps: readonly Capture[],
  emitStmt: StmtEmitter): void {
  const b = new FnBuilder(cx.f.mod);
  const t = regTy(s.var.dtype);
  const f: FnState = { ...cx.f, b, kind: 'task', status: '%status', ctx: undefined };
  let scope = Scope.empty();
  const params = ['i32* %status'];
  caps.forEach((c, i) => {
    const p = `%c${i}`;
    params.push(c.kind === 'buf' ? `${c.ty} noalias ${p}` : `${c.ty} ${p}`);
    if (c.kind === 'buf') scope = scope.withBuf(c.name, { ptr: p, dtype: cx.scope.buf(c.name).dtype });
    else scope = scope.withVar(c.name, uni(c.ty, p));
  });
  params.push(`${t} %min`, 'i64 %begin', 'i64 %end');
  const tcx: Cx = { f, scope, w: 1, mask: null };
  const conv = (x: string): string => (t === 'i64' ? x : b.emit(`trunc i64 ${x} to ${t}`));
  const [lo, hi] = [conv('%begin'), conv('%end')];
  emitCountedLoop(tcx, t, lo, hi, (i) => {
    const v = b.emit(`add ${t} %min, ${i}`);
    emitStmt({ ...tcx, scope: scope.withVar(s.var.name, uni(t, v)) }, s.body);
  });
  b.instr('ret void');
  const head = `define internal void @${task}.body(${params.join(', ')}) alwaysinline nounwind`;
  cx.f.mod.functions.push(b.finish(head));
}

function emitTaskThunk(cx: Cx, task: string, caps: readonly Capture[], t: string): void {
  const b = new FnBuilder(cx.f.mod);
  const ct = closureType(caps, t);
  const cl = b.emit(`bitcast i8* %closure to ${ct}*`);
  const field = (i: number, ty: string): string => {
    const p = b.emit(`getelementptr inbounds ${ct}, ${ct}* ${cl}, i32 0, i32 ${i}`);
    return `${ty} ${b.emit(`load ${ty}, ${ty}* ${p}`)}`;
  };
  const args = [field(0, 'i32*'), ...caps.map((c, i) => field(i + 1, c.ty)), field(caps.length + 1, t)];
  b.instr(`call void @${task}.body(${[...args, 'i64 %begin', 'i64 %end'].join(', ')})`);
  b.instr('ret void');
  const head = `define internal void @${task}(i8* %closure, i64 %begin, i64 %end) nounwind`;
  cx.f.mod.functions.push(b.finish(head));
}

const TASK_FN = 'void (i8*, i64, i64)*';
const PFOR_FN = `void (i8*, ${TASK_FN}, i8*, i64)*`;

function emitLaunch(cx: Cx, task: string, caps: readonly Capture[], t: string, lo: string, n: string): void {
  const b = cx.f.b;
  const ct = closureType(caps, t);
  const cl = b.alloca(ct, 8);
  const status = b.alloca('i32', 4);
  const put = (i: number, ty: string, v: string): void => {
    const p = b.emit(`getelementptr inbounds ${ct}, ${ct}* ${cl}, i32 0, i32 ${i}`);
    b.instr(`store ${ty} ${v}, ${ty}* ${p}`);
  };
  b.instr(`store i32 0, i32* ${status}`);
  put(0, 'i32*', status);
  caps.forEach((c, i) => put(i + 1, c.ty, c.value));
  put(caps.length + 1, t, lo);
  const [run, done, fail] = [b.label('par.run'), b.label('par.done'), b.label('par.fail')];
  const n64 = t === 'i64' ? n : b.emit(`sext ${t} ${n} to i64`);
  b.condBr(b.emit(`icmp sgt i64 ${n64}, 0`), run, done);
  b.block(run);
  const ctx = cx.f.ctx as string;
  const pfp = b.emit(`getelementptr inbounds %kestrel.ctx, %kestrel.ctx* ${ctx}, i32 0, i32 0`);
  const pf = b.emit(`load ${PFOR_FN}, ${PFOR_FN}* ${pfp}`);
  const poolp = b.emit(`getelementptr inbounds %kestrel.ctx, %kestrel.ctx* ${ctx}, i32 0, i32 1`);
  const pool = b.emit(`load i8*, i8** ${poolp}`);
  const clp = b.emit(`bitcast ${ct}* ${cl} to i8*`);
  b.instr(`call void ${pf}(i8* ${pool}, ${TASK_FN} @${task}, i8* ${clp}, i64 ${n64})`);
  const st = b.emit(`load atomic i32, i32* ${status} acquire, align 4`);
  b.condBr(b.emit(`icmp ne i32 ${st}, 0`), fail, done);
  b.block(fail);
  b.instr(`ret i32 ${st}`);
  b.block(done);
}
