// The compiler pipeline, in order. Every pass is listed here; the graph is verified after each
// graph pass. KESTREL_DUMP_IR=after:<pass> (or after:all) prints the IR after a pass;
// KESTREL_TIME_PASSES=1 prints how long each step took.

import type { Func, Module } from '../ir/graph.js';
import '../ir/ops/index.js';
import type { Kernel } from '../ir/tir.js';
import type { TargetInfo } from '../ir/te.js';
import { verifyFunc } from '../ir/verify.js';
import { eliminateIdentity } from './passes/eliminate-identity.js';
import { foldBatchNorm } from './passes/fold-batchnorm.js';
import { fuse, type Group } from './passes/fuse.js';
import { packConvWeights } from './passes/pack-conv-weights.js';
import { padConvInputs } from './passes/pad-conv-inputs.js';
import { idsAfter } from './passes/graph-util.js';
import { ConstantPool } from './lower/constants.js';
import { lowerGroup } from './lower/kernel.js';
import { lowerProgram, type ProgramKernel } from './lower/program.js';
import { Assembler } from '../codegen/bytecode.js';
import { printFunc } from '../ir/print.js';

export interface CompiledModel {
  readonly kernels: readonly Kernel[];
  readonly bytecode: Uint8Array;
  readonly constants: Uint8Array;
  readonly func: Func;
}

const dump = process.env.KESTREL_DUMP_IR ?? '';
const timing = process.env.KESTREL_TIME_PASSES === '1';

function step<T>(name: string, run: () => T, show?: (x: T) => string): T {
  const t0 = performance.now();
  const out = run();
  if (timing) process.stderr.write(`[kestrel] ${name}: ${(performance.now() - t0).toFixed(1)} ms\n`);
  if (show && (dump === 'after:all' || dump === `after:${name}`)) {
    process.stderr.write(`// after ${name}\n${show(out)}\n`);
  }
  return out;
}

function graphPass(name: string, f: Func, pass: (f: Func) => Func): Func {
  const out = step(name, () => pass(f), printFunc);
  const errors = verifyFunc(out);
  if (errors.length) throw new Error(`IR verification failed after ${name}:\n  ${errors.join('\n  ')}`);
  return out;
}

/** Kernels deduplicated by structure, named k<i>_<op>. */
function lowerKernels(groups: readonly Group[], target: TargetInfo) {
  const kernels: Kernel[] = [];
  const byKey = new Map<string, number>();
  const calls = new Map<number, ProgramKernel>();
  groups.forEach((g, i) => {
    if (g.kind !== 'kernel') return;
    const low = lowerGroup(g, target);
    let index = byKey.get(low.key);
    if (index === undefined) {
      index = kernels.length;
      byKey.set(low.key, index);
      const ops = [g.root, ...g.epilogue].map((n) => n.op).join('_');
      kernels.push({ ...low.kernel, name: `kestrel_k${index}_${ops}`.slice(0, 120) });
    }
    calls.set(i, { index, tensors: low.tensors, symbols: low.symbols });
  });
  return { kernels, calls };
}

export function runPipeline(m: Module, target: TargetInfo): CompiledModel {
  const ids = idsAfter(m);
  let f = m.main;
  f = graphPass('eliminate-identity', f, eliminateIdentity);
  f = graphPass('fold-batchnorm', f, (x) => foldBatchNorm(x, ids));
  f = graphPass('pad-conv-inputs', f, (x) => padConvInputs(x, ids));
  f = graphPass('pack-conv-weights', f, (x) => packConvWeights(x, ids, target.vectorLanes));
  const groups = step('fuse', () => fuse(f));
  const { kernels, calls } = step('lower-kernels', () => lowerKernels(groups, target));
  const constants = new ConstantPool();
  const bytecode = step('lower-program', () => lowerProgram(
    { func: f, groups, calls, constants, nKernels: kernels.length }, new Assembler()));
  return { kernels, bytecode, constants: constants.bytes(), func: f };
}
