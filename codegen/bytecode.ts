// Bytecode assembler: turns a sequence of VM instructions into the binary format the native VM
// loads. Imports only runtime-vm/ (the ISA table), never compiler/ or ir/.
//
// Format (all little-endian u32 words): magic "KSBC" (bytes K,S,B,C), format version, n_regs,
// n_inputs, n_outputs, n_kernels, n_strings, then each string as a u32 byte length followed by its
// UTF-8 bytes zero-padded to a multiple of 4, then the code length in words, then the code.
// Code is an opcode word followed by the operands in the order isa.json lists them.
//
// Guarantees: labels are resolved to word offsets of instruction starts (an unbound label used by
// a jump is an error at finish()); strings are interned (one table entry per distinct string);
// operand values are range-checked when emitted, so a bad call fails here rather than in the VM.
import { FORMAT_VERSION, INT_OPS, OPCODES, type IntOpName, type OpName, type OperandKind }
  from '../runtime-vm/isa.generated.js';

/** A register index. */
export type Reg = number;

/** A jump destination; create with Assembler.label(), place with Assembler.bind(). */
export class Label {
  /** Word offset once bound, else -1. */
  offset = -1;
  constructor(readonly id: number) {}
}

type OperandValue<K extends OperandKind> =
  K extends 'reg' ? Reg :
  K extends 'regs' ? readonly Reg[] :
  K extends 'imm' ? number | bigint :
  K extends 'imms' ? readonly (number | bigint)[] :
  K extends 'target' ? Label :
  K extends 'str' ? string | number :
  number;

type Operands<Ops> = Ops extends readonly (readonly [string, OperandKind])[]
  ? { [I in keyof Ops as Ops[I] extends readonly [infer M extends string, unknown] ? M : never]:
      Ops[I] extends readonly [string, infer KK extends OperandKind] ? OperandValue<KK> : never }
  : never;

/** The operand record `emit(op, ...)` takes: one field per operand, named as in isa.json. */
export type OperandsOf<O extends OpName> = Operands<(typeof OPCODES)[O]['operands']>;

export interface FinishOptions {
  nInputs: number;
  nOutputs: number;
  nKernels: number;
}

const U32_MAX = 0xffffffff;
const I64_MIN = -(1n << 63n);
const I64_MAX = (1n << 63n) - 1n;

function u32(v: number, what: string): number {
  if (!Number.isInteger(v) || v < 0 || v > U32_MAX) throw new RangeError(`${what}: ${v} is not a u32`);
  return v;
}

function i64(v: number | bigint, what: string): bigint {
  if (typeof v === 'number' && !Number.isSafeInteger(v)) {
    throw new RangeError(`${what}: ${v} is not a safe integer`);
  }
  const b = BigInt(v);
  if (b < I64_MIN || b > I64_MAX) throw new RangeError(`${what}: ${b} does not fit in i64`);
  return b;
}

export class Assembler {
  private readonly code: number[] = [];
  private readonly fixups: { at: number; label: Label }[] = [];
  private readonly strings: string[] = [];
  private readonly stringIndex = new Map<string, number>();
  private nRegs = 0;
  private nLabels = 0;

  /** A fresh register. */
  reg(): Reg {
    return this.nRegs++;
  }

  /** `n` fresh registers. */
  regs(n: number): Reg[] {
    return Array.from({ length: n }, () => this.reg());
  }

  /** The number of registers used so far (registers may also be named directly below this). */
  get registerCount(): number {
    return this.nRegs;
  }

  /** Intern a string; returns its table index. */
  str(s: string): number {
    let i = this.stringIndex.get(s);
    if (i === undefined) {
      i = this.strings.length;
      this.strings.push(s);
      this.stringIndex.set(s, i);
    }
    return i;
  }

  label(): Label {
    return new Label(this.nLabels++);
  }

  /** Place `l` at the next instruction. */
  bind(l: Label): void {
    if (l.offset >= 0) throw new Error(`label ${l.id} bound twice`);
    l.offset = this.code.length;
  }

