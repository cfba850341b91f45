// Runs that must fail cleanly with a code and a message naming the input / symbol / kernel:
// input validation (KR0101-KR0105), kernel failures, memory limit, integer arithmetic, check/fail,
// the step limit.
import { afterAll, describe, expect, it } from 'vitest';
import { Assembler } from '../../codegen/bytecode.js';
import { KestrelError, load, Tensor, type Session } from '../../runtime-vm/index.js';
import { K } from './artifact.js';
import { F32, loopProgram, rejected, vaddArtifact, withKernels } from './programs.js';

const sessions: Session[] = [];
afterAll(() => sessions.forEach((s) => s.dispose()));
async function open(path: string, opts = {}): Promise<Session> {
  const s = await load(path, { threads: 2, ...opts });
  sessions.push(s);
  return s;
}

const runError = (s: Session, feeds: Record<string, Tensor>): Promise<KestrelError> => rejected(s.run(feeds));

const t = (n: number): Tensor => new Tensor('float32', new Float32Array(n), [n]);

describe('input validation', () => {
  it('names missing and unknown inputs and lists what was expected (KR0101)', async () => {
    const s = await open(vaddArtifact());
    const e = await runError(s, { x: t(2), w: t(2) });
    expect(e.code).toBe('KR0101');
    expect(e.message).toContain("unknown input(s) 'w'");
    expect(e.message).toContain("missing input(s) 'y'");
    expect(e.message).toContain('x: float32[n], y: float32[n]');
  });

  it('rejects a wrong dtype (KR0102) and a wrong rank (KR0103), naming the input', async () => {
    const s = await open(vaddArtifact());
    const d = await runError(s, { x: t(2), y: new Tensor('int32', new Int32Array(2), [2]) });
    expect(d.code).toBe('KR0102');
    expect(d.message).toMatch(/input 'y' has dtype int32, expected float32/);
    const r = await runError(s, { x: t(2), y: new Tensor('float32', new Float32Array(2), [1, 2]) });
    expect(r.code).toBe('KR0103');
    expect(r.message).toMatch(/input 'y' has rank 2, expected rank 1 \[n\]/);
  });

  it('rejects a static dim mismatch (KR0103)', async () => {
    const a = new Assembler();
    const x = a.reg();
    a.emit('input', { dst: x, index: 0, dtype: F32, rank: 2 });
    a.emit('ret', { outputs: [x] });
    const s = await open(withKernels(a.finish({ nInputs: 1, nOutputs: 1, nKernels: 5 }),
      [{ name: 'img', dtype: 'float32', shape: ['batch', 3] }],
      [{ name: 'o', dtype: 'float32', shape: ['batch', 3] }]));
    const e = await runError(s, { img: new Tensor('float32', new Float32Array(8), [2, 4]) });
    expect(e.code).toBe('KR0103');
    expect(e.message).toMatch(/input 'img': dimension 1 is 4, expected \[batch, 3\]/);
  });

  it('rejects a symbol bound to different values in different inputs (KR0104)', async () => {
    const s = await open(vaddArtifact());
    const e = await runError(s, { x: t(4), y: t(8) });
    expect(e.code).toBe('KR0104');
    expect(e.message).toMatch(/input 'y': symbol 'n' is 8 here but 4 in input 'x'/);
  });

  it('check_dim in bytecode names the input and symbol (KR0104)', async () => {
    // Manifest declares independent symbols, so only the bytecode's check_dim catches it.
    const s = await open(vaddArtifact({ manifest: (m) => {
      m.inputs = [{ name: 'x', dtype: 'float32', shape: ['n'] },
        { name: 'y', dtype: 'float32', shape: ['m'] }];
    } }));
    const e = await runError(s, { x: t(4), y: t(3) });
    expect(e.code).toBe('KR0104');
    expect(e.message).toMatch(/input 'y' symbol 'n': dimension 0 is 3, expected 4/);
  });

  it('rejects data whose length disagrees with dims (KR0105)', () => {
    expect(() => new Tensor('float32', new Float32Array(3), [2, 2])).toThrow(/KR0105/);
    expect(() => new Tensor('int64', new Float32Array(4) as never, [4])).toThrow(/BigInt64Array/);
    expect(() => new Tensor('float32', new Float32Array(0), [-1])).toThrow(/non-negative/);
    expect(new Tensor('int64', new BigInt64Array(6), [2, 3]).size).toBe(6);
    expect(new Tensor('bool', new Uint8Array(0), [0, 4]).size).toBe(0);
  });
});

