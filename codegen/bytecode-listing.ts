// Readable listing of a bytecode program (KESTREL_DUMP_IR=after:lower-program): the header, the
// string table and one instruction per line with its word offset and named operands, decoded
// with the same ISA table the assembler uses. Requires: bytes produced by Assembler.finish.
// Guarantees: deterministic; a truncated or unknown instruction ends the listing with a note
// instead of throwing (it is a debugging aid, not the loader's verifier).

import { INT_OPS, OPCODES, type OperandKind } from '../runtime-vm/isa.generated.js';

const BY_CODE = new Map(Object.entries(OPCODES).map(([name, info]) => [info.code as number, { name, info }]));

class Words {
  private p = 0;

  constructor(private readonly view: DataView, private readonly end: number) {}

  get at(): number {
    return this.p;
  }

  next(): number {
    if (this.p * 4 + 4 > this.end) throw new RangeError('truncated');
    return this.view.getUint32(4 * this.p++, true);
  }

  i64(): bigint {
    const lo = BigInt(this.next()), hi = BigInt(this.next());
    return BigInt.asIntN(64, (hi << 32n) | lo);
  }
}

function operand(w: Words, kind: OperandKind, strings: readonly string[]): string {
  switch (kind) {
    case 'reg': return `r${w.next()}`;
    case 'regs': return `[${Array.from({ length: w.next() }, () => `r${w.next()}`).join(', ')}]`;
    case 'imm': return String(w.i64());
    case 'imms': return `[${Array.from({ length: w.next() }, () => String(w.i64())).join(', ')}]`;
    case 'target': return `@${w.next()}`;
    case 'str': return JSON.stringify(strings[w.next()] ?? '?');
    case 'kernel': return `k${w.next()}`;
    case 'u32': case 'dtype': return String(w.next());
    default: { const never: never = kind; throw new Error(`unhandled kind ${String(never)}`); }
  }
}

function instruction(w: Words, strings: readonly string[]): string {
  const at = w.at;
  const op = BY_CODE.get(w.next());
  if (!op) throw new RangeError(`unknown opcode at word ${at}`);
  const parts = op.info.operands.map(([name, kind]) => `${name}=${operand(w, kind as OperandKind, strings)}`);
  if (op.name === 'int_op') parts[0] = `op=${INT_OPS[Number(parts[0].slice(3))] ?? parts[0]}`;
  return `${String(at).padStart(6)}  ${op.name} ${parts.join(' ')}`;
}

export function listBytecode(bytes: Uint8Array): string {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const head = new Words(view, bytes.byteLength);
  head.next(); // magic
  const [version, regs, inputs, outputs, kernels, nStrings] = Array.from({ length: 6 }, () => head.next());
  const dec = new TextDecoder();
  let p = 7 * 4;
  const strings: string[] = [];
  for (let i = 0; i < nStrings; i++) {
    const len = view.getUint32(p, true);
    strings.push(dec.decode(bytes.subarray(p + 4, p + 4 + len)));
    p += 4 + Math.ceil(len / 4) * 4;
  }
  const codeWords = view.getUint32(p, true);
  const code = new Words(new DataView(bytes.buffer, bytes.byteOffset + p + 4, codeWords * 4), codeWords * 4);
  const lines = [`bytecode v${version}: ${regs} registers, ${inputs} inputs, ${outputs} outputs, `
    + `${kernels} kernels, ${strings.length} strings, ${codeWords} code words`];
  try {
    while (code.at < codeWords) lines.push(instruction(code, strings));
  } catch (e) {
    lines.push(`  <listing stopped: ${(e as Error).message}>`);
  }
  return lines.join('\n');
}
