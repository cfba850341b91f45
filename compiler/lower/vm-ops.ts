// Program lowering of ops that run as VM builtins rather than kernels (trait 'vm': the ONNX
// sequence ops). Each entry emits the builtins for one node through the VmEmitter that
// compiler/lower/program.ts hands it; program.ts then binds run-time dims of tensor outputs.

import type { Dim } from '../../ir/dim.js';
import type { Node, Value } from '../../ir/graph.js';
import type { Assembler } from '../../codegen/bytecode.js';

export interface VmEmitter {
  readonly a: Assembler;
  /** The register holding a value (tensor or sequence), materialising constants and shapes. */
  tensor(v: Value): number;
  /** A fresh register defining `v` (an output of the node being lowered). */
  define(v: Value): number;
  /** An integer register with element 0 of an integer tensor value. */
  scalar(v: Value): number;
  intConst(x: number | bigint): number;
  dimReg(d: Dim): number;
}

export type VmLowering = (n: Node, e: VmEmitter) => void;

/** kestrel op name -> how to emit it. */
export const VM_OPS: ReadonlyMap<string, VmLowering> = new Map<string, VmLowering>([]);