describe('run-time failures', () => {
  type Io = { name: string; dtype: string; shape: (number | string)[] };
  function single(emit: (a: Assembler) => void, inputs: Io[] = []) {
    const a = new Assembler();
    emit(a);
    a.emit('ret', { outputs: [] });
    return withKernels(a.finish({ nInputs: inputs.length, nOutputs: 0, nKernels: 5 }), inputs, []);
  }

  it('reports a failing kernel by index and name (KR0202)', async () => {
    const s = await open(single((a) => {
      const r = a.reg();
      a.emit('int_const', { dst: r, value: -1 });
      a.emit('call_kernel', { kernel: K.guard, tensors: [], scalars: [r] });
    }));
    const e = await runError(s, {});
    expect(e.code).toBe('KR0202');
    expect(e.message).toMatch(/a run-time check failed \(kernel 3 guard, status 7\)/);
  });

  it('refuses an allocation over the memory limit before allocating (KR0201)', async () => {
    const s = await open(single((a) => {
      const [x, n, buf] = a.regs(3);
      a.emit('input', { dst: x, index: 0, dtype: F32, rank: 1 });
      a.emit('dim', { dst: n, tensor: x, axis: 0 });
      a.intOp('mul', n, n, n);
      a.intOp('mul', n, n, n);
      a.emit('alloc', { dst: buf, dtype: F32, shape: [n, n] });
    }, [{ name: 'x', dtype: 'float32', shape: ['n'] }]), { memoryLimitBytes: 1 << 20 });
    const big = await runError(s, { x: t(30) });
    expect(big.code).toBe('KR0201');
    expect(big.message).toMatch(/exceeds the session memory limit of 1048576/);
    const overflow = await runError(s, { x: t(1000) });
    expect(overflow.code).toBe('KR0203');
  });

  it('fails on integer division by zero and overflow (KR0203), and on a negative dim', async () => {
    const div = await open(single((a) => {
      const [p, z] = a.regs(2);
      a.emit('int_const', { dst: p, value: 5 });
      a.emit('int_const', { dst: z, value: 0 });
      a.intOp('floordiv', p, p, z);
    }));
    expect((await runError(div, {})).message).toMatch(/floordiv\(5, 0\)/);
    const neg = await open(single((a) => {
      const [d, b] = a.regs(2);
      a.emit('int_const', { dst: d, value: -3 });
      a.emit('alloc', { dst: b, dtype: F32, shape: [d] });
    }));
    const e = await runError(neg, {});
    expect(e.code).toBe('KR0203');
    expect(e.message).toMatch(/negative/);
  });

  it('check and fail raise the code and message given in the bytecode', async () => {
    const s = await open(single((a) => {
      const c = a.reg();
      a.emit('int_const', { dst: c, value: 0 });
      a.emit('check', { cond: c, code: 204, message: 'Reshape: node /r/Reshape needs 12 elements' });
    }));
    const e = await runError(s, {});
    expect(e.code).toBe('KR0204');
    expect(e.message).toContain('/r/Reshape');
  });

  it('check_dims fills its message with the dims seen, and passes when its condition holds', async () => {
    const program = (ok: number) => single((a) => {
      const [c, n, m] = a.regs(3);
      a.emit('int_const', { dst: c, value: ok });
      a.emit('int_const', { dst: n, value: 4 });
      a.emit('int_const', { dst: m, value: -6 });
      const message = "inputs 'a' [1,{}] and 'b' [{},{}]";
      a.emit('check_dims', { cond: c, code: 204, message, values: [n, m] });
    });
    const e = await runError(await open(program(0)), {});
    expect(e.code).toBe('KR0204');
    // Placeholders beyond the values given stay as they are.
    expect(e.message).toBe("KR0204: inputs 'a' [1,4] and 'b' [-6,{}]");
    await expect((await open(program(1))).run({})).resolves.toEqual({});
  });

  it('a register of the wrong kind fails cleanly at run time (KR0005)', async () => {
    const s = await open(single((a) => {
      const [x, n] = a.regs(2);
      a.emit('int_const', { dst: x, value: 1 });
      a.emit('dim', { dst: n, tensor: x, axis: 0 });
    }));
    expect((await runError(s, {})).message).toMatch(/register r0 is not a tensor/);
  });

  it('honours the step limit (KR0302)', async () => {
    const s = await open(withKernels(loopProgram(), [{ name: 'c', dtype: 'float32', shape: ['k', 'len'] }],
      [{ name: 'out', dtype: 'float32', shape: ['len'] }]), { maxSteps: 1000 });
    const ok = await s.run({ c: new Tensor('float32', new Float32Array(10), [10, 1]) });
    expect(ok.out.data[0]).toBe(10);
    const e = await runError(s, { c: new Tensor('float32', new Float32Array(1000), [1000, 1]) });
    expect(e.code).toBe('KR0302');
  });
});
