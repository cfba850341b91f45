// Verifier of tensor-IR kernels: checks the rules of ir/tir.ts that codegen relies on, so a
// broken lowering or schedule fails at the IR boundary with the kernel and the statement named,
// not deep inside LLVM emission. Checked: every variable is defined before use (kernel scalars,
// loop and let variables) with the dtype it was defined with and is not redefined while in
// scope; every buffer is declared (parameters in the kernel's list, locals by an enclosing
// `alloc`) and used with its declared dtype; vectorize/unroll loops have constant extents; no
// parallel loop inside a parallel or vector loop, no vector loop inside a vector loop, and loops
// inside a vector loop have lane-uniform bounds; dtypes agree (int64 indices and loop bounds,
// bool conditions, matching operands, stores of the buffer's dtype); alloc sizes are positive.
// Requires: nothing. Guarantees: pure; returns every problem found (empty when the kernel is
// well formed), each message starting with the kernel name.

import type { DType } from './dtype.js';
import { isFloat } from './dtype.js';
import { printExpr } from './tir-print.js';
import type { Buffer, Expr, Kernel, Stmt, Var } from './tir.js';

function assertNever(x: never): never {
  throw new Error(`unexpected node ${JSON.stringify(x)}`);
}

const COMPARE = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);
const INT_ONLY = new Set(['floordiv', 'mod']);
const BITWISE = new Set(['and', 'or', 'xor']);

/** Where the verifier stands: variables and local buffers in scope, enclosing loop kinds. */
interface Scope {
  readonly vars: ReadonlyMap<string, DType>;
  readonly bufs: ReadonlyMap<string, Buffer>;
  readonly inParallel: boolean;
  readonly inVector: boolean;
  /** Variables whose value differs between the lanes of the enclosing vector loop. */
  readonly laneVarying: ReadonlySet<string>;
}

class Verifier {
  readonly errors: string[] = [];

  constructor(private readonly k: Kernel) {}

  err(msg: string): void {
    this.errors.push(`kernel ${this.k.name}: ${msg}`);
  }

  buffer(b: Buffer, sc: Scope, use: string): void {
    const decl = sc.bufs.get(b.name);
    if (!decl) this.err(`${use} of undeclared buffer ${b.name}`);
    else if (decl.dtype !== b.dtype || decl.scope !== b.scope) {
      this.err(`${use} of buffer ${b.name} as ${b.scope} ${b.dtype}, declared ${decl.scope} ${decl.dtype}`);
    }
  }

  variable(v: Var, sc: Scope): void {
    const d = sc.vars.get(v.name);
    if (d === undefined) this.err(`variable ${v.name} used before it is defined`);
    else if (d !== v.dtype) this.err(`variable ${v.name} used as ${v.dtype}, defined as ${d}`);
  }

  expect(e: Expr, dtype: DType, what: string): void {
    if (e.dtype !== dtype) this.err(`${what} ${printExpr(e)} is ${e.dtype}, expected ${dtype}`);
  }

  expr(e: Expr, sc: Scope): void {
    switch (e.kind) {
      case 'const': return;
      case 'var': this.variable(e, sc); return;
      case 'binary': this.binary(e, sc); return;
      case 'unary': {
        this.expr(e.a, sc);
        const bool = e.op === 'isnan' || e.op === 'isinf';
        this.expect(e, bool ? 'bool' : e.a.dtype, `result of ${e.op}`);
        return;
      }
      case 'cast': this.expr(e.a, sc); return;
      case 'select':
        this.expr(e.cond, sc); this.expr(e.a, sc); this.expr(e.b, sc);
        this.expect(e.cond, 'bool', 'select condition');
        this.expect(e.b, e.a.dtype, 'select arm');
        this.expect(e, e.a.dtype, 'select');
        return;
      case 'load':
        this.buffer(e.buf, sc, 'load');
        this.expr(e.index, sc);
        this.expect(e.index, 'int64', 'load index');
        this.expect(e, e.buf.dtype, `load of ${e.buf.name}`);
        return;
      default: assertNever(e);
    }
  }

  binary(e: Expr & { kind: 'binary' }, sc: Scope): void {
    this.expr(e.a, sc);
    this.expr(e.b, sc);
    this.expect(e.b, e.a.dtype, `right operand of ${e.op}`);
    this.expect(e, COMPARE.has(e.op) ? 'bool' : e.a.dtype, `result of ${e.op}`);
    if (INT_ONLY.has(e.op) && isFloat(e.a.dtype)) this.err(`${e.op} on ${e.a.dtype} in ${printExpr(e)}`);
    if (BITWISE.has(e.op) && isFloat(e.a.dtype)) this.err(`${e.op} on ${e.a.dtype} in ${printExpr(e)}`);
    if (e.op === 'dot4' && e.a.dtype !== 'int32') this.err(`dot4 on ${e.a.dtype} in ${printExpr(e)}`);
  }

  define(v: Var, sc: Scope, what: string): void {
    if (sc.vars.has(v.name)) this.err(`${what} ${v.name} redefines a variable in scope`);
  }

