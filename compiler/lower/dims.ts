// Turns symbolic dims into tir int64 expressions over kernel scalar parameters, recording which
// symbols a kernel needs (they become its `scalars`, passed by the VM from its symbol registers).

import type { Atom, Dim } from '../../ir/dim.js';
import * as t from '../../ir/tir-build.js';
import type { Expr, Var } from '../../ir/tir.js';

export class SymbolParams {
  private readonly vars = new Map<string, Var>();

  /** The kernel's scalar parameters, in first-use order, with the symbol each one carries. */
  params(): { symbol: string; v: Var }[] {
    return [...this.vars.entries()].map(([symbol, v]) => ({ symbol, v }));
  }

  dim(d: Dim): Expr {
    if (typeof d === 'number') return t.imm(d);
    let acc: Expr = t.imm(d.constant);
    for (const term of d.terms) {
      const prod = term.atoms.reduce<Expr>((p, a) => t.mul(p, this.atom(a)), t.imm(term.coef));
      acc = t.add(acc, prod);
    }
    return acc;
  }

  private atom(a: Atom): Expr {
    switch (a.kind) {
      case 'var': {
        let v = this.vars.get(a.name);
        if (!v) {
          v = t.variable(`s${this.vars.size}`);
          this.vars.set(a.name, v);
        }
        return v;
      }
      case 'floordiv': return t.floordiv(this.dim(a.a), this.dim(a.b));
      case 'mod': return t.mod(this.dim(a.a), this.dim(a.b));
      case 'max': return t.max(this.dim(a.a), this.dim(a.b));
      case 'min': return t.min(this.dim(a.a), this.dim(a.b));
    }
  }
}
