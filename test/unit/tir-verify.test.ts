// The tensor-IR verifier (ir/tir-verify.ts): a well-formed kernel passes, every kernel kestrel
// generates for a real model passes, and each bad kernel below is rejected with a message naming
// the kernel and the rule it breaks.

import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import * as t from '../../ir/tir-build.js';
import type { Expr, Kernel, Stmt } from '../../ir/tir.js';
import { verifyKernel } from '../../ir/tir-verify.js';
import { makeTarget } from '../../codegen/target.js';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import { runPipeline } from '../../compiler/pipeline.js';
import { REPO_ROOT } from '../helpers/shared.js';

const X = t.buffer('x', 'float32'), Y = t.buffer('y', 'float32');
const n = t.variable('s0'), i = t.variable('i'), j = t.variable('j'), v = t.variable('v');

const kernel = (body: Stmt, extra: Partial<Kernel> = {}): Kernel =>
  ({ name: 'k', buffers: [X, Y], scalars: [n], body, ...extra });

/** y[i*16 + v] = x[i*16 + v] * 2, for i < n, vectorised by 16. */
function good(): Kernel {
  const idx = t.add(t.mul(i, 16), v);
  const st = t.store(Y, idx, t.mul(t.load(X, idx), t.imm(2, 'float32')));
  return kernel(t.loop(i, n, t.loop(v, 16, st, 'vectorize'), 'parallel'));
}

const copy = (idx: Expr): Stmt => t.store(Y, idx, t.load(X, idx));

describe('tir verifier', () => {
  it('accepts a well-formed kernel', () => {
    expect(verifyKernel(good())).toEqual([]);
  });

  it('accepts every kernel of a real model', async () => {
    const m = importOnnxFile(join(REPO_ROOT, 'examples', 'tiny_cnn', 'model.onnx'));
    const c = await runPipeline(m, { target: makeTarget('x86_64', 'skylake-avx512', '+avx512f,+avx2,+fma') });
    expect(c.kernels.length).toBeGreaterThan(3);
    for (const k of c.kernels) expect(verifyKernel(k), k.name).toEqual([]);
  });

  const bad: [string, Kernel, RegExp][] = [
    ['a variable used before it is defined', kernel(copy(j)), /variable j used before it is defined/],
    ['a loop variable used after its loop', kernel(t.seq(t.loop(i, n, copy(i)), copy(i))),
      /variable i used before it is defined/],
    ['a variable used with another dtype', kernel(t.loop(i, n, copy(t.variable('i', 'int32') as Expr))),
      /variable i used as int32, defined as int64/],
    ['a redefinition in scope', kernel(t.loop(i, n, t.loop(i, 4, copy(i)))), /loop variable i redefines/],
    ['a vectorize loop with a symbolic extent', kernel(t.loop(i, n, copy(i), 'vectorize')),
      /vectorize loop i needs a positive constant extent, has s0/],
    ['an unroll loop with a symbolic extent', kernel(t.loop(i, n, copy(i), 'unroll')),
      /unroll loop i needs a positive constant extent/],
    ['a parallel loop inside a parallel loop',
      kernel(t.loop(i, n, t.loop(j, n, copy(t.add(i, j)), 'parallel'), 'parallel')),
      /parallel loop j nested in a parallel loop/],
    ['a parallel loop inside a vector loop',
      kernel(t.loop(v, 8, t.loop(j, n, copy(t.add(v, j)), 'parallel'), 'vectorize')),
      /parallel loop j nested in a vector loop/],
    ['a vector loop inside a vector loop',
      kernel(t.loop(v, 8, t.loop(j, 8, copy(t.add(v, j)), 'vectorize'), 'vectorize')),
      /vectorize loop j nested in a vector loop/],
    ['loop bounds that vary by lane', kernel(t.loop(v, 8, t.loop(j, v, copy(j)), 'vectorize')),
      /bounds of loop j vary by vector lane/],
    ['an undeclared parameter buffer', kernel(copy(t.imm(0)), { buffers: [X] }),
      /store of undeclared buffer y/],
    ['a local buffer without alloc',
      kernel(t.store(t.buffer('acc', 'float32', 'local'), 0, t.imm(0, 'float32'))), /undeclared buffer acc/],
    ['a buffer used with another dtype',
      kernel(t.store(Y, 0, t.load(t.buffer('x', 'float64'), 0))), /load of buffer x as param float64/],
    ['a store of the wrong dtype', kernel(t.store(Y, 0, t.imm(1, 'float64'))),
      /value stored to y 1:float64 is float64, expected float32/],
    ['mismatched operands', kernel(t.store(Y, 0, { kind: 'binary', op: 'add', a: t.imm(1, 'float32'),
      b: t.imm(1, 'int64'), dtype: 'float32' })), /right operand of add 1 is int64, expected float32/],
    ['a float index', kernel(t.store(Y, t.imm(0, 'float32'), t.imm(0, 'float32'))),
      /store index 0:float32 is float32, expected int64/],
    ['a non-bool condition', kernel({ kind: 'if', cond: n, then: copy(t.imm(0)) }),
      /if condition s0 is int64, expected bool/],
    ['an alloc of size 0',
      kernel(t.alloc(t.buffer('acc', 'float32', 'local'), 0, copy(t.imm(0)))), /alloc of acc with size 0/],
    ['a float scalar parameter', kernel(copy(t.imm(0)), { scalars: [t.variable('s0', 'float32')] }),
      /scalar parameter s0 is float32/],
  ];
  for (const [what, k, message] of bad) {
    it(`rejects ${what}`, () => {
      const errors = verifyKernel(k);
      expect(errors.length, errors.join('\n')).toBeGreaterThan(0);
      expect(errors.join('\n')).toMatch(message);
      expect(errors.every((e) => e.startsWith('kernel k: '))).toBe(true);
    });
  }
});
