// The generated ISA tables match isa.json, the runtime's dtype table matches ir/dtype.ts, and the
// assembler produces the documented binary layout.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { Assembler } from '../../codegen/bytecode.js';
import { ALL_DTYPES, dtypeInfo } from '../../ir/dtype.js';
import { RUNTIME_DTYPES } from '../../runtime-vm/dtypes.js';
import { FORMAT_VERSION, OPCODES } from '../../runtime-vm/isa.generated.js';
// @ts-expect-error plain JS module without types
import { outputs } from '../../scripts/gen-isa.mjs';

const words = (b: Uint8Array): number[] => Array.from(new Uint32Array(b.buffer, b.byteOffset, b.length / 4));

describe('isa generation', () => {
  it('generated files are up to date with isa.json (run `npm run gen:isa`)', () => {
    for (const [path, text] of outputs() as [string, string][]) {
      expect(readFileSync(path, 'utf8'), path).toBe(text);
    }
  });

  it('opcode table follows isa.json', () => {
    const isa = JSON.parse(readFileSync(new URL('../../runtime-vm/isa.json', import.meta.url), 'utf8'));
    expect(FORMAT_VERSION).toBe(isa.format_version);
    for (const ins of isa.instructions) {
      const op = OPCODES[ins.name as keyof typeof OPCODES];
      expect(op.code).toBe(ins.code);
      expect(op.operands).toEqual(ins.operands);
    }
  });

  it('runtime dtype codes agree with ir/dtype.ts', () => {
    expect(RUNTIME_DTYPES.map((d) => d.name).sort()).toEqual([...ALL_DTYPES].sort());
    for (const d of RUNTIME_DTYPES) {
      expect(d.code).toBe(dtypeInfo(d.name).code);
      expect(d.array?.BYTES_PER_ELEMENT ?? 16).toBe(dtypeInfo(d.name).bytes); // string: 16 (strings.h)
    }
  });
});

describe('Assembler', () => {
  it('writes header, padded strings and code with labels resolved', () => {
    const a = new Assembler();
    const r = a.reg();
    const L = a.label();
    a.bind(L);
    a.emit('int_const', { dst: r, value: -2 });
    a.emit('fail', { code: 204, message: 'abcde' });
    a.emit('jump', { target: L });
    const w = words(a.finish({ nInputs: 0, nOutputs: 0, nKernels: 0 }));
    expect(w.slice(0, 7)).toEqual([0x4342534b, 1, 1, 0, 0, 0, 1]);
    expect(w[7]).toBe(5); // string length, then 2 words of padded bytes
    expect(w[10]).toBe(9); // code length
    expect(w.slice(11)).toEqual([19, 0, 0xfffffffe, 0xffffffff, 28, 204, 0, 1, 0]);
  });

  it('interns strings and rejects bad operands', () => {
    const a = new Assembler();
    expect(a.str('x')).toBe(a.str('x'));
    expect(() => a.emit('free', { reg: -1 })).toThrow(/not a u32/);
    const L = a.label();
    a.emit('jump', { target: L });
    expect(() => a.finish({ nInputs: 0, nOutputs: 0, nKernels: 0 })).toThrow(/never bound/);
  });
});
