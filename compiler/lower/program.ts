// Lowers the fused graph to a VM program: bind symbolic dims from the inputs (checking static
// dims and symbol consistency, with messages that name the input and symbol), compute shapes
// with integer instructions, allocate each group's output from the pool, call its kernel, free
// values after their last use, and return the outputs. Outputs that would alias an input or a
// constant are copied, so callers own what they get back.
//
// Control flow becomes jumps. `if` evaluates one branch and moves its results into the node's
// output registers; `loop` and `scan` keep carried values in fixed registers, run the body once
// per iteration, and move the body's results back (through temporaries, so swaps are safe).
// Everything a branch or body caches (shape registers, values) is dropped when it ends, and a
// dim that only exists at run time (a fresh symbol, a data symbol) is bound from the tensor that
// carries it right after that tensor is defined.

import { type Atom, type Dim, dataSymbol, dimKey, dimVars, isStatic, sym } from '../../ir/dim.js';
import { dtypeInfo } from '../../ir/dtype.js';
import { isConst, type Node, nodeReads, type Value } from '../../ir/graph.js';
import { SCAN_ATTRS } from '../../ir/ops/control.js';
import { nodeAttrs } from '../../ir/ops/declare.js';
import type { ProgramWriter, VmProgram } from '../../codegen/vm-program.js';
import type { IntOpName } from '../../runtime-vm/isa.generated.js';
import { fail, Codes } from '../diagnostics.js';
import type { Group } from '../passes/fuse.js';
import type { ConstantPool } from './constants.js';
import { emitChecks } from './checks.js';
import { dataReferences, lastUses } from './data-refs.js';
import { emitPeakCheck } from './memory-plan.js';
import type { DebugCollector } from './debug.js';
import { VM_OPS } from './vm-ops.js';

import { plainVar, type Plan, type ProgramKernel } from './plan.js';

export type { Plan, ProgramKernel } from './plan.js';

export interface ProgramOptions {
  readonly constants: ConstantPool;
  readonly nKernels: number;
  /** Collects the artifact's debug table (kernel call sites, tensor registers). */
  readonly debug?: DebugCollector;
}

const INT64_MAX = (1n << 63n) - 1n;

class ProgramBuilder {
  private tensorRegs = new Map<number, number>();
  private symRegs = new Map<string, number>();
  private dimRegs = new Map<string, number>();
  /** Shape checks already made in this scope (compiler/lower/checks.ts). */
  private checked = new Set<string>();
  private readonly aliased = new Set<number>();

  constructor(
    private readonly a: ProgramWriter,
    private readonly constants: ConstantPool,
    /** Value id -> element indices read by data symbols. */
    private readonly dataRefs: ReadonlyMap<number, readonly number[]>,
    private readonly debug?: DebugCollector,
  ) {}

  /** Runs `fn` with the register caches it adds dropped afterwards (a branch or a body). */
  private scoped(fn: () => void): void {
    const saved = [new Map(this.tensorRegs), new Map(this.symRegs), new Map(this.dimRegs)] as const;
    const checked = new Set(this.checked);
    fn();
    [this.tensorRegs, this.symRegs, this.dimRegs] = saved;
    this.checked = checked;
  }

  bindInputs(inputs: readonly Value[]): void {
    const binder = new Map<string, string>();
    inputs.forEach((v, i) => {
      const r = this.a.reg();
      this.tensorRegs.set(v.id, r);
      this.aliased.add(v.id);
      this.debug?.tensor(r, v);
      const dtype = dtypeInfo(v.type.dtype).code;
      // Optionals and sequences carry no dims to bind (their elements' dims are never bound).
      if (v.type.optional) return this.a.emit('input_opt', { dst: r, index: i });
      if (v.type.sequence) return this.a.emit('input_seq', { dst: r, index: i, dtype });
      this.a.emit('input', { dst: r, index: i, dtype, rank: v.type.shape.length });
      v.type.shape.forEach((d, axis) => this.bindDim(v, r, axis, d, binder));
      this.bindData(v);
    });
  }

