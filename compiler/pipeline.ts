// The compiler pipeline, in order: every step from the imported graph to the linked artifact is
// listed in `runPipeline`, nowhere else. The graph is verified after each graph pass and every
// tensor-IR kernel before code generation. Graph passes and fusion run inside control-flow
// bodies too. KESTREL_DUMP_IR=after:STEP (several: after:a,after:b; or after:all) prints a
// step's result, KESTREL_TIME_PASSES=1 prints how long each step took (compiler/pipeline-steps.ts).
// Requires: a module from the frontend. Guarantees: without `artifact` the pipeline stops after
// lower-program (nothing is written); with it, the .so appears atomically (codegen/link.ts).

import type { KeyObject } from 'node:crypto';
import { type Func, IdGen, isFunc, type Module, type Node } from '../ir/graph.js';
import '../ir/ops/index.js';
import type { Kernel } from '../ir/tir.js';
import { printKernel } from '../ir/tir-print.js';
import { verifyKernel } from '../ir/tir-verify.js';
import { assemble, ProgramWriter, type VmProgram } from '../codegen/vm-program.js';
import { printProgram } from '../codegen/vm-text.js';
import { emitDataObject, LlvmModule } from '../codegen/llvm/backend.js';
import { emitModule } from '../codegen/llvm/emit.js';
import { linkSharedObject } from '../codegen/link.js';
import { type TargetDesc, targetInfo } from '../codegen/target.js';
import {
  emitGpuModules, emitPtx, type GpuManifest, optimizeHost, ptxBlob,
} from '../codegen/nvptx/artifact.js';
import { Codes, fail } from './diagnostics.js';
import { assignLayouts, printLayouts } from './passes/assign-layouts.js';
import { coalesceTranspose } from './passes/coalesce-transpose.js';
import { eliminateIdentity } from './passes/eliminate-identity.js';
import { foldBatchNorm } from './passes/fold-batchnorm.js';
import { fuseSwish } from './passes/fuse-swish.js';
import { fuseAttention } from './passes/fuse-attention.js';
import { fuseQdq } from './passes/fuse-qdq.js';
import { integerConv } from './passes/integer-conv.js';
import { integerMaxPool } from './passes/integer-max-pool.js';
import { integerNhwc } from './passes/integer-nhwc.js';
import { fuseTree, printGroups } from './passes/fuse-tree.js';
import { packConvWeights } from './passes/pack-conv-weights.js';
import { packMatmulWeights } from './passes/pack-matmul-weights.js';
import { padConvInputs } from './passes/pad-conv-inputs.js';
import { winogradConv } from './passes/winograd-conv.js';
import { idsAfter } from './passes/graph-util.js';
import { ConstantPool } from './lower/constants.js';
import { DebugCollector, type DebugTable } from './lower/debug.js';
import { type BucketKernel, lowerKernels } from './lower/kernel-table.js';
import { lowerProgram } from './lower/program.js';
import {
  type KernelSchedule, type OnStaleSchedule, type Schedule, printSchedules, scheduleMap, scheduleTree,
} from './schedule/schedule.js';
import { type DebugOptions, Steps } from './pipeline-steps.js';

/** Every step, in the order runPipeline runs them (the names KESTREL_DUMP_IR accepts). */
export const PIPELINE_STEPS = Object.freeze([
  'eliminate-identity', 'fuse-qdq', 'integer-conv', 'integer-max-pool', 'integer-nhwc', // graph passes
  'fold-batchnorm', 'fuse-swish', 'winograd-conv', 'pad-conv-inputs', 'coalesce-transpose', 'fuse-attention',
  'pack-conv-weights', 'pack-matmul-weights',
  'fuse', 'assign-layouts', 'schedule', 'lower-kernels', 'verify-tir', 'lower-program',
  'llvm-emit', 'o3', 'object-emit', 'link',
] as const);

export type PipelineStep = (typeof PIPELINE_STEPS)[number];

/** Where the artifact goes and what the driver puts in its data object. */
export interface ArtifactOptions {
  readonly output: string;
  /** The manifest's bytes from the compiled model (the driver owns its content). */
  readonly manifest: (out: CompiledModel) => Uint8Array;
  /** An Ed25519 private key to sign the artifact with (docs/artifacts.md). */
  readonly signingKey?: KeyObject;
}

