// Lowers one fusion group to a tir Kernel: materialised values become buffer parameters,
// symbolic extents become scalar parameters, the root op's lowering provides the loop nest (or a
// default element loop for compute roots) and the epilogue ops are inlined into its stores.
// The knobs come from the schedule stage (compiler/schedule); every op of the group reads them.
// Names of buffers and variables are canonical per kernel, so identical groups give identical
// kernels (same `key`) and share one compiled function.

import { constValues } from '../../ir/const.js';
import type { DType } from '../../ir/dtype.js';
import { isConst, numel, type Node, type Value } from '../../ir/graph.js';
import { getOp } from '../../ir/ops/index.js';
import * as t from '../../ir/tir-build.js';
import type { Buffer, Expr, Kernel, Stmt } from '../../ir/tir.js';
import type { LowerCtx, OutputSink, TargetInfo, TensorAccess } from '../../ir/te.js';
import { bufferAccess, elementLoops, offsetOf } from '../../ir/te-loops.js';
import { knob } from '../../ir/ops/attrs.js';
import { fail, Codes } from '../diagnostics.js';
import type { Group } from '../passes/fuse.js';
import { SymbolParams } from './dims.js';

export interface LoweredKernel {
  /** Kernel with a placeholder name; see `key`. */
  readonly kernel: Kernel;
  /** Values passed as the kernel's buffers, in order. */
  readonly tensors: readonly Value[];
  /** Symbols passed as the kernel's scalars, in order. */
  readonly symbols: readonly string[];
  /** Structural identity of the kernel (name excluded). */
  readonly key: string;
}

class KernelBuilder {
  readonly syms = new SymbolParams();
  private readonly buffers = new Map<number, { buf: Buffer; value: Value }>();
  private counter = 0;

  constructor(readonly target: TargetInfo, readonly knobs: Readonly<Record<string, number>>) {}

  // `_` keeps loop/let names apart from the scalar parameters `s<N>` (SymbolParams).
  fresh = (hint: string, dtype: DType = 'int64') => t.variable(`${hint}_${this.counter++}`, dtype);
  scratch = (hint: string, dtype: DType) => t.buffer(`${hint}_${this.counter++}`, dtype, 'local');

  param(v: Value): Buffer {
    let e = this.buffers.get(v.id);
    if (!e) {
      e = { buf: t.buffer(`b${this.buffers.size}`, v.type.dtype), value: v };
      this.buffers.set(v.id, e);
    }
    return e.buf;
  }

  shape(v: Value): Expr[] {
    return v.type.shape.map((d) => this.syms.dim(d));
  }

  access(v: Value): TensorAccess {
    if (isConst(v) && numel(v.data.shape) === 1 && v.data.dtype !== 'float16') {
      const k = t.imm(constValues(v.data)[0], v.type.dtype);
      return { dtype: v.type.dtype, shape: this.shape(v), at: () => k };
    }
    return bufferAccess(this.param(v), this.shape(v));
  }

  ctx(n: Node, inputs: readonly (TensorAccess | null)[], outputs: readonly OutputSink[]): LowerCtx {
    return {
      attrs: n.attrs, inputs, outputs, target: this.target, knobs: this.knobs,
      inTypes: n.inputs.map((v) => v?.type ?? null), outTypes: n.outputs.map((v) => v.type),
      dim: (d) => this.syms.dim(d), fresh: this.fresh, scratch: this.scratch,
      constant: (i) => { const v = n.inputs[i]; return v && isConst(v) ? v.data : undefined; },
    };
  }

  finish(body: Stmt): LoweredKernel {
    const entries = [...this.buffers.values()];
    const params = this.syms.params();
    const kernel: Kernel = { name: 'kernel', buffers: entries.map((e) => e.buf),
      scalars: params.map((p) => p.v), body };
    return {
      kernel, tensors: entries.map((e) => e.value), symbols: params.map((p) => p.symbol),
      key: JSON.stringify([kernel.buffers, kernel.scalars, body]),
    };
  }
}

function lowerOrFail(n: Node, ctx: LowerCtx) {
  const def = getOp(n.op);
  if (!def?.lower) {
    fail(Codes.UNSUPPORTED_OPS, `op '${n.op}' has no lowering`,
      { node: n.origin.name, opType: n.origin.opType });
  }
  return def.lower(ctx);
}

/** Applies the epilogue nodes to `value`, the root's result at `idx`. */
function epilogue(b: KernelBuilder, g: Group, value: Expr, idx: readonly Expr[]): Expr {
  let cur = value;
  let prev = g.root.outputs[0];
  for (const n of g.epilogue) {
    const here = cur;
    const from = prev;
    const inputs = n.inputs.map((v) => (v === null ? null
      : v.id === from.id ? { dtype: v.type.dtype, shape: b.shape(v), at: () => here } : b.access(v)));
    const low = lowerOrFail(n, b.ctx(n, inputs, []));
    if (low.kind !== 'compute') throw new Error(`epilogue op ${n.op} must lower to a compute`);
    cur = low.at(idx);
    prev = n.outputs[0];
  }
  return cur;
}

/**
 * The kernel of group `g` for `target` with the schedule's `knobs`. `vectorSinks` false makes
 * the output stores scalar (OutputSink.vectorizable): the lowerings keep a scalar store path for
 * sinks that cannot take vectors, which the op tests run through here too.
 */
export function lowerGroup(g: Group, target: TargetInfo,
  knobs: Readonly<Record<string, number>> = {}, vectorSinks = true): LoweredKernel {
  const b = new KernelBuilder(target, knobs);
  const inputs = g.root.inputs.map((v) => (v ? b.access(v) : null));
  const finalOut = g.outputs[0];
  const outBuf = (v: Value) => b.param(v);
  const sinks: OutputSink[] = g.root.outputs.map((v, i) => {
    const target = i === 0 ? finalOut : v;
    const shape = b.shape(v);
    return {
      dtype: target.type.dtype, shape, vectorizable: vectorSinks,
      store: (idx, value) => t.store(outBuf(target), offsetOf(idx, shape),
        i === 0 ? epilogue(b, g, value, idx) : value),
    };
  });
  const low = lowerOrFail(g.root, b.ctx(g.root, inputs, sinks));
  if (low.kind === 'kernel') return b.finish(low.body);
  const env = { fresh: b.fresh, lanes: knob(knobs, 'elem.vec', target.vectorLanes),
    flatVectors: knob(knobs, 'elem.flat', 0) };
  return b.finish(elementLoops(env, sinks[0].shape, (idx) => sinks[0].store(idx, low.at(idx))));
}
