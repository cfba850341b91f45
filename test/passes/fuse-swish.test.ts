// fuse-swish: x * sigmoid(x), in either operand order, becomes one swish node that fuses into the
// convolution producing x; a sigmoid read elsewhere, or a product with another tensor, is left
// alone; the compiled SiLU gives x * sigmoid(x) (against a JS reference).
import { afterAll, describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { fuse } from '../../compiler/passes/fuse.js';
import { fuseSwish } from '../../compiler/passes/fuse-swish.js';
import { verifyFunc } from '../../ir/verify.js';
import type { Session } from '../../runtime-vm/session.js';
import { attrInts, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';
import { encodeModel } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';

const W = Array.from({ length: 2 * 3 * 3 * 3 }, (_, i) => ((i * 7) % 11) / 10 - 0.5);

/** conv(x) -> c, then the given activation nodes; outputs named in `outs`. */
function spec(act: ReturnType<typeof node>[], outs: string[]) {
  return {
    nodes: [node('Conv', ['x', 'w'], ['c'], [attrInts('pads', [1, 1, 1, 1])]), ...act],
    inputs: [vi('x', FLOAT, [1, 3, 5, 6])],
    outputs: outs.map((o) => vi(o, FLOAT, [1, 2, 5, 6])),
    initializers: [floatTensor('w', [2, 3, 3, 3], W)],
  };
}

const silu = (order: [string, string]) => [node('Sigmoid', ['c'], ['s']), node('Mul', order, ['y'])];

describe('fuse-swish', () => {
  for (const order of [['c', 's'], ['s', 'c']] as [string, string][]) {
    it(`mul(${order}) of conv output and its sigmoid becomes swish, fused into the conv`, () => {
      const m = importOnnx(encodeModel(spec(silu(order), ['y'])));
      const f = fuseSwish(m.main);
      expect(verifyFunc(f)).toEqual([]);
      expect(f.nodes.map((n) => n.op)).toEqual(['conv', 'swish']);
      expect(f.nodes[1].outputs[0]).toBe(m.main.nodes[2].outputs[0]);
      expect(f.nodes[1].origin.name).toBe(m.main.nodes[2].origin.name);
      const groups = fuse(f);
      expect(groups.map((g) => [g.root.op, ...g.epilogue.map((n) => n.op)])).toEqual([['conv', 'swish']]);
    });
  }
  it('leaves a sigmoid that is read elsewhere or a graph output, and x * sigmoid(z)', () => {
    const shared = importOnnx(encodeModel(spec([...silu(['c', 's']), node('Add', ['s', 'c'], ['z'])],
      ['y', 'z'])));
    expect(fuseSwish(shared.main).nodes.map((n) => n.op)).toEqual(['conv', 'sigmoid', 'mul', 'add']);
    const out = importOnnx(encodeModel(spec(silu(['c', 's']), ['y', 's'])));
    expect(fuseSwish(out.main).nodes.map((n) => n.op)).toEqual(['conv', 'sigmoid', 'mul']);
    const other = importOnnx(encodeModel(spec([node('Relu', ['c'], ['r']), node('Sigmoid', ['c'], ['s']),
      node('Mul', ['r', 's'], ['y'])], ['y'])));
    expect(fuseSwish(other.main).nodes.map((n) => n.op)).toEqual(['conv', 'relu', 'sigmoid', 'mul']);
  });

  const sessions: Session[] = [];
  afterAll(() => sessions.forEach((s) => s.dispose()));
  it('the compiled conv + SiLU computes c * sigmoid(c)', async () => {
    const conv = await buildModel('conv-only', spec([], ['c']));
    const act = await buildModel('conv-silu', spec(silu(['s', 'c']), ['y']));
    sessions.push(conv, act);
    const x = f32([1, 3, 5, 6], Array.from({ length: 90 }, (_, i) => ((i * 13) % 17) / 4 - 2));
    const c = floats((await conv.run({ x })).c);
    const y = floats((await act.run({ x })).y);
    expect(y.length).toBe(60);
    y.forEach((v, i) => expect(v).toBeCloseTo(c[i] / (1 + Math.exp(-c[i])), 5));
  });
});