  private bindDim(v: Value, r: number, axis: number, d: Dim, binder: Map<string, string>): void {
    const where = `input '${v.name}' dimension ${axis}`;
    const single = plainVar(d);
    if (single !== undefined && !this.symRegs.has(single)) {
      this.bindSymbol(single, r, axis);
      binder.set(single, where);
      return;
    }
    const what = single !== undefined
      ? `${where} (symbol '${single}', bound by ${binder.get(single)})`
      : `${where} (expected ${dimKey(d)})`;
    this.a.emit('check_dim', { tensor: r, axis, expected: this.dimReg(d), what });
  }

  private bindSymbol(name: string, tensorReg: number, axis: number): void {
    const s = this.a.reg();
    this.a.emit('dim', { dst: s, tensor: tensorReg, axis });
    this.symRegs.set(name, s);
    this.dimRegs.set(name, s);
  }

  /** Binds the symbols of `v`'s dims that nothing bound yet (sizes known only at run time). */
  private bindNewDims(v: Value): void {
    if (v.type.sequence || v.type.optional) return;
    v.type.shape.forEach((d, axis) => {
      const single = plainVar(d);
      if (single !== undefined && !this.symRegs.has(single)) this.bindSymbol(single, this.tensor(v), axis);
    });
    this.bindData(v);
  }

  /** The symbols bound so far (after bindInputs: those the inputs bind). */
  boundSymbols(): ReadonlySet<string> { return new Set(this.symRegs.keys()); }

  dimReg(d: Dim): number {
    const key = dimKey(d);
    const hit = this.dimRegs.get(key);
    if (hit !== undefined) return hit;
    let r: number;
    if (isStatic(d)) {
      r = this.a.reg();
      this.a.emit('int_const', { dst: r, value: d });
    } else {
      r = this.dimReg(d.constant);
      for (const term of d.terms) {
        let p = this.dimReg(term.coef);
        for (const atom of term.atoms) p = this.intOp('mul', p, this.atomReg(atom));
        r = this.intOp('add', r, p);
      }
    }
    this.dimRegs.set(key, r);
    return r;
  }

  private atomReg(a: Atom): number {
    if (a.kind === 'var') {
      const r = this.symRegs.get(a.name);
      if (r === undefined) {
        return fail(Codes.SHAPE_UNBOUND, `dimension symbol '${a.name}' is not bound by any input`, {});
      }
      return r;
    }
    return this.intOp(a.kind, this.dimReg(a.a), this.dimReg(a.b));
  }

  private intOp(op: string, x: number, y: number): number {
    const dst = this.a.reg();
    this.a.intOp(op as IntOpName, dst, x, y);
    return dst;
  }

  private intConst(v: number | bigint): number {
    const r = this.a.reg();
    this.a.emit('int_const', { dst: r, value: v });
    return r;
  }

  tensor(v: Value): number {
    const r = this.tensorRegs.get(v.id);
    if (r !== undefined) return r;
    if (v.type.elems && !isConst(v)) return this.materialise(v, v.type.elems);
    if (!isConst(v)) throw new Error(`value '${v.name}' used before it is computed`);
    const dst = this.a.reg();
    const offset = this.constants.offsetOf(v);
    this.a.emit('const_tensor',
      { dst, dtype: dtypeInfo(v.type.dtype).code, offset, shape: [...v.data.shape] });
    this.tensorRegs.set(v.id, dst);
    this.aliased.add(v.id);
    return dst;
  }

  /** A shape computation's result as a tensor, built from its elements' registers. */
  private materialise(v: Value, elems: readonly Dim[]): number {
    const values = elems.map((d) => this.dimReg(d));
    const dst = this.a.reg();
    const dtype = v.type.dtype === 'int32' ? 'int32' : 'int64';
    this.a.emit('make_ints', { dst, dtype: dtypeInfo(dtype).code, rank: v.type.shape.length, values });
    this.tensorRegs.set(v.id, dst);
    return dst;
  }

  /** Reads the elements of `v` that data symbols refer to, right after `v` is defined. */
  private bindData(v: Value): void {
    for (const index of this.dataRefs.get(v.id) ?? []) {
      const dst = this.a.reg();
      this.a.emit('load_int', { dst, tensor: this.tensor(v), index });
      const name = dimKey(dataSymbol(v.id, index));
      this.symRegs.set(name, dst);
      this.dimRegs.set(name, dst);
    }
  }

