// Programs that must return: outputs, parallel kernels, symbols, loops, reshape, constants,
// zero-sized tensors, integer ops; and the standalone kestrel-run tool.
import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Assembler } from '../../codegen/bytecode.js';
import { load, Tensor, type Session } from '../../runtime-vm/index.js';
import { ROOT, tempDir, tempPath } from './artifact.js';
import { F32, loopProgram, vaddArtifact, withKernels } from './programs.js';

const sessions: Session[] = [];
afterAll(() => sessions.forEach((s) => s.dispose()));
async function open(path: string, threads = 2): Promise<Session> {
  const s = await load(path, { threads });
  sessions.push(s);
  return s;
}

const f32 = (n: number, f: (i: number) => number): Float32Array =>
  Float32Array.from({ length: n }, (_, i) => f(i));

describe('running programs', () => {
  it('adds vectors with a parallel kernel and reports io metadata', async () => {
    const s = await open(vaddArtifact(), 2);
    expect(s.inputs).toEqual([{ name: 'x', dtype: 'float32', shape: ['n'], kind: 'tensor' },
      { name: 'y', dtype: 'float32', shape: ['n'], kind: 'tensor' }]);
    expect(s.outputs).toEqual([{ name: 'z', dtype: 'float32', shape: ['n'], kind: 'tensor' }]);
    for (const n of [1, 7, 1000, 0]) {
      const x = f32(n, (i) => i), y = f32(n, (i) => 2 * i);
      const out = await s.run({ x: new Tensor('float32', x, [n]), y: new Tensor('float32', y, [n]) });
      expect(out.z.dims).toEqual([n]);
      expect(Array.from(out.z.data as Float32Array)).toEqual(Array.from(f32(n, (i) => 3 * i)));
    }
  });

  it('gives the same results with 1 thread and with many, and for concurrent runs', async () => {
    const path = vaddArtifact();
    const one = await open(path, 1), many = await open(path, 4);
    const n = 10007, x = f32(n, (i) => i % 13), y = f32(n, (i) => i % 7);
    const feeds = { x: new Tensor('float32', x, [n]), y: new Tensor('float32', y, [n]) };
    const ref = (await one.run(feeds)).z.data;
    const all = await Promise.all(Array.from({ length: 8 }, () => many.run(feeds)));
    for (const r of all) expect(r.z.data).toEqual(ref);
  });

  it('runs a counted loop of kernel calls (jump / jump_if)', async () => {
    const s = await open(withKernels(loopProgram(), [{ name: 'c', dtype: 'float32', shape: ['k', 'len'] }],
      [{ name: 'out', dtype: 'float32', shape: ['len'] }]));
    for (const [k, len] of [[0, 3], [5, 4], [50, 1]]) {
      const out = await s.run({ c: new Tensor('float32', new Float32Array(k * len), [k, len]) });
      expect(Array.from(out.out.data as Float32Array)).toEqual(new Array(len).fill(k));
    }
  });

  it('reshapes, copies, frees and returns constants (copied out of the artifact)', async () => {
    const a = new Assembler();
    const [x, r, c, k, two, three, six, cp] = a.regs(8);
    a.emit('input', { dst: x, index: 0, dtype: F32, rank: 1 });
    a.emit('int_const', { dst: two, value: 2 });
    a.emit('int_const', { dst: three, value: 3 });
    a.intOp('mul', six, two, three);
    a.emit('reshape', { dst: r, src: x, shape: [two, three] });
    a.emit('copy', { dst: cp, src: r });
    a.emit('free', { reg: r });
    a.emit('const_tensor', { dst: c, dtype: 6, offset: 64, shape: [2] });
    a.emit('const_tensor', { dst: k, dtype: F32, offset: 0, shape: [0, 5] });
    a.emit('ret', { outputs: [cp, c, k] });
    const constants = new Uint8Array(80);
    new DataView(constants.buffer).setBigInt64(64, -5n, true);
    new DataView(constants.buffer).setBigInt64(72, 1n << 40n, true);
    const s = await open(withKernels(a.finish({ nInputs: 1, nOutputs: 3, nKernels: 5 }),
      [{ name: 'x', dtype: 'float32', shape: [6] }],
      [{ name: 'm', dtype: 'float32', shape: [2, 3] }, { name: 'c', dtype: 'int64', shape: [2] },
        { name: 'e', dtype: 'float32', shape: [0, 5] }], { constants }));
    const out = await s.run({ x: new Tensor('float32', f32(6, (i) => i), [6]) });
    expect(out.m.dims).toEqual([2, 3]);
    expect(Array.from(out.m.data as Float32Array)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(out.c.data).toEqual(BigInt64Array.from([-5n, 1n << 40n]));
    expect(out.e.dims).toEqual([0, 5]);
    expect(out.e.size).toBe(0);
  });

  it('computes floor division and modulo toward negative infinity', async () => {
    const a = new Assembler();
    const [p, q, d, m, t, five, two] = a.regs(7);
    a.emit('int_const', { dst: five, value: -7 });
    a.emit('int_const', { dst: two, value: 2 });
    a.intOp('floordiv', d, five, two);
    a.intOp('mod', m, five, two);
    // check d == -4 and m == 1, else fail with KR0204
    a.emit('int_const', { dst: p, value: -4 });
    a.emit('int_const', { dst: q, value: 1 });
    a.intOp('eq', p, p, d);
    a.intOp('eq', q, q, m);
    a.intOp('and', t, p, q);
    a.emit('check', { cond: t, code: 204, message: 'floor semantics broken' });
    a.emit('ret', { outputs: [] });
    const s = await open(withKernels(a.finish({ nInputs: 0, nOutputs: 0, nKernels: 5 }), [], []));
    expect(await s.run({})).toEqual({});
  });

  it('kestrel-run runs an artifact from the command line', () => {
    const tool = join(ROOT, 'native/build/kestrel-run');
    if (!existsSync(tool)) throw new Error(`${tool} is missing: run \`npm run build:native\``);
    const dir = tempDir(), x = tempPath('.bin');
    writeFileSync(x, Buffer.from(f32(3, (i) => i + 1).buffer));
    const out = execFileSync(tool, [vaddArtifact(), '--input', `x=${x}:float32:3`, '--input',
      `y=${x}:float32:3`, '--outputs', dir, '--bench', '3', '--threads', '1'], { encoding: 'utf8' });
    expect(out).toMatch(/^z float32 \[3\] -> output_0\.bin$/m);
    expect(out).toMatch(/median .* ms over 3 runs/);
    const z = readFileSync(join(dir, 'output_0.bin'));
    expect(Array.from(new Float32Array(z.buffer, z.byteOffset, z.length / 4))).toEqual([2, 4, 6]);
  });
});
