// The VM program IR: what program lowering (compiler/lower/program.ts) produces and the assembler
// encodes — a flat list of instructions (opcode plus named operands, as runtime-vm/isa.json
// declares them) and label positions, with the register, input, output and kernel counts. It can
// be printed and parsed as text (vm-text.ts), compared, and tested as small programs.
// Requires: runtime-vm/isa.generated.ts. Guarantees: a `ProgramWriter` records instructions with
// the Assembler's API and checks every operand is present; `here` is the word offset the
// instruction will have in the encoded code (the debug table refers to it); `assemble` encodes a
// program to exactly the bytes the Assembler would have produced from the same calls.

import { Assembler, Label, type OperandsOf, type Reg } from './bytecode.js';
import { INT_OPS, OPCODES, type IntOpName, type OpName, type OperandKind }
  from '../runtime-vm/isa.generated.js';

/** A jump destination in the IR: the id of a label item. */
export interface LabelRef { readonly label: number }

export type OperandValue = number | bigint | string | LabelRef | readonly (number | bigint)[];

export interface VmInstr {
  readonly kind: 'instr';
  readonly op: OpName;
  readonly operands: Readonly<Record<string, OperandValue>>;
}

export interface VmLabel { readonly kind: 'label'; readonly id: number }

export type VmItem = VmInstr | VmLabel;

export interface VmProgram {
  readonly registers: number;
  readonly inputs: number;
  readonly outputs: number;
  readonly kernels: number;
  readonly items: readonly VmItem[];
}

/** The operand list of `op` as isa.json declares it (name, kind). */
export function operandsOf(op: OpName): readonly (readonly [string, OperandKind])[] {
  return OPCODES[op].operands as unknown as readonly (readonly [string, OperandKind])[];
}

/** Encoded size in words of one operand. */
function operandWords(kind: OperandKind, v: OperandValue): number {
  switch (kind) {
    case 'regs': return 1 + (v as readonly unknown[]).length;
    case 'imms': return 1 + 2 * (v as readonly unknown[]).length;
    case 'imm': return 2;
    case 'reg': case 'target': case 'str': case 'u32': case 'kernel': case 'dtype': return 1;
    default: { const never: never = kind; throw new Error(`unhandled kind ${String(never)}`); }
  }
}

/** Encoded size in words of an instruction (opcode word plus operands). */
export function instrWords(i: VmInstr): number {
  return operandsOf(i.op).reduce((n, [name, kind]) => n + operandWords(kind, i.operands[name]!), 1);
}

/** Highest register an instruction names, plus one (0 when it names none). */
export function regsUsed(i: VmInstr): number {
  let top = 0;
  for (const [name, kind] of operandsOf(i.op)) {
    const v = i.operands[name];
    if (kind === 'reg') top = Math.max(top, (v as number) + 1);
    if (kind === 'regs') for (const r of v as readonly number[]) top = Math.max(top, r + 1);
  }
  return top;
}

export interface ProgramCounts {
  readonly nInputs: number;
  readonly nOutputs: number;
  readonly nKernels: number;
}

/** Records a VM program with the Assembler's interface; `finish` returns the IR. */
export class ProgramWriter {
  private readonly items: VmItem[] = [];
  private nRegs = 0;
  private nLabels = 0;
  private words = 0;

  reg(): Reg { return this.nRegs++; }
  regs(n: number): Reg[] { return Array.from({ length: n }, () => this.reg()); }
  get registerCount(): number { return this.nRegs; }
  label(): Label { return new Label(this.nLabels++); }
  /** The word offset the next instruction will have once encoded. */
  get here(): number { return this.words; }

  bind(l: Label): void {
    if (l.offset >= 0) throw new Error(`label ${l.id} bound twice`);
    l.offset = this.words;
    this.items.push(Object.freeze({ kind: 'label', id: l.id }));
  }

  emit<O extends OpName>(op: O, operands: OperandsOf<O>): void {
    if (!OPCODES[op]) throw new Error(`unknown opcode ${String(op)}`);
    const rec = operands as unknown as Record<string, unknown>;
    const out: Record<string, OperandValue> = {};
    for (const [name, kind] of operandsOf(op)) {
      if (!(name in rec)) throw new Error(`${op}: missing operand '${name}'`);
      const v = rec[name];
      if (kind === 'str' && typeof v !== 'string') throw new Error(`${op}.${name}: pass the string itself`);
      out[name] = v instanceof Label ? Object.freeze({ label: v.id }) : v as OperandValue;
    }
    const instr: VmInstr = Object.freeze({ kind: 'instr', op, operands: Object.freeze(out) });
    this.nRegs = Math.max(this.nRegs, regsUsed(instr));
    this.words += instrWords(instr);
    this.items.push(instr);
  }

  /** Shorthand for `int_op` with the operation named. */
  intOp(op: IntOpName, dst: Reg, a: Reg, b: Reg): void {
    this.emit('int_op', { op: INT_OPS.indexOf(op), dst, a, b });
  }

  finish(c: ProgramCounts): VmProgram {
    return Object.freeze({ registers: this.nRegs, inputs: c.nInputs, outputs: c.nOutputs,
      kernels: c.nKernels, items: Object.freeze([...this.items]) });
  }
}

/** Encodes a program to bytecode (codegen/bytecode.ts format). */
export function assemble(p: VmProgram): Uint8Array {
  const a = new Assembler();
  a.regs(p.registers);
  const labels = new Map<number, Label>();
  const labelOf = (id: number): Label => {
    let l = labels.get(id);
    if (!l) labels.set(id, l = a.label());
    return l;
  };
  for (const item of p.items) {
    if (item.kind === 'label') { a.bind(labelOf(item.id)); continue; }
    const ops: Record<string, unknown> = {};
    for (const [name, v] of Object.entries(item.operands)) {
      ops[name] = typeof v === 'object' && v !== null && 'label' in v ? labelOf(v.label) : v;
    }
    a.emit(item.op, ops as never);
  }
  return a.finish({ nInputs: p.inputs, nOutputs: p.outputs, nKernels: p.kernels });
}
