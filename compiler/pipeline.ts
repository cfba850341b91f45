// The compiler pipeline, in order. Every pass is listed here; the graph is verified after each
// graph pass. Graph passes and fusion run inside control-flow bodies too.
// KESTREL_DUMP_IR=after:<pass> (or after:all) prints the IR after a pass;
// KESTREL_TIME_PASSES=1 prints how long each step took.

import { type Func, IdGen, isFunc, type Module, type Node } from '../ir/graph.js';
import '../ir/ops/index.js';
import type { Kernel } from '../ir/tir.js';
import type { TargetInfo } from '../ir/te.js';
import { verifyFunc } from '../ir/verify.js';
import { printFunc } from '../ir/print.js';
import { Assembler } from '../codegen/bytecode.js';
import { eliminateIdentity } from './passes/eliminate-identity.js';
import { foldBatchNorm } from './passes/fold-batchnorm.js';
import { fuse, type Group } from './passes/fuse.js';
import { packConvWeights } from './passes/pack-conv-weights.js';
import { padConvInputs } from './passes/pad-conv-inputs.js';
import { idsAfter } from './passes/graph-util.js';
import { ConstantPool } from './lower/constants.js';
import { DebugCollector, type DebugTable } from './lower/debug.js';
import { lowerGroup } from './lower/kernel.js';
import { lowerProgram, type Plan, type ProgramKernel } from './lower/program.js';

export interface CompiledModel {
  readonly kernels: readonly Kernel[];
  readonly bytecode: Uint8Array;
  readonly constants: Uint8Array;
  readonly func: Func;
  /** The manifest's debug table: kernel call sites and tensor registers in ONNX terms. */
  readonly debug: DebugTable;
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

/** The graph passes, in order. */
function optimise(f: Func, ids: IdGen, target: TargetInfo): Func {
  f = graphPass('eliminate-identity', f, everywhere(eliminateIdentity));
  f = graphPass('fold-batchnorm', f, everywhere((x) => foldBatchNorm(x, ids)));
  f = graphPass('pad-conv-inputs', f, everywhere((x) => padConvInputs(x, ids)));
  f = graphPass('pack-conv-weights', f, everywhere((x) => packConvWeights(x, ids, target.vectorLanes)));
  return f;
}

/** Kernels deduplicated by structure (named k<i>_<ops>) for every group, bodies included. */
class KernelTable {
  readonly kernels: Kernel[] = [];
  private readonly byKey = new Map<string, number>();

  constructor(private readonly target: TargetInfo) {}

  plan(f: Func): Plan {
    const groups = fuse(f);
    const calls = new Map<Group, ProgramKernel>();
    const bodies = new Map<Node, Map<string, Plan>>();
    for (const g of groups) {
      if (g.kind === 'kernel') calls.set(g, this.kernel(g));
      if (g.kind === 'control') {
        bodies.set(g.root, new Map(Object.entries(g.root.attrs).filter(([, a]) => isFunc(a))
          .map(([k, a]) => [k, this.plan(a as Func)])));
      }
    }
    return { func: f, groups, calls, bodies };
  }

  private kernel(g: Group): ProgramKernel {
    const low = lowerGroup(g, this.target);
    let index = this.byKey.get(low.key);
    if (index === undefined) {
      index = this.kernels.length;
      this.byKey.set(low.key, index);
      const ops = [g.root, ...g.epilogue].map((n) => n.op).join('_');
      this.kernels.push({ ...low.kernel, name: `kestrel_k${index}_${ops}`.slice(0, 120) });
    }
    return { index, tensors: low.tensors, symbols: low.symbols };
  }
}

export function runPipeline(m: Module, target: TargetInfo): CompiledModel {
  const f = optimise(m.main, idsAfter(m), target);
  const table = new KernelTable(target);
  const plan = step('fuse+lower-kernels', () => table.plan(f));
  const constants = new ConstantPool();
  const debug = new DebugCollector();
  const bytecode = step('lower-program', () =>
    lowerProgram(plan, { constants, nKernels: table.kernels.length, debug }, new Assembler()));
  return { kernels: table.kernels, bytecode, constants: constants.bytes(), func: f, debug: debug.table() };
}