  /** A register for `v` (a view of `aliasOf` if given), named in the debug table after `v` and `by`. */
  private define(v: Value, aliasOf?: Value, by?: Node): number {
    const r = this.a.reg();
    this.tensorRegs.set(v.id, r);
    this.debug?.tensor(r, v, by);
    if (aliasOf && (this.aliased.has(aliasOf.id) || isConst(aliasOf))) this.aliased.add(v.id);
    return r;
  }

  private view(g: Group): void {
    const src = g.root.inputs[0]!;
    const out = g.root.outputs[0];
    const s = this.tensor(src);
    if (src.type.sequence || src.type.optional) return this.a.emit('move',
      { dst: this.define(out, src), src: s });
    const shape = out.type.shape.map((d) => this.dimReg(d));
    this.a.emit('reshape', { dst: this.define(out, src, g.root), src: s, shape });
    this.bindData(out);
  }

  private kernel(g: Group, call: ProgramKernel): void {
    for (const v of g.outputs) {
      const shape = v.type.shape.map((d) => this.dimReg(d));
      const dtype = dtypeInfo(v.type.dtype).code;
      this.a.emit('alloc', { dst: this.define(v, undefined, g.root), dtype, shape });
    }
    const tensors = call.tensors.map((v) => this.tensor(v));
    const scalars = call.symbols.map((s) => this.dimReg(sym(s)));
    this.debug?.call(this.a.here, call.index, g, call.symbols);
    this.a.emit('call_kernel', { kernel: call.index, tensors, scalars });
    for (const v of g.outputs) this.bindData(v);
  }

  /** The scalar element of a tensor value as an integer register. */
  private scalar(v: Value): number {
    const dst = this.a.reg();
    this.a.emit('load_int', { dst, tensor: this.tensor(v), index: 0 });
    return dst;
  }

  /** Moves `values` into `dsts` through temporaries (a body may return its inputs swapped). */
  private moveAll(values: readonly Value[], dsts: readonly number[]): void {
    const temps = values.map((v) => {
      const t = this.a.reg();
      this.a.emit('move', { dst: t, src: this.tensor(v) });
      return t;
    });
    temps.forEach((t, k) => this.a.emit('move', { dst: dsts[k], src: t }));
  }

  private defineOutputs(n: Node): number[] {
    return n.outputs.map((v) => {
      const r = this.define(v);
      this.aliased.add(v.id); // a branch or body may return an input or a constant as it is
      return r;
    });
  }

  private ifNode(n: Node, bodies: ReadonlyMap<string, Plan>): void {
    const c = this.scalar(n.inputs[0]!);
    const outs = this.defineOutputs(n);
    const [onTrue, done] = [this.a.label(), this.a.label()];
    this.a.emit('jump_if', { cond: c, target: onTrue });
    this.branch(bodies.get('else')!, outs);
    this.a.emit('jump', { target: done });
    this.a.bind(onTrue);
    this.branch(bodies.get('then')!, outs);
    this.a.bind(done);
    n.outputs.forEach((v) => this.bindNewDims(v));
  }

  private branch(p: Plan, outs: readonly number[]): void {
    this.scoped(() => {
      this.func(p, false);
      this.moveAll(p.func.outputs, outs);
    });
  }

  /** Binds a body's tensor inputs to registers and their run-time dims to symbols. */
  private enterBody(inputs: readonly Value[], regs: readonly number[]): void {
    inputs.forEach((v, k) => {
      this.tensorRegs.set(v.id, regs[k]);
      this.aliased.add(v.id);
    });
    for (const v of inputs) this.bindNewDims(v);
  }

  private makeScalar(dtype: 'int64' | 'bool', value: number): number {
    const dst = this.a.reg();
    this.a.emit('make_ints', { dst, dtype: dtypeInfo(dtype).code, rank: 0, values: [value] });
    return dst;
  }