  stmt(s: Stmt, sc: Scope): void {
    switch (s.kind) {
      case 'for': this.loop(s, sc); return;
      case 'store':
        this.buffer(s.buf, sc, 'store');
        this.expr(s.index, sc); this.expr(s.value, sc);
        this.expect(s.index, 'int64', 'store index');
        this.expect(s.value, s.buf.dtype, `value stored to ${s.buf.name}`);
        return;
      case 'seq': for (const b of s.body) this.stmt(b, sc); return;
      case 'if':
        this.expr(s.cond, sc);
        this.expect(s.cond, 'bool', 'if condition');
        this.stmt(s.then, sc);
        if (s.else) this.stmt(s.else, sc);
        return;
      case 'let': this.letStmt(s, sc); return;
      case 'alloc':
        if (s.buf.scope !== 'local') this.err(`alloc of ${s.buf.name}, a ${s.buf.scope} buffer`);
        if (!Number.isInteger(s.size) || s.size <= 0) this.err(`alloc of ${s.buf.name} with size ${s.size}`);
        if (sc.bufs.has(s.buf.name)) this.err(`alloc of ${s.buf.name} redeclares a buffer in scope`);
        this.stmt(s.body, { ...sc, bufs: new Map([...sc.bufs, [s.buf.name, s.buf]]) });
        return;
      case 'assert':
        this.expr(s.cond, sc);
        this.expect(s.cond, 'bool', 'assert condition');
        if (!Number.isInteger(s.code) || s.code === 0) this.err(`assert with status code ${s.code}`);
        return;
      default: assertNever(s);
    }
  }

  letStmt(s: Stmt & { kind: 'let' }, sc: Scope): void {
    this.expr(s.value, sc);
    this.define(s.var, sc, 'let');
    this.expect(s.value, s.var.dtype, `value of let ${s.var.name}`);
    const varying = sc.inVector && mentions(s.value, sc.laneVarying);
    this.stmt(s.body, {
      ...sc, vars: new Map([...sc.vars, [s.var.name, s.var.dtype]]),
      laneVarying: varying ? new Set([...sc.laneVarying, s.var.name]) : sc.laneVarying,
    });
  }

  loop(s: Stmt & { kind: 'for' }, sc: Scope): void {
    const name = s.var.name;
    this.expr(s.min, sc); this.expr(s.extent, sc);
    this.expect(s.min, 'int64', `min of loop ${name}`);
    this.expect(s.extent, 'int64', `extent of loop ${name}`);
    if (s.var.dtype !== 'int64') this.err(`loop variable ${name} is ${s.var.dtype}, expected int64`);
    this.define(s.var, sc, 'loop variable');
    if (sc.inVector && (mentions(s.min, sc.laneVarying) || mentions(s.extent, sc.laneVarying))) {
      this.err(`bounds of loop ${name} vary by vector lane`);
    }
    const constExtent = s.extent.kind === 'const' && Number.isInteger(s.extent.value) && s.extent.value > 0;
    if ((s.loop === 'vectorize' || s.loop === 'unroll') && !constExtent) {
      this.err(`${s.loop} loop ${name} needs a positive constant extent, has ${printExpr(s.extent)}`);
    }
    const vector = s.loop === 'vectorize' && !(s.extent.kind === 'const' && s.extent.value === 1);
    if (s.loop === 'parallel' && (sc.inParallel || sc.inVector)) {
      this.err(`parallel loop ${name} nested in a ${sc.inVector ? 'vector' : 'parallel'} loop`);
    }
    if (vector && sc.inVector) this.err(`vectorize loop ${name} nested in a vector loop`);
    const vars = new Map([...sc.vars, [name, s.var.dtype]]);
    this.stmt(s.body, {
      ...sc, vars,
      inParallel: sc.inParallel || s.loop === 'parallel',
      inVector: sc.inVector || vector,
      laneVarying: vector ? new Set([...sc.laneVarying, name]) : sc.laneVarying,
    });
  }
}

/** Whether `e` reads any of `vars`. */
function mentions(e: Expr, vars: ReadonlySet<string>): boolean {
  if (vars.size === 0) return false;
  switch (e.kind) {
    case 'const': return false;
    case 'var': return vars.has(e.name);
    case 'binary': return mentions(e.a, vars) || mentions(e.b, vars);
    case 'unary': case 'cast': return mentions(e.a, vars);
    case 'select': return mentions(e.cond, vars) || mentions(e.a, vars) || mentions(e.b, vars);
    case 'load': return mentions(e.index, vars);
    default: return assertNever(e);
  }
}

/** Every rule `k` breaks (empty when it is well formed). */
export function verifyKernel(k: Kernel): string[] {
  const v = new Verifier(k);
  const bufs = new Map<string, Buffer>();
  for (const b of k.buffers) {
    if (b.scope !== 'param') v.err(`buffer parameter ${b.name} has scope ${b.scope}`);
    if (bufs.has(b.name)) v.err(`buffer parameter ${b.name} listed twice`);
    bufs.set(b.name, b);
  }
  const vars = new Map<string, DType>();
  for (const s of k.scalars) {
    if (s.dtype !== 'int64') v.err(`scalar parameter ${s.name} is ${s.dtype}, expected int64`);
    if (vars.has(s.name)) v.err(`scalar parameter ${s.name} listed twice`);
    vars.set(s.name, s.dtype);
  }
  v.stmt(k.body, { vars, bufs, inParallel: false, inVector: false, laneVarying: new Set() });
  return v.errors;
}
