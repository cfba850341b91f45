// Lowers the fused graph to a VM program: bind symbolic dims from the inputs (checking static
// dims and symbol consistency, with messages that name the input and symbol), compute shapes
// with integer instructions, allocate each group's output from the pool, call its kernel, free
// values after their last use, and return the outputs. Outputs that would alias an input or a
// constant are copied, so callers own what they get back.

import { type Atom, type Dim, dimKey, dimVars, isStatic, parseDataSymbol, sym, dataSymbol } from '../../ir/dim.js';
import { dtypeInfo } from '../../ir/dtype.js';
import { type Func, isConst, type Value } from '../../ir/graph.js';
import { fail, Codes } from '../diagnostics.js';
import type { Group } from '../passes/fuse.js';
import type { ConstantPool } from './constants.js';
import type { Assembler } from '../../codegen/bytecode.js';
import type { IntOpName } from '../../runtime-vm/isa.generated.js';

export interface ProgramKernel {
  /** Index into the artifact's kernel table. */
  readonly index: number;
  readonly tensors: readonly Value[];
  readonly symbols: readonly string[];
}

export interface ProgramInput {
  readonly func: Func;
  readonly groups: readonly Group[];
  /** Kernel call for each kernel group, by group index. */
  readonly calls: ReadonlyMap<number, ProgramKernel>;
  readonly constants: ConstantPool;
  readonly nKernels: number;
}

class ProgramBuilder {
  private readonly tensorRegs = new Map<number, number>();
  private readonly symRegs = new Map<string, number>();
  private readonly dimRegs = new Map<string, number>();
  private readonly aliased = new Set<number>();

  constructor(
    private readonly a: Assembler,
    private readonly constants: ConstantPool,
    /** Value id -> element indices read by data symbols. */
    private readonly dataRefs: ReadonlyMap<number, readonly number[]>,
  ) {}

  bindInputs(inputs: readonly Value[]): void {
    const binder = new Map<string, string>();
    inputs.forEach((v, i) => {
      const r = this.a.reg();
      this.tensorRegs.set(v.id, r);
      this.aliased.add(v.id);
      this.a.emit('input', { dst: r, index: i, dtype: dtypeInfo(v.type.dtype).code, rank: v.type.shape.length });
      v.type.shape.forEach((d, axis) => this.bindDim(v, r, axis, d, binder));
      this.bindData(v);
    });
  }

  private bindDim(v: Value, r: number, axis: number, d: Dim, binder: Map<string, string>): void {
    const where = `input '${v.name}' dimension ${axis}`;
    const single = !isStatic(d) && d.terms.length === 1 && d.constant === 0 && d.terms[0].coef === 1
      && d.terms[0].atoms.length === 1 && d.terms[0].atoms[0].kind === 'var' ? d.terms[0].atoms[0].name : undefined;
    if (single !== undefined && !this.symRegs.has(single)) {
      const s = this.a.reg();
      this.a.emit('dim', { dst: s, tensor: r, axis });
      this.symRegs.set(single, s);
      this.dimRegs.set(dimKey(d), s);
      binder.set(single, where);
      return;
    }
    const what = single !== undefined
      ? `${where} (symbol '${single}', bound by ${binder.get(single)})`
      : `${where} (expected ${dimKey(d)})`;
    this.a.emit('check_dim', { tensor: r, axis, expected: this.dimReg(d), what: this.a.str(what) });
  }

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
        fail(Codes.SHAPE_UNBOUND, `dimension symbol '${a.name}' is not bound by any input`, {});
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