  private loopNode(n: Node, body: Plan): void {
    const [tripIn, condIn, ...init] = n.inputs;
    const nCarried = init.length;
    const scans = this.scanSequences(n.outputs.slice(nCarried));
    const trips = tripIn ? this.scalar(tripIn) : this.intConst(INT64_MAX);
    const cond = condIn ? this.scalar(condIn) : this.intConst(1);
    const carried = init.map((v) => {
      const r = this.a.reg();
      this.a.emit('move', { dst: r, src: this.tensor(v!) });
      return r;
    });
    const [i, one] = [this.intConst(0), this.intConst(1)];
    const [head, enter, exit] = [this.a.label(), this.a.label(), this.a.label()];
    this.a.bind(head);
    this.a.emit('jump_if', { cond: this.intOp('and', this.intOp('lt', i, trips), cond), target: enter });
    this.a.emit('jump', { target: exit });
    this.a.bind(enter);
    this.scoped(() => {
      const f = body.func;
      this.enterBody(f.inputs, [this.makeScalar('int64', i), this.makeScalar('bool', cond), ...carried]);
      this.func(body, false);
      const next = this.scalar(f.outputs[0]);
      this.appendScans(scans, f.outputs.slice(1 + nCarried), []);
      this.moveAll(f.outputs.slice(1, 1 + nCarried), carried);
      this.a.emit('move', { dst: cond, src: next });
    });
    this.a.emit('move', { dst: i, src: this.intOp('add', i, one) });
    this.a.emit('jump', { target: head });
    this.a.bind(exit);
    this.finishLoop(n, carried, scans);
  }

  /** One empty sequence per scan output, collecting its per-iteration values. */
  private scanSequences(outs: readonly Value[]): number[] {
    return outs.map((v) => {
      const r = this.a.reg();
      this.a.emit('seq_empty', { dst: r, dtype: dtypeInfo(v.type.dtype).code });
      return r;
    });
  }

  /** Adds this iteration's scan values (at the front where `front` is set: reversed scans). */
  private appendScans(seqs: readonly number[], values: readonly Value[], front: readonly boolean[]): void {
    seqs.forEach((s, k) => {
      const pos = front[k] ? [this.intConst(0)] : [];
      this.a.emit('seq_insert', { dst: s, seq: s, tensor: this.tensor(values[k]), pos });
    });
  }

  /** Moves carried values to the node's outputs and stacks the scan sequences. */
  private finishLoop(n: Node, carried: readonly number[], seqs: readonly number[]): void {
    const outs = this.defineOutputs(n);
    carried.forEach((r, k) => this.a.emit('move', { dst: outs[k], src: r }));
    seqs.forEach((s, k) => this.stack(n.outputs[carried.length + k], outs[carried.length + k], s));
    n.outputs.forEach((v) => this.bindNewDims(v));
  }

  /** dst = the sequence's tensors stacked on a new axis 0; [0, ...] when no iteration ran. */
  private stack(v: Value, dst: number, seq: number): void {
    const [nonEmpty, done] = [this.a.label(), this.a.label()];
    const count = this.a.reg();
    this.a.emit('seq_length', { dst: count, seq });
    this.a.emit('jump_if', { cond: count, target: nonEmpty });
    // Element dims only the body knew are 0 here: the tensor is empty either way.
    const known = (d: Dim) => dimVars(d).every((x) => this.symRegs.has(x));
    const shape = v.type.shape.map((d, axis) => this.dimReg(axis > 0 && known(d) ? d : 0));
    this.a.emit('alloc', { dst, dtype: dtypeInfo(v.type.dtype).code, shape });
    this.a.emit('jump', { target: done });
    this.a.bind(nonEmpty);
    this.a.emit('seq_concat', { dst, seq, axis: 0, new_axis: 1 });
    this.a.bind(done);
  }

  private scanNode(n: Node, body: Plan): void {
    const { numScanInputs: m, inputDirections: inDirs, outputDirections: outDirs } = nodeAttrs(SCAN_ATTRS, n);
    const nStates = n.inputs.length - m;
    const carried = n.inputs.slice(0, nStates).map((v) => {
      const r = this.a.reg();
      this.a.emit('move', { dst: r, src: this.tensor(v!) });
      return r;
    });
    const sources = n.inputs.slice(nStates).map((v) => this.tensor(v!));
    const length = this.dimReg(n.inputs[nStates]!.type.shape[0]);
    const seqs = this.scanSequences(n.outputs.slice(nStates));
    const [i, one] = [this.intConst(0), this.intConst(1)];
    const last = this.intOp('sub', length, one);
    const [head, enter, exit] = [this.a.label(), this.a.label(), this.a.label()];
    this.a.bind(head);
    this.a.emit('jump_if', { cond: this.intOp('lt', i, length), target: enter });
    this.a.emit('jump', { target: exit });
    this.a.bind(enter);
    this.scoped(() => {
      const f = body.func;
      const slices = sources.map((src, k) => {
        const dst = this.a.reg();
        const index = inDirs[k] === 1 ? this.intOp('sub', last, i) : i;
        this.a.emit('index_view', { dst, src, index });
        return dst;
      });
      this.enterBody(f.inputs, [...carried, ...slices]);
      this.func(body, false);
      this.appendScans(seqs, f.outputs.slice(nStates), outDirs.map((d) => d === 1));
      this.moveAll(f.outputs.slice(0, nStates), carried);
    });
    this.a.emit('move', { dst: i, src: this.intOp('add', i, one) });
    this.a.emit('jump', { target: head });
    this.a.bind(exit);
    this.finishLoop(n, carried, seqs);
  }

