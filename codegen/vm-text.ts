// The VM program IR as text (KESTREL_DUMP_IR=after:lower-program prints it; tests write programs
// in it). One header line, then one item per line:
//
//   vm.program registers=4 inputs=1 outputs=1 kernels=2
//     input dst=r0 index=0 dtype=float32 rank=1      # @0
//   L0:
//     int_op op=lt dst=r2 a=r1 b=r3                  # @5
//     jump_if cond=r2 target=L0                      # @10
//     check cond=r2 code=3 message="a \"quoted\" text"
//     call_kernel kernel=k1 tensors=[r0] scalars=[r1, r2]
//     const_tensor dst=r3 dtype=int64 offset=0 shape=[2, 3]
//     ret outputs=[r0]
//
// Operands are named as in runtime-vm/isa.json: registers `rN`, register lists `[rA, rB]`,
// integers and integer lists, labels `LN`, kernels `kN`, dtypes by name (or code), int_op
// operations by name, strings as JSON. `#` starts a comment (the printer notes each instruction's
// word offset, which the debug table refers to). Requires: runtime-vm/isa.generated.ts.
// Guarantees: parseProgram(printProgram(p)) equals p; parse errors name the line; the register
// count may be omitted when parsing (it is then the highest register named, plus one).

import { INT_OPS, OPCODES, type OpName, type OperandKind } from '../runtime-vm/isa.generated.js';
import { runtimeDType, runtimeDTypeFromCode } from '../runtime-vm/dtypes.js';
import {
  instrWords, operandsOf, regsUsed, type OperandValue, type VmInstr, type VmItem, type VmProgram,
} from './vm-program.js';

function printOperand(kind: OperandKind, v: OperandValue, op: OpName): string {
  switch (kind) {
    case 'reg': return `r${v as number}`;
    case 'regs': return `[${(v as readonly number[]).map((r) => `r${r}`).join(', ')}]`;
    case 'imm': return String(v);
    case 'imms': return `[${(v as readonly (number | bigint)[]).join(', ')}]`;
    case 'target': return `L${(v as { label: number }).label}`;
    case 'str': return JSON.stringify(v);
    case 'kernel': return `k${v as number}`;
    case 'dtype': return runtimeDTypeFromCode(v as number)?.name ?? String(v);
    case 'u32': return op === 'int_op' ? INT_OPS[v as number] ?? String(v) : String(v);
    default: { const never: never = kind; throw new Error(`unhandled kind ${String(never)}`); }
  }
}

function printInstr(i: VmInstr): string {
  const parts = operandsOf(i.op)
    .map(([name, kind]) => `${name}=${printOperand(kind, i.operands[name]!, i.op)}`);
  return `  ${[i.op, ...parts].join(' ')}`;
}

/** The program as text, one item per line, each instruction's word offset in a comment. */
export function printProgram(p: VmProgram): string {
  const lines = [`vm.program registers=${p.registers} inputs=${p.inputs} outputs=${p.outputs} `
    + `kernels=${p.kernels}`];
  let at = 0;
  for (const item of p.items) {
    if (item.kind === 'label') { lines.push(`L${item.id}:`); continue; }
    const text = printInstr(item);
    lines.push(`${text.padEnd(56)} # @${at}`);
    at += instrWords(item);
  }
  return lines.join('\n');
}

/** A line split into `name=value` fields; values keep brackets and quoted strings whole. */
function fields(line: string, fail: (m: string) => never): [string, string][] {
  const out: [string, string][] = [];
  const re = /\s*([a-z_]+)=("(?:[^"\\]|\\.)*"|\[[^\]]*\]|[^\s\]]+)/y;
  let m: RegExpExecArray | null;
  let p = 0;
  while (p < line.length && (m = re.exec(line)) !== null) {
    out.push([m[1]!, m[2]!]);
    p = re.lastIndex;
  }
  if (line.slice(p).trim()) fail(`cannot read '${line.slice(p).trim()}'`);
  return out;
}

/** The line without its comment (a `#` outside a string). */
function stripComment(line: string): string {
  let inStr = false;
  for (let i = 0; i < line.length; i++) {
    const c = line[i];
    if (inStr && c === '\\') i++;
    else if (c === '"') inStr = !inStr;
    else if (c === '#' && !inStr) return line.slice(0, i);
  }
  return line;
}

