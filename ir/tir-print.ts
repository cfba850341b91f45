// Readable text for tensor-IR kernels, statements and expressions, for dumps and test failures.
// Requires: well-formed nodes (see tir.ts). Guarantees: deterministic output, one statement per
// line, two-space indentation; expressions are fully parenthesised where precedence could mislead.

import type { Expr, Kernel, Stmt } from './tir.js';

function assertNever(x: never): never {
  throw new Error(`unexpected node ${JSON.stringify(x)}`);
}

const INFIX: Readonly<Record<string, string>> = {
  add: '+', sub: '-', mul: '*', div: '/', floordiv: '//', mod: '%',
  eq: '==', ne: '!=', lt: '<', le: '<=', gt: '>', ge: '>=', and: '&', or: '|', xor: '^',
};

export function printExpr(e: Expr): string {
  switch (e.kind) {
    case 'const': return e.dtype === 'int64' ? String(e.value) : `${e.value}:${e.dtype}`;
    case 'var': return e.name;
    case 'binary': {
      const op = INFIX[e.op];
      const a = printExpr(e.a);
      const b = printExpr(e.b);
      return op ? `(${a} ${op} ${b})` : `${e.op}(${a}, ${b})`;
    }
    case 'unary': return `${e.op}(${printExpr(e.a)})`;
    case 'cast': return `${e.bits ? 'bitcast:' : ''}${e.dtype}(${printExpr(e.a)})`;
    case 'select': return `select(${printExpr(e.cond)}, ${printExpr(e.a)}, ${printExpr(e.b)})`;
    case 'load': return `${e.buf.name}[${printExpr(e.index)}]`;
    default: return assertNever(e);
  }
}

function printStmtLines(s: Stmt, indent: string, out: string[]): void {
  const inner = indent + '  ';
  switch (s.kind) {
    case 'for': {
      const tag = s.loop === 'serial' ? '' : ` ${s.loop}`;
      out.push(`${indent}for${tag} ${s.var.name} in [${printExpr(s.min)}, +${printExpr(s.extent)}):`);
      printStmtLines(s.body, inner, out);
      return;
    }
    case 'store':
      out.push(`${indent}${s.buf.name}[${printExpr(s.index)}] = ${printExpr(s.value)}`);
      return;
    case 'seq':
      for (const b of s.body) printStmtLines(b, indent, out);
      return;
    case 'if':
      out.push(`${indent}if ${printExpr(s.cond)}:`);
      printStmtLines(s.then, inner, out);
      if (s.else) {
        out.push(`${indent}else:`);
        printStmtLines(s.else, inner, out);
      }
      return;
    case 'let':
      out.push(`${indent}let ${s.var.name}: ${s.var.dtype} = ${printExpr(s.value)}`);
      printStmtLines(s.body, indent, out);
      return;
    case 'alloc':
      out.push(`${indent}alloc ${s.buf.name}: ${s.buf.dtype}[${s.size}]`);
      printStmtLines(s.body, indent, out);
      return;
    case 'assert':
      out.push(`${indent}assert ${printExpr(s.cond)} else return ${s.code}`);
      return;
    default: assertNever(s);
  }
}

export function printStmt(s: Stmt, indent = ''): string {
  const out: string[] = [];
  printStmtLines(s, indent, out);
  return out.join('\n');
}

export function printKernel(k: Kernel): string {
  const bufs = k.buffers.map((b) => `${b.name}: ${b.dtype}*`);
  const scalars = k.scalars.map((v) => `${v.name}: ${v.dtype}`);
  const head = `kernel ${k.name}(${[...bufs, ...scalars].join(', ')}) {`;
  return `${head}\n${printStmt(k.body, '  ')}\n}`;
}
