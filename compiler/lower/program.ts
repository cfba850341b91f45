// Lowers the fused graph to a VM program: bind symbolic dims from the inputs (checking static
// dims and symbol consistency, with messages that name the input and symbol), compute shapes
// with integer instructions, allocate each group's output from the pool, call its kernel, free
// values after their last use, and return the outputs. Outputs that would alias an input or a
// constant are copied, so callers own what they get back.
//
// Split by concern: this file walks a function's groups (views, kernels, VM builtins, shape
// checks, frees) and returns; program-regs.ts holds the register state (values, symbols, dims,
// data symbols bound right after their tensor is defined, scopes); program-control.ts turns
// if/loop/scan into jumps; vm-ops.ts emits the ops run by VM builtins; checks.ts the run-time
// shape checks; memory-plan.ts the peak-memory check; concat-in-place.ts which producers write
// straight into a concat's output.

import { type Dim, dimKey, sym } from '../../ir/dim.js';
import { dtypeInfo } from '../../ir/dtype.js';
import { nodeReads, type Value } from '../../ir/graph.js';
import type { ProgramWriter, VmProgram } from '../../codegen/vm-program.js';
import { fail, Codes } from '../diagnostics.js';
import type { Group } from '../passes/fuse.js';
import type { ConcatSlice, InPlaceConcats } from './concat-in-place.js';
import type { ConstantPool } from './constants.js';
import { emitChecks } from './checks.js';
import { dataReferences, lastUses } from './data-refs.js';
import { emitPeakCheck } from './memory-plan.js';
import type { DebugCollector } from './debug.js';
import { lowerControl, type BodyEmitter } from './program-control.js';
import { Registers } from './program-regs.js';
import { VM_OPS } from './vm-ops.js';

import { type KernelCall, plainVar, type Plan, type ProgramKernel } from './plan.js';
import type { SymbolRange } from '../schedule/buckets.js';

export type { Plan, ProgramKernel } from './plan.js';

export interface ProgramOptions {
  readonly constants: ConstantPool;
  readonly nKernels: number;
  /** Collects the artifact's debug table (kernel call sites, tensor registers). */
  readonly debug?: DebugCollector;
}

class ProgramBuilder implements BodyEmitter {
  constructor(readonly r: Registers) {}

  private get a(): ProgramWriter { return this.r.a; }

  bindInputs(inputs: readonly Value[]): void {
    const binder = new Map<string, string>();
    inputs.forEach((v, i) => {
      const r = this.a.reg();
      this.r.bindValue(v, r, true);
      this.r.debug?.tensor(r, v);
      const dtype = dtypeInfo(v.type.dtype).code;
      // Optionals and sequences carry no dims to bind (their elements' dims are never bound).
      if (v.type.optional) return this.a.emit('input_opt', { dst: r, index: i });
      if (v.type.sequence) return this.a.emit('input_seq', { dst: r, index: i, dtype });
      this.a.emit('input', { dst: r, index: i, dtype, rank: v.type.shape.length });
      v.type.shape.forEach((d, axis) => this.bindDim(v, r, axis, d, binder));
      this.r.bindData(v);
    });
  }

  private bindDim(v: Value, r: number, axis: number, d: Dim, binder: Map<string, string>): void {
    const where = `input '${v.name}' dimension ${axis}`;
    const single = plainVar(d);
    if (single !== undefined && !this.r.isBound(single)) {
      this.r.bindSymbol(single, r, axis);
      binder.set(single, where);
      return;
    }
    const what = single !== undefined
      ? `${where} (symbol '${single}', bound by ${binder.get(single)})`
      : `${where} (expected ${dimKey(d)})`;
    this.a.emit('check_dim', { tensor: r, axis, expected: this.r.dimReg(d), what });
  }

  private view(g: Group): void {
    const src = g.root.inputs[0]!;
    const out = g.root.outputs[0];
    const s = this.r.tensor(src);
    if (src.type.sequence || src.type.optional) return this.a.emit('move',
      { dst: this.r.define(out, src), src: s });
    const shape = out.type.shape.map((d) => this.r.dimReg(d));
    this.a.emit('reshape', { dst: this.r.define(out, src, g.root), src: s, shape });
    this.r.bindData(out);
  }

  private kernel(g: Group, call: ProgramKernel, inPlace: InPlaceConcats): void {
    for (const v of g.outputs) {
      const slice = inPlace.slices.get(v.id);
      if (slice) this.slice(v, g, slice);
      else this.alloc(v, g);
    }
    if (call.buckets.length) this.dispatch(g, call);
    else this.call(g, call);
    for (const v of g.outputs) this.r.bindData(v);
  }

  private alloc(v: Value, g: Group): void {
    const shape = v.type.shape.map((d) => this.r.dimReg(d));
    const dtype = dtypeInfo(v.type.dtype).code;
    this.a.emit('alloc', { dst: this.r.define(v, undefined, g.root), dtype, shape });
  }

  /** `v` as its slice of an in-place concat's output, allocated by the first producer that runs. */
  private slice(v: Value, g: Group, s: ConcatSlice): void {
    if (!this.r.has(s.out)) this.alloc(s.out, s.concat);
    const shape = v.type.shape.map((d) => this.r.dimReg(d));
    this.a.emit('slice_view', { dst: this.r.define(v, s.out, g.root), src: this.r.tensor(s.out),
      offset: this.r.intConst(s.offset), shape });
  }

