// Loop helpers shared by serial loops (stmt.ts) and outlined parallel task bodies (parallel.ts):
// a lane-uniform loop bound, and a counted loop `for i in [lo, hi)` over an entry-block alloca.
// Kept apart from both so that neither imports the other.
// Requires: bounds that do not vary by vector lane (checked: a varying bound throws).

import type { Expr, Stmt } from '../../ir/tir.js';
import { emitCast, emitExpr } from './expr.js';
import type { Cx } from './lanes.js';

type ForStmt = Extract<Stmt, { kind: 'for' }>;

/** A loop bound as a uniform value of the loop variable's type. */
export function uniformBound(cx: Cx, e: Expr, s: ForStmt): string {
  const v = emitCast(cx, emitExpr(cx, e), e.dtype, s.var.dtype);
  if (v.k !== 'u') throw new Error(`codegen: bounds of loop ${s.var.name} vary by vector lane`);
  return v.v;
}

/**
 * Emits `for i in [lo, hi)` with `body(i)` (i of type t); used by serial loops and task bodies.
 */
export function emitCountedLoop(cx: Cx, t: string, lo: string, hi: string, body: (i: string) => void): void {
  const b = cx.f.b;
  const ctr = b.alloca(t, 8);
  const [head, bodyL, exit] = [b.label('loop'), b.label('body'), b.label('exit')];
  b.instr(`store ${t} ${lo}, ${t}* ${ctr}`);
  b.br(head);
  b.block(head);
  const i = b.emit(`load ${t}, ${t}* ${ctr}`);
  b.condBr(b.emit(`icmp slt ${t} ${i}, ${hi}`), bodyL, exit);
  b.block(bodyL);
  body(i);
  b.instr(`store ${t} ${b.emit(`add nsw ${t} ${i}, 1`)}, ${t}* ${ctr}`);
  b.br(head);
  b.block(exit);
}
