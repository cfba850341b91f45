// The register state of VM program lowering: which register holds each value, each bound symbol
// and each computed dim, and the emitters that fill them (shape arithmetic with integer
// instructions, constants, shape tensors built from their elements, data symbols read right
// after their tensor is defined). program.ts walks the groups and program-control.ts the bodies;
// both go through this state.
// Requires: every symbol a dim uses is bound (by an input, or by the tensor that first carries
// it) before the dim is needed; otherwise it fails with SHAPE_UNBOUND (KC0601) naming the symbol.
// Guarantees: a dim is computed once per scope (cached by its key); `scoped` drops everything a
// branch or body cached, so nothing computed in one branch is used in the other; `aliased` marks
// values whose storage a caller does not own (inputs, constants, views of them), which `ret`
// copies before returning.

import { type Atom, type Dim, dataSymbol, dimKey, isStatic } from '../../ir/dim.js';
import { dtypeInfo } from '../../ir/dtype.js';
import { isConst, type Node, type Value } from '../../ir/graph.js';
import type { ProgramWriter } from '../../codegen/vm-program.js';
import type { IntOpName } from '../../runtime-vm/isa.generated.js';
import { fail, Codes } from '../diagnostics.js';
import type { ConstantPool } from './constants.js';
import type { DebugCollector } from './debug.js';
import { plainVar } from './plan.js';

export class Registers {
  private tensorRegs = new Map<number, number>();
  private symRegs = new Map<string, number>();
  private dimRegs = new Map<string, number>();
  /** Shape checks already made in this scope (compiler/lower/checks.ts). */
  checked = new Set<string>();
  private readonly aliased = new Set<number>();

  constructor(
    readonly a: ProgramWriter,
    private readonly constants: ConstantPool,
    /** Value id -> element indices read by data symbols. */
    private readonly dataRefs: ReadonlyMap<number, readonly number[]>,
    readonly debug?: DebugCollector,
  ) {}

  /** Runs `fn` with the register caches it adds dropped afterwards (a branch or a body). */
  scoped(fn: () => void): void {
    const saved = [new Map(this.tensorRegs), new Map(this.symRegs), new Map(this.dimRegs)] as const;
    const checked = new Set(this.checked);
    fn();
    [this.tensorRegs, this.symRegs, this.dimRegs] = saved;
    this.checked = checked;
  }

  /** Register `r` holds `v`; `aliased`: storage the program does not own (an input, a body's). */
  bindValue(v: Value, r: number, aliased: boolean): void {
    this.tensorRegs.set(v.id, r);
    if (aliased) this.aliased.add(v.id);
  }

  isBound(symbol: string): boolean { return this.symRegs.has(symbol); }

  /** The symbols bound so far (after the inputs: those the inputs bind). */
  boundSymbols(): ReadonlySet<string> { return new Set(this.symRegs.keys()); }

  bindSymbol(name: string, tensorReg: number, axis: number): void {
    const s = this.a.reg();
    this.a.emit('dim', { dst: s, tensor: tensorReg, axis });
    this.symRegs.set(name, s);
    this.dimRegs.set(name, s);
  }

  /** Binds the symbols of `v`'s dims that nothing bound yet (sizes known only at run time). */
  bindNewDims(v: Value): void {
    if (v.type.sequence || v.type.optional) return;
    v.type.shape.forEach((d, axis) => {
      const single = plainVar(d);
      if (single !== undefined && !this.symRegs.has(single)) this.bindSymbol(single, this.tensor(v), axis);
    });
    this.bindData(v);
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
        return fail(Codes.SHAPE_UNBOUND, `dimension symbol '${a.name}' is not bound by any input`, {});
      }
      return r;
    }
    return this.intOp(a.kind, this.dimReg(a.a), this.dimReg(a.b));
  }

  intOp(op: string, x: number, y: number): number {
    const dst = this.a.reg();
    this.a.intOp(op as IntOpName, dst, x, y);
    return dst;
  }

  intConst(v: number | bigint): number {
    const r = this.a.reg();
    this.a.emit('int_const', { dst: r, value: v });
    return r;
  }

  /** A rank-0 tensor of `dtype` holding integer register `value`. */
  makeScalar(dtype: 'int64' | 'bool', value: number): number {
    const dst = this.a.reg();
    this.a.emit('make_ints', { dst, dtype: dtypeInfo(dtype).code, rank: 0, values: [value] });
    return dst;
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
  bindData(v: Value): void {
    for (const index of this.dataRefs.get(v.id) ?? []) {
      const dst = this.a.reg();
      this.a.emit('load_int', { dst, tensor: this.tensor(v), index });
      const name = dimKey(dataSymbol(v.id, index));
      this.symRegs.set(name, dst);
      this.dimRegs.set(name, dst);
    }
  }

  /** A register for `v` (a view of `aliasOf` if given), named in the debug table after `v` and `by`. */
  define(v: Value, aliasOf?: Value, by?: Node): number {
    const r = this.a.reg();
    this.tensorRegs.set(v.id, r);
    this.debug?.tensor(r, v, by);
    if (aliasOf && (this.aliased.has(aliasOf.id) || isConst(aliasOf))) this.aliased.add(v.id);
    return r;
  }

  /** Registers for a control node's outputs; a branch or body may return an input as it is. */
  defineOutputs(n: Node): number[] {
    return n.outputs.map((v) => {
      const r = this.define(v);
      this.aliased.add(v.id);
      return r;
    });
  }

  isAliased(v: Value): boolean { return this.aliased.has(v.id); }

  /** Whether `v` has a register already (not materialising it). */
  has(v: Value): boolean { return this.tensorRegs.has(v.id); }

  /** The scalar element of a tensor value as an integer register. */
  scalar(v: Value): number {
    const dst = this.a.reg();
    this.a.emit('load_int', { dst, tensor: this.tensor(v), index: 0 });
    return dst;
  }

  /** Moves `values` into `dsts` through temporaries (a body may return its inputs swapped). */
  moveAll(values: readonly Value[], dsts: readonly number[]): void {
    const temps = values.map((v) => {
      const t = this.a.reg();
      this.a.emit('move', { dst: t, src: this.tensor(v) });
      return t;
    });
    temps.forEach((t, k) => this.a.emit('move', { dst: dsts[k], src: t }));
  }

  free(v: Value): void {
    const r = this.tensorRegs.get(v.id);
    if (r === undefined) return;
    this.a.emit('free', { reg: r });
    this.tensorRegs.delete(v.id);
  }
}
