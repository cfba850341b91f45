// One node lowered the way the compiler lowers it: a single-node fusion group handed to
// compiler/lower/kernel.ts (lowerGroup), so an op test runs the kernel the compiler would build
// (buffer parameters in first-use order, symbolic extents as scalar parameters, 1-element
// constants as immediates, the default element loop for compute lowerings) rather than a
// lowering context built by hand. The harnesses (harness.ts, typed-run.ts) bind the kernel's
// buffers and scalars back to their own arrays through `tensors` and `symbols`.

import { type ConstData, IdGen, makeValue, type Attrs, type TensorType, type Value } from '../../ir/graph.js';
import type { TargetInfo } from '../../ir/te.js';
import { lowerGroup, type LoweredKernel } from '../../compiler/lower/kernel.js';
import type { Group } from '../../compiler/passes/fuse.js';

export interface NodeInput {
  readonly type: TensorType;
  /** Compile-time contents (a constant input). */
  readonly data?: ConstData;
}

export interface LoweredNode extends LoweredKernel {
  /** The node's input values (null where absent) and output values, to match against `tensors`. */
  readonly inputs: readonly (Value | null)[];
  readonly outputs: readonly Value[];
}

export interface LowerOptions {
  readonly knobs?: Readonly<Record<string, number>>;
  /** Scalar output stores (OutputSink.vectorizable false). */
  readonly scalarSinks?: boolean;
  readonly target?: TargetInfo;
}

const HOST: TargetInfo = { arch: 'x86_64', vectorLanes: 16, threads: 2 };

export function lowerNode(op: string, ins: readonly (NodeInput | null)[], attrs: Attrs,
  outTypes: readonly TensorType[], o: LowerOptions = {}): LoweredNode {
  const ids = new IdGen();
  const inputs = ins.map((s, i) => (s ? makeValue(ids, `in${i}`, s.type, s.data) : null));
  const outputs = outTypes.map((ty, i) => makeValue(ids, `out${i}`, ty));
  const root = { id: ids.id(), op, inputs, outputs, attrs, origin: { name: op, opType: op } };
  const group: Group = { kind: 'kernel', root, epilogue: [], outputs };
  const low = lowerGroup(group, o.target ?? HOST, o.knobs ?? {}, !o.scalarSinks);
  return { ...low, inputs, outputs };
}

/** Position of each kernel buffer among the node's inputs (`in`) or outputs (`out`). */
export function bufferRoles(low: LoweredNode): { readonly kind: 'in' | 'out'; readonly index: number }[] {
  return low.tensors.map((v) => {
    const i = low.inputs.findIndex((x) => x?.id === v.id);
    if (i >= 0) return { kind: 'in' as const, index: i };
    const j = low.outputs.findIndex((x) => x.id === v.id);
    if (j < 0) throw new Error(`kernel buffer for '${v.name}' is neither an input nor an output`);
    return { kind: 'out' as const, index: j };
  });
}