function integer(s: string, fail: (m: string) => never): number | bigint {
  if (!/^-?\d+$/.test(s)) fail(`'${s}' is not an integer`);
  const b = BigInt(s);
  return b >= BigInt(Number.MIN_SAFE_INTEGER) && b <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(b) : b;
}

function prefixed(s: string, p: string, fail: (m: string) => never): number {
  if (!s.startsWith(p) || !/^\d+$/.test(s.slice(p.length))) fail(`'${s}' is not ${p}<number>`);
  return Number(s.slice(p.length));
}

function list(s: string, fail: (m: string) => never): string[] {
  if (!s.startsWith('[') || !s.endsWith(']')) fail(`'${s}' is not a [list]`);
  const inner = s.slice(1, -1).trim();
  return inner ? inner.split(',').map((x) => x.trim()) : [];
}

function parseOperand(kind: OperandKind, s: string, op: OpName, fail: (m: string) => never): OperandValue {
  switch (kind) {
    case 'reg': return prefixed(s, 'r', fail);
    case 'regs': return list(s, fail).map((x) => prefixed(x, 'r', fail));
    case 'imm': return integer(s, fail);
    case 'imms': return list(s, fail).map((x) => integer(x, fail));
    case 'target': return { label: prefixed(s, 'L', fail) };
    case 'str': return s.startsWith('"') ? JSON.parse(s) as string : fail(`'${s}' is not a "string"`);
    case 'kernel': return prefixed(s, 'k', fail);
    case 'dtype': return /^\d+$/.test(s) ? Number(s) : runtimeDType(s)?.code ?? fail(`unknown dtype '${s}'`);
    case 'u32': {
      if (op === 'int_op' && !/^\d+$/.test(s)) {
        const k = (INT_OPS as readonly string[]).indexOf(s);
        return k >= 0 ? k : fail(`unknown int_op '${s}'`);
      }
      return Number(integer(s, fail));
    }
    default: { const never: never = kind; throw new Error(`unhandled kind ${String(never)}`); }
  }
}

function parseInstr(text: string, fail: (m: string) => never): VmInstr {
  const sp = text.search(/\s|$/);
  const op = text.slice(0, sp);
  if (!Object.hasOwn(OPCODES, op)) fail(`unknown instruction '${op}'`);
  const given = new Map(fields(text.slice(sp), fail));
  const operands: Record<string, OperandValue> = {};
  for (const [name, kind] of operandsOf(op as OpName)) {
    const s = given.get(name);
    if (s === undefined) fail(`${op} needs operand '${name}'`);
    operands[name] = parseOperand(kind, s, op as OpName, (m) => fail(`${op}.${name}: ${m}`));
    given.delete(name);
  }
  if (given.size) fail(`${op} has no operand '${[...given.keys()][0]}'`);
  return Object.freeze({ kind: 'instr', op: op as OpName, operands: Object.freeze(operands) });
}

function header(text: string, fail: (m: string) => never): Record<string, number> {
  if (!text.startsWith('vm.program')) fail("a program starts with 'vm.program inputs=N outputs=N kernels=N'");
  const out: Record<string, number> = {};
  for (const [k, v] of fields(text.slice('vm.program'.length), fail)) out[k] = Number(integer(v, fail));
  return out;
}

/** Parses program text; throws an Error naming the line for anything it cannot read. */
export function parseProgram(text: string): VmProgram {
  const lines = text.split('\n');
  const items: VmItem[] = [];
  let head: Record<string, number> | undefined;
  lines.forEach((raw, n) => {
    const fail = (m: string): never => { throw new Error(`vm program line ${n + 1}: ${m}`); };
    const line = stripComment(raw).trim();
    if (!line) return;
    if (!head) { head = header(line, fail); return; }
    if (/^L\d+:$/.test(line)) items.push(Object.freeze({ kind: 'label', id: Number(line.slice(1, -1)) }));
    else items.push(parseInstr(line, fail));
  });
  if (!head) throw new Error('vm program: empty text');
  const used = Math.max(0, ...items.map((i) => (i.kind === 'instr' ? regsUsed(i) : 0)));
  return Object.freeze({ registers: head.registers ?? used, inputs: head.inputs ?? 0,
    outputs: head.outputs ?? 0, kernels: head.kernels ?? 0, items: Object.freeze(items) });
}