  private call(g: Group, call: KernelCall): void {
    const tensors = call.tensors.map((v) => this.r.tensor(v));
    const scalars = call.symbols.map((s) => this.r.dimReg(sym(s)));
    this.r.debug?.call(this.a.here, call.index, g, call.symbols);
    this.a.emit('call_kernel', { kernel: call.index, tensors, scalars });
  }

  /**
   * A compare chain before the call: the first bucket whose ranges hold every symbol's value runs
   * its kernel, otherwise the generic one. Every register the calls read is computed before the
   * first jump, so each path finds them defined.
   */
  private dispatch(g: Group, call: ProgramKernel): void {
    const all = [call, ...call.buckets];
    for (const c of all) {
      c.tensors.forEach((v) => this.r.tensor(v));
      c.symbols.forEach((s) => this.r.dimReg(sym(s)));
    }
    const r = this.r, done = this.a.label();
    const within = (x: SymbolRange) => {
      const v = r.dimReg(sym(x.symbol));
      if (x.lo === x.hi) return r.intOp('eq', v, r.dimReg(x.lo));
      return r.intOp('and', r.intOp('ge', v, r.dimReg(x.lo)), r.intOp('le', v, r.dimReg(x.hi)));
    };
    const conds = call.buckets.map((b) => b.ranges.map(within).reduce((x, y) => r.intOp('and', x, y)));
    const labels = conds.map((cond) => {
      const at = this.a.label();
      this.a.emit('jump_if', { cond, target: at });
      return at;
    });
    this.call(g, call);
    call.buckets.forEach((b, i) => {
      this.a.emit('jump', { target: done });
      this.a.bind(labels[i]);
      this.call(g, b);
    });
    this.a.bind(done);
  }

  /** An op run by VM builtins (sequences): see vm-ops.ts. */
  private vmOp(g: Group): void {
    const n = g.root, r = this.r;
    const lower = VM_OPS.get(n.op);
    if (!lower) return fail(Codes.UNSUPPORTED_OPS, `op '${n.op}' has no VM lowering`,
      { node: n.origin.name, opType: n.origin.opType });
    lower(n, {
      a: this.a, tensor: (v) => r.tensor(v), define: (v) => r.define(v), scalar: (v) => r.scalar(v),
      intConst: (x) => r.intConst(x), dimReg: (d) => r.dimReg(d),
    });
    for (const v of n.outputs) if (!v.type.sequence) r.bindNewDims(v);
  }

  /** Emits a function's groups; frees what it defines after its last use (never its results). */
  func(p: Plan, isMain: boolean): void {
    const last = lastUses(p.groups);
    const keep = new Set(p.func.outputs.map((v) => v.id));
    const owned = new Set<number>(isMain ? p.func.inputs.map((v) => v.id) : []);
    for (const g of p.groups) for (const v of g.outputs) owned.add(v.id);
    const checks = { a: this.a, dimReg: (d: Dim) => this.r.dimReg(d),
      intOp: (op: 'eq' | 'or', x: number, y: number) => this.r.intOp(op, x, y) };
    p.groups.forEach((g, i) => {
      this.r.debug?.group(this.a.here, g);
      // Before the group runs: its nodes' shape assumptions (a branch's checks stay in the branch).
      for (const n of [g.root, ...g.epilogue]) emitChecks(n, { ...checks, checked: this.r.checked });
      if (g.kind === 'view') this.view(g);
      else if (g.kind === 'control') lowerControl(this, g, p.bodies.get(g.root)!);
      else if (g.kind === 'vm') this.vmOp(g);
      // An in-place concat: its producers have written every slice of its output.
      else if (p.inPlace.concats.has(g)) this.r.bindData(g.outputs[0]);
      else this.kernel(g, p.calls.get(g)!, p.inPlace);
      for (const n of [g.root, ...g.epilogue]) {
        for (const v of nodeReads(n)) {
          if (last.get(v.id) === i && owned.has(v.id) && !keep.has(v.id)) this.r.free(v);
        }
      }
    });
  }

  ret(outputs: readonly Value[]): void {
    const seen = new Set<number>();
    const regs = outputs.map((v) => {
      const r = this.r.tensor(v);
      // Sequences are immutable and `ret` copies their views itself: never copied here.
      if ((!this.r.isAliased(v) && !seen.has(v.id)) || v.type.sequence || v.type.optional) {
        seen.add(v.id);
        return r;
      }
      const dst = this.a.reg();
      this.a.emit('copy', { dst, src: r });
      return dst;
    });
    this.a.emit('ret', { outputs: regs });
  }
}

export function lowerProgram(plan: Plan, o: ProgramOptions, a: ProgramWriter): VmProgram {
  const regs = new Registers(a, o.constants, dataReferences(plan.func), o.debug);
  const b = new ProgramBuilder(regs);
  b.bindInputs(plan.func.inputs);
  emitPeakCheck(plan, { a, bound: regs.boundSymbols(), dimReg: (d) => regs.dimReg(d) });
  b.func(plan, true);
  b.ret(plan.func.outputs);
  return a.finish({ nInputs: plan.func.inputs.length, nOutputs: plan.func.outputs.length,
    nKernels: o.nKernels });
}