  /** The word offset the next instruction will have. */
  get here(): number {
    return this.code.length;
  }

  emit<O extends OpName>(op: O, operands: OperandsOf<O>): void {
    const info = OPCODES[op];
    if (!info) throw new Error(`unknown opcode ${String(op)}`);
    this.code.push(info.code);
    const rec = operands as unknown as Record<string, unknown>;
    for (const [name, kind] of info.operands) {
      if (!(name in rec)) throw new Error(`${op}: missing operand '${name}'`);
      this.operand(kind, rec[name], `${op}.${name}`);
    }
  }

  /** Shorthand for `int_op` with the operation named. */
  intOp(op: IntOpName, dst: Reg, a: Reg, b: Reg): void {
    this.emit('int_op', { op: INT_OPS.indexOf(op), dst, a, b });
  }

  private operand(kind: OperandKind, v: unknown, what: string): void {
    switch (kind) {
      case 'reg': this.useReg(v as number, what); break;
      case 'regs': this.pushRegs(v as readonly number[], what); break;
      case 'imm': this.pushI64(i64(v as number | bigint, what)); break;
      case 'imms': this.pushImms(v as readonly (number | bigint)[], what); break;
      case 'target': this.pushTarget(v as Label, what); break;
      case 'str': this.code.push(typeof v === 'string' ? this.str(v) : u32(v as number, what)); break;
      case 'u32': case 'kernel': case 'dtype': this.code.push(u32(v as number, what)); break;
      default: { const never: never = kind; throw new Error(`unhandled kind ${String(never)}`); }
    }
  }

  private useReg(r: number, what: string): void {
    this.code.push(u32(r, what));
    if (r >= this.nRegs) this.nRegs = r + 1;
  }

  private pushRegs(rs: readonly number[], what: string): void {
    this.code.push(rs.length);
    for (const r of rs) this.useReg(r, what);
  }

  private pushI64(b: bigint): void {
    const u = BigInt.asUintN(64, b);
    this.code.push(Number(u & 0xffffffffn), Number(u >> 32n));
  }

  private pushImms(vs: readonly (number | bigint)[], what: string): void {
    this.code.push(vs.length);
    for (const v of vs) this.pushI64(i64(v, what));
  }

  private pushTarget(l: Label, what: string): void {
    if (!(l instanceof Label)) throw new Error(`${what}: expected a Label`);
    this.fixups.push({ at: this.code.length, label: l });
    this.code.push(0);
  }

  /** Resolve labels and serialise. The assembler may not be used afterwards. */
  finish(opts: FinishOptions): Uint8Array {
    for (const { at, label } of this.fixups) {
      if (label.offset < 0) throw new Error(`label ${label.id} used but never bound`);
      this.code[at] = label.offset;
    }
    const enc = new TextEncoder();
    const strs = this.strings.map((s) => enc.encode(s));
    const header = [FORMAT_VERSION, this.nRegs, opts.nInputs, opts.nOutputs, opts.nKernels,
      strs.length].map((v, i) => u32(v, `header[${i}]`));
    const strWords = strs.reduce((n, s) => n + 1 + Math.ceil(s.length / 4), 0);
    const words = 1 + header.length + strWords + 1 + this.code.length;
    const out = new Uint8Array(words * 4);
    const view = new DataView(out.buffer);
    out.set([0x4b, 0x53, 0x42, 0x43], 0); // "KSBC"
    let p = 4;
    for (const w of header) { view.setUint32(p, w, true); p += 4; }
    for (const s of strs) {
      view.setUint32(p, s.length, true);
      out.set(s, p + 4);
      p += 4 + Math.ceil(s.length / 4) * 4;
    }
    view.setUint32(p, this.code.length, true);
    p += 4;
    for (const w of this.code) { view.setUint32(p, w >>> 0, true); p += 4; }
    return out;
  }
}
