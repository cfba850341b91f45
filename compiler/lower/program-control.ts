// VM program lowering of structured control flow (ir/ops/control.ts) into jumps. `if` evaluates
// one branch and moves its results into the node's output registers; `loop` and `scan` keep
// carried values in fixed registers, run the body once per iteration, and move the body's results
// back (through temporaries, so swaps are safe); scan outputs collect in sequences that are
// stacked when the loop ends. Requires: the bodies' plans (compiler/lower/plan.ts) and a `func`
// that emits a plan's groups (program.ts). Guarantees: everything a branch or body caches is
// dropped when it ends (Registers.scoped), and the dims of the node's outputs that only exist at
// run time are bound right after the node.

import { type Dim, dimVars } from '../../ir/dim.js';
import { dtypeInfo } from '../../ir/dtype.js';
import type { Node, Value } from '../../ir/graph.js';
import { SCAN_ATTRS } from '../../ir/ops/control.js';
import { nodeAttrs } from '../../ir/ops/declare.js';
import { fail, Codes } from '../diagnostics.js';
import type { Group } from '../passes/fuse.js';
import type { Plan } from './plan.js';
import type { Registers } from './program-regs.js';

/** What control lowering needs from the program builder: its registers and a body emitter. */
export interface BodyEmitter {
  readonly r: Registers;
  /** Emits a plan's groups (not a function of its own: bodies run inline). */
  func(p: Plan, isMain: boolean): void;
}

const INT64_MAX = (1n << 63n) - 1n;

export function lowerControl(b: BodyEmitter, g: Group, bodies: ReadonlyMap<string, Plan>): void {
  const n = g.root;
  switch (n.op) {
    case 'if': return ifNode(b, n, bodies);
    case 'loop': return loopNode(b, n, bodies.get('body')!);
    case 'scan': return scanNode(b, n, bodies.get('body')!);
    default:
      return fail(Codes.UNSUPPORTED_OPS, `control-flow op '${n.op}' cannot be lowered yet`,
        { node: n.origin.name, opType: n.origin.opType });
  }
}

function ifNode(b: BodyEmitter, n: Node, bodies: ReadonlyMap<string, Plan>): void {
  const { r } = b, a = r.a;
  const c = r.scalar(n.inputs[0]!);
  const outs = r.defineOutputs(n);
  const [onTrue, done] = [a.label(), a.label()];
  a.emit('jump_if', { cond: c, target: onTrue });
  branch(b, bodies.get('else')!, outs);
  a.emit('jump', { target: done });
  a.bind(onTrue);
  branch(b, bodies.get('then')!, outs);
  a.bind(done);
  n.outputs.forEach((v) => r.bindNewDims(v));
}

function branch(b: BodyEmitter, p: Plan, outs: readonly number[]): void {
  b.r.scoped(() => {
    b.func(p, false);
    b.r.moveAll(p.func.outputs, outs);
  });
}

/** Binds a body's tensor inputs to registers and their run-time dims to symbols. */
function enterBody(r: Registers, inputs: readonly Value[], regs: readonly number[]): void {
  inputs.forEach((v, k) => r.bindValue(v, regs[k], true));
  for (const v of inputs) r.bindNewDims(v);
}

/** Registers holding copies of `values` (the carried state of a loop). */
function carry(r: Registers, values: readonly (Value | null)[]): number[] {
  return values.map((v) => {
    const dst = r.a.reg();
    r.a.emit('move', { dst, src: r.tensor(v!) });
    return dst;
  });
}

function loopNode(b: BodyEmitter, n: Node, body: Plan): void {
  const { r } = b, a = r.a;
  const [tripIn, condIn, ...init] = n.inputs;
  const nCarried = init.length;
  const scans = scanSequences(r, n.outputs.slice(nCarried));
  const trips = tripIn ? r.scalar(tripIn) : r.intConst(INT64_MAX);
  const cond = condIn ? r.scalar(condIn) : r.intConst(1);
  const carried = carry(r, init);
  const [i, one] = [r.intConst(0), r.intConst(1)];
  const [head, enter, exit] = [a.label(), a.label(), a.label()];
  a.bind(head);
  a.emit('jump_if', { cond: r.intOp('and', r.intOp('lt', i, trips), cond), target: enter });
  a.emit('jump', { target: exit });
  a.bind(enter);
  r.scoped(() => {
    const f = body.func;
    enterBody(r, f.inputs, [r.makeScalar('int64', i), r.makeScalar('bool', cond), ...carried]);
    b.func(body, false);
    const next = r.scalar(f.outputs[0]);
    appendScans(r, scans, f.outputs.slice(1 + nCarried), []);
    r.moveAll(f.outputs.slice(1, 1 + nCarried), carried);
    a.emit('move', { dst: cond, src: next });
  });
  a.emit('move', { dst: i, src: r.intOp('add', i, one) });
  a.emit('jump', { target: head });
  a.bind(exit);
  finishLoop(r, n, carried, scans);
}

