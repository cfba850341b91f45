// The two declaration parts that replace a lowering (ir/ops/bindings.ts): VM-builtin bindings
// name a real VM instruction and exactly its operands, and every 'vm' op has a VM lowering; a
// decomposed op (mean) never reaches the graph: the frontend emits its parts, named after the
// ONNX node, and its failures name that node.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { VM_OPS } from '../../compiler/lower/vm-ops.js';
import { OPS } from '../../ir/ops/index.js';
import { OPCODES } from '../../runtime-vm/isa.generated.js';
import { KestrelError } from '../../runtime-vm/errors.js';
import { encodeModel, FLOAT, node, vi } from '../fixtures/onnx-builder.js';

type Instruction = { class: string; operands: readonly (readonly [string, string])[] };
const instructions = OPCODES as Record<string, Instruction>;

describe('VM-builtin bindings', () => {
  const bound = [...OPS.values()].filter((d) => d.vm);

  it('bind the sequence ops that are one builtin', () => {
    expect(bound.map((d) => d.name).sort()).toEqual(expect.arrayContaining(
      ['concat_from_sequence', 'sequence_at', 'sequence_construct', 'sequence_empty', 'sequence_erase',
        'sequence_insert']));
  });

  it('name a builtin of the ISA and exactly its operands, on a vm op', () => {
    for (const d of bound) {
      const ins = instructions[d.vm!.builtin];
      expect(ins, `${d.name} -> ${d.vm!.builtin}`).toBeDefined();
      expect(ins!.class).toBe('builtin');
      expect(Object.keys(d.vm!.operands).sort(), d.name).toEqual(ins!.operands.map(([n]) => n).sort());
      expect(d.traits, d.name).toContain('vm');
    }
  });

  it('leave no vm op without a VM lowering', () => {
    const vmOps = [...OPS.values()].filter((d) => d.traits.includes('vm')).map((d) => d.name);
    expect(vmOps.filter((op) => !VM_OPS.has(op))).toEqual([]);
  });
});

function meanModel(inputs: string[]): Uint8Array {
  return encodeModel({
    nodes: [node('Mean', inputs, ['y'], [], 'avg')],
    inputs: inputs.map((n) => vi(n, FLOAT, [2, 3])), outputs: [vi('y', FLOAT, [2, 3])],
  });
}

describe('a decomposed op', () => {
  it('mean is emitted as its parts: adds left to right, then a divide by the count', () => {
    const g = importOnnx(meanModel(['a', 'b', 'c'])).main;
    expect(g.nodes.map((n) => n.op)).toEqual(['add', 'add', 'div']);
    expect(g.nodes.some((n) => n.op === 'mean')).toBe(false);
    const div = g.nodes[2]!;
    expect(div.outputs[0]!.name).toBe('y');
    expect(div.inputs[0]).toBe(g.nodes[1]!.outputs[0]);
    const three = div.inputs[1]!.data!;
    expect(Array.from(new Float32Array(three.bytes.slice().buffer))).toEqual([3]);
    expect(g.nodes[0]!.outputs[0]!.name).toMatch(/^avg\//);
  });

  it('a one-input mean divides by one', () => {
    const g = importOnnx(meanModel(['a'])).main;
    expect(g.nodes.map((n) => n.op)).toEqual(['div']);
    expect(g.nodes[0]!.inputs[0]).toBe(g.inputs[0]);
  });

  it('has no type relation of its own and fails naming the ONNX node', () => {
    expect(() => OPS.get('mean')!.infer([], {}, {} as never)).toThrow(/decomposed/);
    let err: unknown;
    try {
      importOnnx(encodeModel({
        nodes: [node('Mean', ['a', 'b'], ['y'], [], 'avg')],
        inputs: [vi('a', FLOAT, [2, 3]), vi('b', FLOAT, [4])], outputs: [vi('y', FLOAT, [2, 3])],
      }));
    } catch (e) { err = e; }
    expect(err).toBeInstanceOf(KestrelError);
    expect((err as KestrelError).message).toMatch(/node 'avg' \(Mean\)/);
  });
});
