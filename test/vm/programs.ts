// Bytecode programs shared by the VM tests, written with the Assembler.
import { expect } from 'vitest';
import { Assembler } from '../../codegen/bytecode.js';
import { KestrelError } from '../../runtime-vm/index.js';
import { buildArtifact, K, KERNEL_NAMES, KERNELS_C, type ArtifactSpec, type Io } from './artifact.js';

export const F32 = 0;

/** z[n] = x[n] + y[n], with n a symbol checked across inputs. */
export function vaddProgram(): Uint8Array {
  const a = new Assembler();
  const [x, y, n, z] = a.regs(4);
  a.emit('input', { dst: x, index: 0, dtype: F32, rank: 1 });
  a.emit('input', { dst: y, index: 1, dtype: F32, rank: 1 });
  a.emit('dim', { dst: n, tensor: x, axis: 0 });
  a.emit('check_dim', { tensor: y, axis: 0, expected: n, what: "input 'y' symbol 'n'" });
  a.emit('alloc', { dst: z, dtype: F32, shape: [n] });
  a.emit('call_kernel', { kernel: K.vadd, tensors: [x, y, z], scalars: [n] });
  a.emit('ret', { outputs: [z] });
  return a.finish({ nInputs: 2, nOutputs: 1, nKernels: KERNEL_NAMES.length });
}

export const VADD_IO: Pick<ArtifactSpec, 'inputs' | 'outputs'> = {
  inputs: [{ name: 'x', dtype: 'float32', shape: ['n'] }, { name: 'y', dtype: 'float32', shape: ['n'] }],
  outputs: [{ name: 'z', dtype: 'float32', shape: ['n'] }],
};

/** Builds an artifact with the shared kernels. */
export function withKernels(bytecode: Uint8Array, inputs: Io[], outputs: Io[],
  extra: Partial<ArtifactSpec> = {}): string {
  return buildArtifact({ kernels: KERNELS_C, kernelNames: KERNEL_NAMES, bytecode, inputs, outputs,
    ...extra });
}

export function vaddArtifact(extra: Partial<ArtifactSpec> = {}): string {
  return withKernels(vaddProgram(), VADD_IO.inputs, VADD_IO.outputs, extra);
}

/** out[len] = k: a counted loop calls `inc` k times on a zero-filled buffer; input `c` is [k, len]. */
export function loopProgram(): Uint8Array {
  const a = new Assembler();
  const [c, count, len, buf, i, one, zero, more] = a.regs(8);
  a.emit('input', { dst: c, index: 0, dtype: F32, rank: 2 });
  a.emit('dim', { dst: count, tensor: c, axis: 0 });
  a.emit('dim', { dst: len, tensor: c, axis: 1 });
  a.emit('alloc', { dst: buf, dtype: F32, shape: [len] });
  a.emit('int_const', { dst: zero, value: 0 });
  a.emit('int_const', { dst: one, value: 1 });
  a.emit('call_kernel', { kernel: K.fill, tensors: [buf], scalars: [len, zero] });
  a.emit('move', { dst: i, src: zero });
  const head = a.label();
  const body = a.label();
  const done = a.label();
  a.bind(head);
  a.intOp('lt', more, i, count);
  a.emit('jump_if', { cond: more, target: body });
  a.emit('jump', { target: done });
  a.bind(body);
  a.emit('call_kernel', { kernel: K.inc, tensors: [buf], scalars: [len] });
  a.intOp('add', i, i, one);
  a.emit('jump', { target: head });
  a.bind(done);
  a.emit('ret', { outputs: [buf] });
  return a.finish({ nInputs: 1, nOutputs: 1, nKernels: KERNEL_NAMES.length });
}

/** The KestrelError a promise (usually a run) rejects with; fails the test if it resolves. */
export async function rejected(p: Promise<unknown>): Promise<KestrelError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(KestrelError);
    return e as KestrelError;
  }
  throw new Error('run succeeded but should have failed');
}
