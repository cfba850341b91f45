// pad-conv-inputs: a padded 2-D conv gets a pad2d in front and zero pads; others (unpadded, and
// depthwise convs, whose kernel pads by itself) are untouched.
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { idsAfter } from '../../compiler/passes/graph-util.js';
import { padConvInputs } from '../../compiler/passes/pad-conv-inputs.js';
import { verifyFunc } from '../../ir/verify.js';
import { attrInt, attrInts, encodeModel, floatTensor, FLOAT, node, vi } from '../fixtures/onnx-builder.js';

const convModel = (pads: number[]) => importOnnx(encodeModel({
  nodes: [node('Conv', ['x', 'w'], ['y'], [attrInts('kernel_shape', [3, 3]), attrInts('pads', pads)])],
  inputs: [vi('x', FLOAT, ['batch', 2, 8, 9])],
  outputs: [vi('y', FLOAT, ['batch', 3, null, null])],
  initializers: [floatTensor('w', [3, 2, 3, 3], new Array(54).fill(0.5))],
}));

describe('pad-conv-inputs', () => {
  it('makes conv padding explicit with a pad2d node', () => {
    const m = convModel([1, 2, 0, 1]);
    const f = padConvInputs(m.main, idsAfter(m));
    expect(verifyFunc(f)).toEqual([]);
    expect(f.nodes.map((n) => n.op)).toEqual(['pad2d', 'conv']);
    const [pad, conv] = f.nodes;
    expect(pad.attrs.pads).toEqual([1, 2, 0, 1]);
    expect(pad.outputs[0].type.shape.slice(1)).toEqual([2, 9, 12]);
    expect(conv.inputs[0]!.id).toBe(pad.outputs[0].id);
    expect(conv.attrs.pads).toEqual([0, 0, 0, 0]);
    expect(conv.outputs[0].type).toEqual(m.main.nodes[0].outputs[0].type);
  });
  it('leaves unpadded convs alone', () => {
    const m = convModel([0, 0, 0, 0]);
    expect(padConvInputs(m.main, idsAfter(m)).nodes).toEqual(m.main.nodes);
  });
  it('leaves padded depthwise convs alone (their kernel handles the padding)', () => {
    const m = importOnnx(encodeModel({
      nodes: [node('Conv', ['x', 'w'], ['y'],
        [attrInts('kernel_shape', [3, 3]), attrInts('pads', [1, 1, 1, 1]), attrInt('group', 4)])],
      inputs: [vi('x', FLOAT, ['batch', 4, 8, 9])],
      outputs: [vi('y', FLOAT, ['batch', 4, null, null])],
      initializers: [floatTensor('w', [4, 1, 3, 3], new Array(36).fill(0.5))],
    }));
    expect(padConvInputs(m.main, idsAfter(m)).nodes).toEqual(m.main.nodes);
  });
});
