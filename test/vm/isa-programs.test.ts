// Every opcode and builtin of the instruction set (runtime-vm/isa.json), and every int_op, as small
// text programs (codegen/vm-text.ts) that are parsed, assembled, linked with the shared test
// kernels and run by the real native VM: a `test_*` program must return the outputs it lists, a
// `fail_*` program must trap with the code and message it lists (the IREE VM test convention).
// A last test checks that the `test_*` programs together use every instruction and int_op.

import { afterAll, describe, expect, it } from 'vitest';
import { assemble } from '../../codegen/vm-program.js';
import { parseProgram } from '../../codegen/vm-text.js';
import { INT_OPS, OPCODES } from '../../runtime-vm/isa.generated.js';
import { load, Tensor, type Session } from '../../runtime-vm/index.js';
import type { Io } from './artifact.js';
import { KERNEL_NAMES } from './artifact.js';
import { rejected, withKernels } from './programs.js';
import { PROGRAMS, type Feed, type VmCase } from './isa-programs.js';

const sessions: Session[] = [];
afterAll(() => sessions.forEach((s) => s.dispose()));

async function sessionOf(c: VmCase): Promise<Session> {
  const p = parseProgram(`vm.program inputs=${c.inputs?.length ?? 0} outputs=${c.outputs.length} `
    + `kernels=${KERNEL_NAMES.length}\n${c.text}`);
  const s = await load(withKernels(assemble(p), (c.inputs ?? []) as Io[], c.outputs as Io[],
    c.constants ? { constants: c.constants } : {}),
  { threads: 2, ...(c.memoryLimitBytes ? { memoryLimitBytes: c.memoryLimitBytes } : {}) });
  sessions.push(s);
  return s;
}

function feedOf(f: Feed): Tensor | Tensor[] | null {
  if (f === null) return null;
  if (Array.isArray(f)) return f.map((t) => feedOf(t) as Tensor);
  const data = BigInt64Array.from((f as { int64: number[] }).int64, (v) => BigInt(v));
  return new Tensor('int64', data, (f as { dims?: number[] }).dims ?? [data.length]);
}

const values = (t: Tensor): number[] => Array.from(t.data as ArrayLike<number | bigint>, Number);

describe('VM text programs', () => {
  for (const c of PROGRAMS) {
    it(c.name, async () => {
      const s = await sessionOf(c);
      for (const run of c.runs) {
        const feeds = Object.fromEntries(Object.entries(run.feeds ?? {}).map(([k, v]) => [k, feedOf(v)]));
        if (c.name.startsWith('fail_')) {
          const e = await rejected(s.run(feeds));
          expect(e.code).toBe(run.code);
          expect(e.message).toMatch(run.message!);
          continue;
        }
        const out = await s.run(feeds);
        for (const [name, want] of Object.entries(run.expect ?? {})) {
          expect(values(out[name]!), `${c.name}: output ${name}`).toEqual(want.values);
          expect(out[name]!.dims, `${c.name}: dims of ${name}`).toEqual(want.dims);
        }
      }
    });
  }

  it('the test_ programs use every instruction and every int_op of the ISA', () => {
    const ops = new Set<string>(), intOps = new Set<string>();
    for (const c of PROGRAMS.filter((p) => p.name.startsWith('test_'))) {
      for (const item of parseProgram(`vm.program\n${c.text}`).items) {
        if (item.kind !== 'instr') continue;
        ops.add(item.op);
        if (item.op === 'int_op') intOps.add(INT_OPS[item.operands.op as number]!);
      }
    }
    expect([...Object.keys(OPCODES)].filter((o) => !ops.has(o))).toEqual([]);
    expect(INT_OPS.filter((o) => !intOps.has(o))).toEqual([]);
  });
});