export interface PipelineOptions {
  readonly target: TargetDesc;
  /** Worker threads the schedules plan for (default 1). */
  readonly threads?: number;
  /** Schedules to use instead of the defaults, per workload (a tuning log's records). */
  readonly schedules?: readonly Schedule[];
  /** Given: a schedule that does not fit its kernel's family is reported here and skipped. */
  readonly onStaleSchedule?: OnStaleSchedule;
  /** Absent: stop after lower-program. */
  readonly artifact?: ArtifactOptions;
  readonly debug?: DebugOptions;
  /** Wall-clock limit (CompileLimits.timeoutMs; default none), counted from `startedAt`. */
  readonly timeoutMs?: number;
  /** performance.now() when the compile started (default: when the pipeline starts). */
  readonly startedAt?: number;
}

export interface CompiledModel {
  readonly kernels: readonly Kernel[];
  /** The VM program (codegen/vm-program.ts) and its encoding. */
  readonly program: VmProgram;
  readonly bytecode: Uint8Array;
  readonly constants: Uint8Array;
  readonly func: Func;
  /** The schedule of every kernel group, in lowering order (several groups may share a kernel). */
  readonly schedules: readonly KernelSchedule[];
  /** The kernel each bucket schedule became (compiler/lower/kernel-table.ts). */
  readonly bucketKernels: readonly BucketKernel[];
  /** Milliseconds per step, in order. */
  readonly times: readonly { readonly step: string; readonly ms: number }[];
  /** The manifest's debug table: kernel call sites and tensor registers in ONNX terms. */
  readonly debug: DebugTable;
  /** GPU targets: where each kernel's PTX lies in the artifact (set when the PTX is emitted). */
  readonly gpu?: GpuManifest;
}

/** Applies `pass` to every control-flow body of `f` (innermost first), then to `f` itself. */
function everywhere(pass: (f: Func) => Func): (f: Func) => Func {
  const run = (f: Func): Func => {
    const nodes = f.nodes.map((n): Node => {
      if (!Object.values(n.attrs).some(isFunc)) return n;
      const attrs = Object.fromEntries(Object.entries(n.attrs).map(([k, a]) => [k, isFunc(a) ? run(a) : a]));
      return Object.freeze({ ...n, attrs: Object.freeze(attrs) });
    });
    return pass(Object.freeze({ ...f, nodes }));
  };
  return run;
}

function verifyKernels(kernels: readonly Kernel[]): number {
  const errors = kernels.flatMap(verifyKernel);
  if (errors.length) fail(Codes.TIR_INVALID, `tensor-IR verification failed:\n  ${errors.join('\n  ')}`);
  return kernels.length;
}

const bytes = (what: string, b: Uint8Array) => `${what}: ${b.byteLength} bytes`;

export async function runPipeline(m: Module, o: PipelineOptions): Promise<CompiledModel> {
  const limitMs = o.timeoutMs ?? Infinity;
  const s = new Steps(PIPELINE_STEPS, o.debug, (o.startedAt ?? performance.now()) + limitMs, limitMs);
  const info = targetInfo(o.target, o.threads);
  const ids: IdGen = idsAfter(m);
  let f = m.main;
  f = s.graph('eliminate-identity', f, everywhere(eliminateIdentity));
  f = s.graph('fuse-qdq', f, everywhere((x) => fuseQdq(x, ids)));
  f = s.graph('integer-conv', f, everywhere((x) => integerConv(x, ids, info.vectorLanes)));
  f = s.graph('integer-max-pool', f, everywhere(integerMaxPool));
  f = s.graph('integer-nhwc', f, everywhere((x) => integerNhwc(x, ids)));
  f = s.graph('fold-batchnorm', f, everywhere((x) => foldBatchNorm(x, ids)));
  f = s.graph('fuse-swish', f, everywhere(fuseSwish));
  // GPU targets keep direct convs (their schedules have no Winograd transforms yet).
  f = s.graph('winograd-conv', f, everywhere((x) => (o.target.gpu ? x : winogradConv(x, ids))));
  f = s.graph('pad-conv-inputs', f, everywhere((x) => padConvInputs(x, ids)));
  f = s.graph('coalesce-transpose', f, everywhere((x) => coalesceTranspose(x, ids)));
  f = s.graph('fuse-attention', f, everywhere(fuseAttention));
  f = s.graph('pack-conv-weights', f, everywhere((x) => packConvWeights(x, ids, info.vectorLanes)));
  f = s.graph('pack-matmul-weights', f, everywhere((x) => packMatmulWeights(x, ids, info.vectorLanes)));
  const groups = s.run('fuse', () => fuseTree(f), (t) => printGroups(t));
  s.run('assign-layouts', () => assignLayouts(groups), printLayouts);
  const given = scheduleMap(o.schedules);
  const schedules = s.run('schedule', () => scheduleTree(groups, info, given, o.onStaleSchedule),
    printSchedules);
  const lowered = s.run('lower-kernels', () => lowerKernels(groups, info, schedules),
    (l) => l.kernels.map(printKernel).join('\n'));
  s.run('verify-tir', () => verifyKernels(lowered.kernels), (n) => `${n} kernels verified`);
  const constants = new ConstantPool();
  const debug = new DebugCollector();
  const program = s.run('lower-program', () =>
    lowerProgram(lowered.plan, { constants, nKernels: lowered.kernels.length, debug }, new ProgramWriter()),
    printProgram);
  const bytecode = assemble(program);
  const out: CompiledModel = {
    kernels: lowered.kernels, program, bytecode, constants: constants.bytes(), func: f,
    schedules: [...schedules.values()], bucketKernels: lowered.buckets, times: s.times, debug: debug.table(),
  };
  const a = o.artifact;
  if (!a) { // the front half only: tests and inspection
    s.finish();
    return out;
  }
  const t = o.target;
  if (t.gpu) {
    await gpuBackHalf(s, out, t, a);
    s.finish();
    return out;
  }
  const ir = s.run('llvm-emit', () => emitModule(out.kernels, { target: t }), (x) => x);
  if (process.env.KESTREL_DUMP_LLVM) process.stderr.write(ir);
  const llvm = s.run('o3', () =>
    LlvmModule.parse({ ir, triple: t.triple, cpu: t.cpu, features: t.features, optLevel: 3 }).optimize(),
  (x) => x.print());
  const objects = s.run('object-emit', () => {
    const kernels = llvm.emitObject();
    llvm.dispose();
    return [kernels, dataObject(t, out.bytecode, out.constants, a.manifest(out))];
  }, ([k, d]) => `${bytes('kernels.o', k)}\n${bytes('data.o', d)}`);
  await s.runAsync('link', async () => {
    await linkSharedObject({ objects, output: a.output, target: t, signingKey: a.signingKey });
    return a.output;
  }, (p) => `linked ${p}`);
  s.finish();
  return out;
}

