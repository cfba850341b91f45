// Tensor-IR statements -> LLVM basic blocks. Serial loops count in an entry-block alloca (SROA
// and mem2reg turn it into a phi); 'unroll' loops are expanded here with the loop variable
// substituted by a constant, so local accumulators get constant offsets and live in registers;
// a 'vectorize' loop evaluates its body once over W lanes with the loop variable as the ramp
// min + lane; 'parallel' loops are outlined (parallel.ts).
// Requires: vectorize/unroll extents are constants; parallel loops are not nested in parallel or
// vector loops; loop bounds inside a vector loop are lane-uniform. Guarantees: a lane-varying
// `if` runs both arms under complementary masks; a failed assert returns its code (kernel) or
// records it in the status slot and leaves the chunk (task).

import type { Expr, Stmt } from '../../ir/tir.js';
import { andMask, notMask, toVec, uni } from './lanes.js';
import type { Cx, Val } from './lanes.js';
import { emitExpr, toI64 } from './expr.js';
import { emitCountedLoop, uniformBound } from './loops.js';
import { emitStore } from './memory.js';
import { emitParallel } from './parallel.js';
import { assertNever, memTy, regTy } from './types.js';

type ForStmt = Extract<Stmt, { kind: 'for' }>;

export function emitStmt(cx: Cx, s: Stmt): void {
  switch (s.kind) {
    case 'for': emitFor(cx, s); return;
    case 'store': emitStore(cx, s.buf, toI64(cx, s.index), emitExpr(cx, s.value)); return;
    case 'seq': for (const b of s.body) emitStmt(cx, b); return;
    case 'if': emitIf(cx, s.cond, s.then, s.else); return;
    case 'let':
      emitStmt({ ...cx, scope: cx.scope.withVar(s.var.name, emitExpr(cx, s.value)) }, s.body);
      return;
    case 'alloc': emitAlloc(cx, s); return;
    case 'assert': emitAssert(cx, s.cond, s.code); return;
    default: assertNever(s);
  }
}

function constExtent(s: ForStmt): number {
  if (s.extent.kind !== 'const') {
    throw new Error(`codegen: ${s.loop} loop ${s.var.name} needs a constant extent`);
  }
  return s.extent.value;
}

function emitFor(cx: Cx, s: ForStmt): void {
  switch (s.loop) {
    case 'serial': emitSerial(cx, s); return;
    case 'unroll': emitUnrolled(cx, s); return;
    case 'vectorize': emitVectorized(cx, s); return;
    case 'parallel':
      if (cx.w !== 1 || cx.f.kind !== 'kernel') {
        throw new Error(`codegen: parallel loop ${s.var.name} nested in a vector or parallel loop`);
      }
      emitParallel(cx, s, emitStmt);
      return;
    default: assertNever(s.loop);
  }
}

function emitSerial(cx: Cx, s: ForStmt): void {
  const t = regTy(s.var.dtype);
  const lo = uniformBound(cx, s.min, s);
  const ext = uniformBound(cx, s.extent, s);
  const hi = cx.f.b.emit(`add ${t} ${lo}, ${ext}`);
  emitCountedLoop(cx, t, lo, hi, (i) => {
    emitStmt({ ...cx, scope: cx.scope.withVar(s.var.name, uni(t, i)) }, s.body);
  });
}

function emitUnrolled(cx: Cx, s: ForStmt): void {
  const n = constExtent(s);
  const t = regTy(s.var.dtype);
  const lo = s.min.kind === 'const' ? s.min.value : null;
  const base = lo === null ? uniformBound(cx, s.min, s) : '';
  for (let i = 0; i < n; i++) {
    const v = lo !== null ? String(lo + i) : cx.f.b.emit(`add ${t} ${base}, ${i}`);
    emitStmt({ ...cx, scope: cx.scope.withVar(s.var.name, uni(t, v)) }, s.body);
  }
}

function emitVectorized(cx: Cx, s: ForStmt): void {
  const w = constExtent(s);
  if (w === 1) return emitUnrolled(cx, s);
  if (cx.w !== 1) throw new Error(`codegen: vectorize loop ${s.var.name} nested in a vector loop`);
  const t = regTy(s.var.dtype);
  const ramp: Val = { k: 'r', t, base: uniformBound(cx, s.min, s), stride: 1 };
  emitStmt({ ...cx, w, mask: null, scope: cx.scope.withVar(s.var.name, ramp) }, s.body);
}

function emitIf(cx: Cx, condE: Expr, then: Stmt, otherwise: Stmt | undefined): void {
  const c = emitExpr(cx, condE);
  if (c.k !== 'u') {
    const cv = toVec(cx, c);
    emitStmt({ ...cx, mask: andMask(cx, cx.mask, cv) }, then);
    if (otherwise) emitStmt({ ...cx, mask: andMask(cx, cx.mask, notMask(cx, cv)) }, otherwise);
    return;
  }
  const b = cx.f.b;
  const [lt, lf, lj] = [b.label('then'), b.label('else'), b.label('endif')];
  b.condBr(c.v, lt, otherwise ? lf : lj);
  b.block(lt);
  emitStmt(cx, then);
  b.br(lj);
  if (otherwise) {
    b.block(lf);
    emitStmt(cx, otherwise);
    b.br(lj);
  }
  b.block(lj);
}

function emitAlloc(cx: Cx, s: Extract<Stmt, { kind: 'alloc' }>): void {
  const mt = memTy(s.buf.dtype);
  const arr = `[${s.size} x ${mt}]`;
  const a = cx.f.b.alloca(arr, 64);
  const p = cx.f.b.emit(`getelementptr inbounds ${arr}, ${arr}* ${a}, i64 0, i64 0`);
  emitStmt({ ...cx, scope: cx.scope.withBuf(s.buf.name, { ptr: p, dtype: s.buf.dtype }) }, s.body);
}

function emitAssert(cx: Cx, condE: Expr, code: number): void {
  const b = cx.f.b;
  const c = emitExpr(cx, condE);
  let ok: string;
  if (c.k === 'u') ok = c.v;
  else {
    const bad = andMask(cx, cx.mask, notMask(cx, toVec(cx, c))) as string;
    const any = b.intrinsic(`llvm.vector.reduce.or.v${cx.w}i1`, 'i1', [[`<${cx.w} x i1>`, bad]]);
    ok = b.emit(`xor i1 ${any}, true`);
  }
  const [lok, lfail] = [b.label('assert.ok'), b.label('assert.fail')];
  b.condBr(ok, lok, lfail);
  b.block(lfail);
  if (cx.f.kind === 'kernel') b.instr(`ret i32 ${code}`);
  else {
    b.emit(`cmpxchg i32* ${cx.f.status}, i32 0, i32 ${code} monotonic monotonic`);
    b.instr('ret void');
  }
  b.block(lok);
}