  private control(g: Group, bodies: ReadonlyMap<string, Plan>): void {
    const n = g.root;
    switch (n.op) {
      case 'if': return this.ifNode(n, bodies);
      case 'loop': return this.loopNode(n, bodies.get('body')!);
      case 'scan': return this.scanNode(n, bodies.get('body')!);
      default:
        return fail(Codes.UNSUPPORTED_OPS, `control-flow op '${n.op}' cannot be lowered yet`,
          { node: n.origin.name, opType: n.origin.opType });
    }
  }

  /** An op run by VM builtins (sequences): see vm-ops.ts. */
  private vmOp(g: Group): void {
    const n = g.root;
    const lower = VM_OPS.get(n.op);
    if (!lower) return fail(Codes.UNSUPPORTED_OPS, `op '${n.op}' has no VM lowering`,
      { node: n.origin.name, opType: n.origin.opType });
    lower(n, {
      a: this.a, tensor: (v) => this.tensor(v), define: (v) => this.define(v), scalar: (v) => this.scalar(v),
      intConst: (x) => this.intConst(x), dimReg: (d) => this.dimReg(d),
    });
    for (const v of n.outputs) if (!v.type.sequence) this.bindNewDims(v);
  }

  private free(v: Value): void {
    const r = this.tensorRegs.get(v.id);
    if (r === undefined) return;
    this.a.emit('free', { reg: r });
    this.tensorRegs.delete(v.id);
  }

  /** Emits a function's groups; frees what it defines after its last use (never its results). */
  func(p: Plan, isMain: boolean): void {
    const last = lastUses(p.groups);
    const keep = new Set(p.func.outputs.map((v) => v.id));
    const owned = new Set<number>(isMain ? p.func.inputs.map((v) => v.id) : []);
    for (const g of p.groups) for (const v of g.outputs) owned.add(v.id);
    const checks = { a: this.a, dimReg: (d: Dim) => this.dimReg(d),
      intOp: (op: 'eq' | 'or', x: number, y: number) => this.intOp(op, x, y) };
    p.groups.forEach((g, i) => {
      this.debug?.group(this.a.here, g);
      // Before the group runs: its nodes' shape assumptions (a branch's checks stay in the branch).
      for (const n of [g.root, ...g.epilogue]) emitChecks(n, { ...checks, checked: this.checked });
      if (g.kind === 'view') this.view(g);
      else if (g.kind === 'control') this.control(g, p.bodies.get(g.root)!);
      else if (g.kind === 'vm') this.vmOp(g);
      else this.kernel(g, p.calls.get(g)!);
      for (const n of [g.root, ...g.epilogue]) {
        for (const v of nodeReads(n)) {
          if (last.get(v.id) === i && owned.has(v.id) && !keep.has(v.id)) this.free(v);
        }
      }
    });
  }

  ret(outputs: readonly Value[]): void {
    const seen = new Set<number>();
    const regs = outputs.map((v) => {
      const r = this.tensor(v);
      // Sequences are immutable and `ret` copies their views itself: never copied here.
      if ((!this.aliased.has(v.id) && !seen.has(v.id)) || v.type.sequence || v.type.optional) {
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
  const b = new ProgramBuilder(a, o.constants, dataReferences(plan.func), o.debug);
  b.bindInputs(plan.func.inputs);
  emitPeakCheck(plan, { a, bound: b.boundSymbols(), dimReg: (d) => b.dimReg(d) });
  b.func(plan, true);
  b.ret(plan.func.outputs);
  return a.finish({ nInputs: plan.func.inputs.length, nOutputs: plan.func.outputs.length,
    nKernels: o.nKernels });
}