  tensor(v: Value): number {
    const r = this.tensorRegs.get(v.id);
    if (r !== undefined) return r;
    if (v.type.elems && !isConst(v)) return this.materialise(v, v.type.elems);
    if (!isConst(v)) throw new Error(`value '${v.name}' used before it is computed`);
    const dst = this.a.reg();
    const offset = this.constants.offsetOf(v);
    this.a.emit('const_tensor', { dst, dtype: dtypeInfo(v.type.dtype).code, offset, shape: [...v.data.shape] });
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
  bindData(v: Value): void {
    for (const index of this.dataRefs.get(v.id) ?? []) {
      const dst = this.a.reg();
      this.a.emit('load_int', { dst, tensor: this.tensor(v), index });
      const name = dimKey(dataSymbol(v.id, index));
      this.symRegs.set(name, dst);
      this.dimRegs.set(name, dst);
    }
  }

  define(v: Value, aliasOf?: Value): number {
    const r = this.a.reg();
    this.tensorRegs.set(v.id, r);
    if (aliasOf && (this.aliased.has(aliasOf.id) || isConst(aliasOf))) this.aliased.add(v.id);
    return r;
  }

  view(g: Group): void {
    const src = g.root.inputs[0]!;
    const out = g.root.outputs[0];
    const s = this.tensor(src);
    const shape = out.type.shape.map((d) => this.dimReg(d));
    this.a.emit('reshape', { dst: this.define(out, src), src: s, shape });
    this.bindData(out);
  }

  kernel(g: Group, call: ProgramKernel): void {
    for (const v of g.outputs) {
      const shape = v.type.shape.map((d) => this.dimReg(d));
      this.a.emit('alloc', { dst: this.define(v), dtype: dtypeInfo(v.type.dtype).code, shape });
    }
    const tensors = call.tensors.map((v) => this.tensor(v));
    const scalars = call.symbols.map((s) => this.dimReg(sym(s)));
    this.a.emit('call_kernel', { kernel: call.index, tensors, scalars });
    for (const v of g.outputs) this.bindData(v);
  }

  free(v: Value): void {
    const r = this.tensorRegs.get(v.id);
    if (r === undefined) return;
    this.a.emit('free', { reg: r });
    this.tensorRegs.delete(v.id);
  }

  ret(outputs: readonly Value[]): void {
    const seen = new Set<number>();
    const regs = outputs.map((v) => {
      const r = this.tensor(v);
      if (!this.aliased.has(v.id) && !seen.has(v.id)) {
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

/** Index of the last group reading each value. */
function lastUses(groups: readonly Group[]): Map<number, number> {
  const last = new Map<number, number>();
  groups.forEach((g, i) => {
    for (const n of [g.root, ...g.epilogue]) for (const v of n.inputs) if (v) last.set(v.id, i);
  });
  return last;
}

/** Every data symbol used by a dim of the function: value id -> element indices. */
function dataReferences(f: Func): Map<number, number[]> {
  const refs = new Map<number, Set<number>>();
  const visit = (d: Dim) => {
    for (const name of dimVars(d)) {
      const ref = parseDataSymbol(name);
      if (ref) refs.set(ref.valueId, (refs.get(ref.valueId) ?? new Set()).add(ref.index));
    }
  };
  for (const n of f.nodes) {
    for (const v of n.outputs) [...v.type.shape, ...(v.type.elems ?? [])].forEach(visit);
  }
  return new Map([...refs].map(([id, s]) => [id, [...s].sort((x, y) => x - y)]));
}

export function lowerProgram(p: ProgramInput, a: Assembler): Uint8Array {
  const b = new ProgramBuilder(a, p.constants, dataReferences(p.func));
  b.bindInputs(p.func.inputs);
  const last = lastUses(p.groups);
  const keep = new Set(p.func.outputs.map((v) => v.id));
  p.groups.forEach((g, i) => {
    if (g.kind === 'view') b.view(g);
    else b.kernel(g, p.calls.get(i)!);
    for (const n of [g.root, ...g.epilogue]) {
      for (const v of n.inputs) {
        if (v && last.get(v.id) === i && !keep.has(v.id) && !isConst(v)) b.free(v);
      }
    }
  });
  b.ret(p.func.outputs);
  return a.finish({ nInputs: p.func.inputs.length, nOutputs: p.func.outputs.length, nKernels: p.nKernels });
}