/** One empty sequence per scan output, collecting its per-iteration values. */
function scanSequences(r: Registers, outs: readonly Value[]): number[] {
  return outs.map((v) => {
    const dst = r.a.reg();
    r.a.emit('seq_empty', { dst, dtype: dtypeInfo(v.type.dtype).code });
    return dst;
  });
}

/** Adds this iteration's scan values (at the front where `front` is set: reversed scans). */
function appendScans(r: Registers, seqs: readonly number[], values: readonly Value[],
  front: readonly boolean[]): void {
  seqs.forEach((s, k) => {
    const pos = front[k] ? [r.intConst(0)] : [];
    r.a.emit('seq_insert', { dst: s, seq: s, tensor: r.tensor(values[k]), pos });
  });
}

/** Moves carried values to the node's outputs and stacks the scan sequences. */
function finishLoop(r: Registers, n: Node, carried: readonly number[], seqs: readonly number[]): void {
  const outs = r.defineOutputs(n);
  carried.forEach((c, k) => r.a.emit('move', { dst: outs[k], src: c }));
  seqs.forEach((s, k) => stack(r, n.outputs[carried.length + k], outs[carried.length + k], s));
  n.outputs.forEach((v) => r.bindNewDims(v));
}

/** dst = the sequence's tensors stacked on a new axis 0; [0, ...] when no iteration ran. */
function stack(r: Registers, v: Value, dst: number, seq: number): void {
  const a = r.a;
  const [nonEmpty, done] = [a.label(), a.label()];
  const count = a.reg();
  a.emit('seq_length', { dst: count, seq });
  a.emit('jump_if', { cond: count, target: nonEmpty });
  // Element dims only the body knew are 0 here: the tensor is empty either way.
  const known = (d: Dim) => dimVars(d).every((x) => r.isBound(x));
  const shape = v.type.shape.map((d, axis) => r.dimReg(axis > 0 && known(d) ? d : 0));
  a.emit('alloc', { dst, dtype: dtypeInfo(v.type.dtype).code, shape });
  a.emit('jump', { target: done });
  a.bind(nonEmpty);
  a.emit('seq_concat', { dst, seq, axis: 0, new_axis: 1 });
  a.bind(done);
}

function scanNode(b: BodyEmitter, n: Node, body: Plan): void {
  const { r } = b, a = r.a;
  const { numScanInputs: m, inputDirections: inDirs, outputDirections: outDirs } = nodeAttrs(SCAN_ATTRS, n);
  const nStates = n.inputs.length - m;
  const carried = carry(r, n.inputs.slice(0, nStates));
  const sources = n.inputs.slice(nStates).map((v) => r.tensor(v!));
  const length = r.dimReg(n.inputs[nStates]!.type.shape[0]);
  const seqs = scanSequences(r, n.outputs.slice(nStates));
  const [i, one] = [r.intConst(0), r.intConst(1)];
  const last = r.intOp('sub', length, one);
  const [head, enter, exit] = [a.label(), a.label(), a.label()];
  a.bind(head);
  a.emit('jump_if', { cond: r.intOp('lt', i, length), target: enter });
  a.emit('jump', { target: exit });
  a.bind(enter);
  r.scoped(() => {
    const f = body.func;
    const slices = sources.map((src, k) => {
      const dst = a.reg();
      const index = inDirs[k] === 1 ? r.intOp('sub', last, i) : i;
      a.emit('index_view', { dst, src, index });
      return dst;
    });
    enterBody(r, f.inputs, [...carried, ...slices]);
    b.func(body, false);
    appendScans(r, seqs, f.outputs.slice(nStates), outDirs.map((d) => d === 1));
    r.moveAll(f.outputs.slice(0, nStates), carried);
  });
  a.emit('move', { dst: i, src: r.intOp('add', i, one) });
  a.emit('jump', { target: head });
  a.bind(exit);
  finishLoop(r, n, carried, seqs);
}