/**
 * The same steps for a GPU target (codegen/nvptx/artifact.ts): llvm-emit writes the host module
 * and one NVPTX module per kernel, o3 optimises the host module, object-emit emits the host
 * object, every kernel's PTX and the data object holding the PTX blob.
 */
async function gpuBackHalf(s: Steps, out: CompiledModel, t: TargetDesc, a: ArtifactOptions): Promise<void> {
  const mods = s.run('llvm-emit', () => emitGpuModules(out.kernels, t),
    (m) => [m.host, ...m.device].join('\n'));
  const host = s.run('o3', () => optimizeHost(mods, t), (x) => x.print());
  const objects = s.run('object-emit', () => {
    const kernels = host.emitObject();
    host.dispose();
    const { blob, manifest } = ptxBlob(emitPtx(mods, t), mods, t);
    const man = a.manifest({ ...out, gpu: manifest });
    const ptx = { symbol: 'kestrel_gpu_ptx', section: '.kestrel_ptx', bytes: blob, align: 16 };
    return [kernels, dataObject(t, out.bytecode, out.constants, man, ptx)];
  }, ([k, d]) => `${bytes('host.o', k)}\n${bytes('data.o (with the PTX)', d)}`);
  await s.runAsync('link', async () => {
    await linkSharedObject({ objects, output: a.output, target: t, signingKey: a.signingKey });
    return a.output;
  }, (p) => `linked ${p}`);
}

/**
 * The artifact's data: bytecode, 64-byte aligned constants and the manifest (own ELF section),
 * and for GPU targets the PTX blob (`ptx`, exported with its size).
 */
function dataObject(t: TargetDesc, bytecode: Uint8Array, constants: Uint8Array, man: Uint8Array,
  ptx?: { symbol: string; section: string; bytes: Uint8Array; align: number }): Uint8Array {
  return emitDataObject({
    triple: t.triple,
    sections: [
      { symbol: 'kestrel_bytecode', bytes: bytecode, align: 16 },
      { symbol: 'kestrel_constants', bytes: constants, align: 64 },
      { symbol: 'kestrel_manifest', section: '.kestrel_manifest', bytes: man, align: 8 },
      ...(ptx ? [ptx] : []),
    ],
    exports: [
      { symbol: 'kestrel_bytecode_size', value: bytecode.byteLength },
      { symbol: 'kestrel_constants_size', value: constants.byteLength },
      { symbol: 'kestrel_manifest_size', value: man.byteLength },
      ...(ptx ? [{ symbol: `${ptx.symbol}_size`, value: ptx.bytes.byteLength }] : []),
    ],
  });
}
