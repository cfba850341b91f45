// Step-by-step LLVM compilation (LlvmModule: parse, O3, print, emit), which the pipeline's o3 and
// object-emit steps use: the object equals compileIR's byte for byte, the printed IR is the
// optimised one, and misuse (a second optimise or emit, use after dispose, bad IR) is an error,
// never a crash.

import { describe, expect, it } from 'vitest';
import { compileIR, LlvmModule } from '../../codegen/llvm/backend.js';
import { emitModule } from '../../codegen/llvm/emit.js';
import { hostTarget } from '../../codegen/target.js';
import * as K from './kernels.js';

const t = hostTarget();
const opts = () => ({
  ir: emitModule([K.vaddTail(8), K.rowReduce()], { target: t }), triple: t.triple, cpu: t.cpu,
  features: t.features, optLevel: 3,
});

describe('LlvmModule', () => {
  it('gives the same object as compileIR, and prints the optimised IR', () => {
    const m = LlvmModule.parse(opts());
    const before = m.print();
    m.optimize();
    const after = m.print();
    expect(before).toMatch(/define internal i32 @vadd_tail\.body/);
    expect(after).not.toEqual(before);
    expect(after).not.toMatch(/@vadd_tail\.body/); // inlined (alwaysinline) and removed by O3
    const obj = m.emitObject();
    m.dispose();
    expect(Buffer.from(obj).equals(Buffer.from(compileIR(opts())))).toBe(true);
  });

  it('refuses a second optimise or emit and use after dispose', () => {
    const m = LlvmModule.parse(opts()).optimize();
    expect(() => m.optimize()).toThrow(/KC0901.*already optimised/);
    m.emitObject();
    expect(() => m.emitObject()).toThrow(/KC0901.*already emitted/);
    m.dispose();
    expect(() => m.print()).toThrow(/used after dispose/);
    m.dispose(); // twice is harmless
  });

  it('reports bad IR as KC0901 at parse time', () => {
    expect(() => LlvmModule.parse({ ...opts(), ir: 'define i32 @f( {' })).toThrow(/KC0901.*parse error/);
  });
});
