// The VM program IR as text (codegen/vm-text.ts): printing and parsing round-trip the programs
// the compiler lowers real models to, and assembling the parsed text gives the same bytecode the
// pipeline produced; malformed text fails naming the line.

import * as path from 'node:path';
import { describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { hostTarget } from '../../codegen/target.js';
import { assemble } from '../../codegen/vm-program.js';
import { parseProgram, printProgram } from '../../codegen/vm-text.js';
import { sharedDir } from '../fixtures/onnx-builder.js';

describe('VM program text', () => {
  for (const model of ['ctrl_loop_if', 'bert_mini', 'lstm_2layer']) {
    it(`round-trips the program of ${model} and re-assembles it to the same bytecode`, async () => {
      const m = importOnnxFile(path.join(sharedDir(), 'models', model, 'model.onnx'));
      const r = await runPipeline(m, { target: hostTarget() });
      const text = printProgram(r.program);
      const back = parseProgram(text);
      expect(back).toEqual(r.program);
      expect(printProgram(back)).toBe(text);
      expect(assemble(back)).toEqual(r.bytecode);
    });
  }

  it('reads names for dtypes and int operations, and takes the register count from the text', () => {
    const p = parseProgram(`vm.program inputs=0 outputs=1 kernels=0
      int_const dst=r0 value=-9007199254740993   # beyond 2^53: kept as a bigint
      int_op op=floordiv dst=r2 a=r0 b=r0
      make_ints dst=r3 dtype=int64 rank=1 values=[r2]
      check cond=r2 code=3 message="a # in a \\"string\\""
      ret outputs=[r3]`);
    expect(p.registers).toBe(4);
    const ops = p.items.map((i) => (i.kind === 'instr' ? i.operands : {}));
    expect(ops[0]).toEqual({ dst: 0, value: -9007199254740993n });
    expect(ops[1]).toMatchObject({ op: 3 });
    expect(ops[2]).toMatchObject({ dtype: 6 });
    expect(ops[3]).toMatchObject({ message: 'a # in a "string"' });
  });

  for (const [text, message] of [
    ['vm.program\n  frobnicate dst=r0', /line 2: unknown instruction 'frobnicate'/],
    ['vm.program\n  int_const dst=r0', /line 2: int_const needs operand 'value'/],
    ['vm.program\n  int_const dst=r0 value=1 extra=2', /line 2: int_const has no operand 'extra'/],
    ['vm.program\n  int_const dst=x0 value=1', /line 2: int_const.dst: 'x0' is not r<number>/],
    ['vm.program\n  alloc dst=r0 dtype=float99 shape=[]', /unknown dtype 'float99'/],
    ['  ret outputs=[]', /line 1: a program starts with 'vm.program/],
  ] as const) {
    it(`rejects ${JSON.stringify(text.split('\n').at(-1)!.trim())}`, () => {
      expect(() => parseProgram(text)).toThrow(message);
    });
  }
});
