// Text builders for one LLVM module and its functions: fresh SSA names, basic blocks, entry-block
// allocas and intrinsic declarations. Requires: callers pass well-typed operand text.
// Guarantees: every alloca lands in the function's entry block (so loops never grow the stack
// and SROA/mem2reg can promote them); each intrinsic is declared once per module.

export class ModuleBuilder {
  private readonly decls = new Map<string, string>();
  readonly functions: string[] = [];
  readonly types: string[] = [];

  declare(name: string, line: string): void {
    if (!this.decls.has(name)) this.decls.set(name, line);
  }

  declarations(): string[] {
    return [...this.decls.values()];
  }
}

export class FnBuilder {
  private n = 0;
  private readonly body: string[] = [];
  private readonly allocas: string[] = [];
  /** The label of the block currently receiving instructions. */
  current = 'start';

  constructor(readonly mod: ModuleBuilder) {}

  fresh(prefix = 't'): string {
    return `%${prefix}${this.n++}`;
  }

  label(prefix: string): string {
    return `${prefix}${this.n++}`;
  }

  /** Emits `%t = rhs` and returns `%t`. */
  emit(rhs: string): string {
    const t = this.fresh();
    this.body.push(`  ${t} = ${rhs}`);
    return t;
  }

  /** Emits an instruction without a result. */
  instr(text: string): void {
    this.body.push(`  ${text}`);
  }

  block(label: string): void {
    this.body.push(`${label}:`);
    this.current = label;
  }

  br(label: string): void {
    this.instr(`br label %${label}`);
  }

  condBr(cond: string, then: string, otherwise: string): void {
    this.instr(`br i1 ${cond}, label %${then}, label %${otherwise}`);
  }

  alloca(ty: string, align: number, count = 1): string {
    const t = this.fresh('a');
    const n = count === 1 ? '' : `, i64 ${count}`;
    this.allocas.push(`  ${t} = alloca ${ty}${n}, align ${align}`);
    return t;
  }

  /** Calls intrinsic `name` (declared on first use) and returns its result. */
  intrinsic(name: string, ret: string, args: readonly [string, string][]): string {
    this.mod.declare(name, `declare ${ret} @${name}(${args.map((a) => a[0]).join(', ')})`);
    const call = `call ${ret} @${name}(${args.map(([t, v]) => `${t} ${v}`).join(', ')})`;
    if (ret === 'void') {
      this.instr(call);
      return '';
    }
    return this.emit(call);
  }

  /** The function text: `header {`, entry allocas, then the body (which starts at 'start'). */
  finish(header: string): string {
    return [`${header} {`, 'entry:', ...this.allocas, '  br label %start', 'start:', ...this.body, '}']
      .join('\n');
  }
}
