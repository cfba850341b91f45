// Shape values computed from a statically known rank fold at import: the LayerNormalization
// function body builds its reduced shape from Shape, Slice, Neg of an axis and ConstantOfShape,
// and the Reshape that uses it needs a target of known length.

import { describe, expect, it } from 'vitest';
import { dimKey, dimNeg } from '../../ir/dim.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import '../../ir/ops/index.js'; // the op registry, loaded as the driver loads it
import { attrInt, attrTensor, encodeModel, FLOAT, INT64, node, vi } from '../fixtures/onnx-builder.js';

const int64Tensor = (values: number[]) => ({ name: 'c', dims: [values.length], dataType: INT64,
  int64Data: values });

/** y = reshape(x, concat(shape(x)[:axis], ones(-axis))) for a negative axis. */
function reducedShapeModel(axis: number, xDims: (number | string)[]): Uint8Array {
  return encodeModel({
    nodes: [
      node('Shape', ['x'], ['shape']),
      node('Constant', [], ['zero'], [attrTensor('value', int64Tensor([0]))]),
      node('Constant', [], ['axis'], [attrTensor('value', int64Tensor([axis]))]),
      node('Slice', ['shape', 'zero', 'axis'], ['prefix']),
      node('Neg', ['axis'], ['count']),
      node('ConstantOfShape', ['count'], ['suffix'], [attrTensor('value', int64Tensor([1]))]),
      node('Concat', ['prefix', 'suffix'], ['target'], [attrInt('axis', 0)]),
      node('ReduceMean', ['x'], ['m'], [attrInt('keepdims', 1)]),
      node('Reshape', ['m', 'target'], ['y']),
    ],
    inputs: [vi('x', FLOAT, xDims)],
    outputs: [vi('y', FLOAT, [])],
  });
}

describe('shape values of integer unary ops', () => {
  for (const [axis, want] of [[-1, ['n', '4', '1']], [-2, ['n', '1', '1']]] as const) {
    it(`neg of a constant axis ${axis} gives a target of known length`, () => {
      const m = importOnnx(reducedShapeModel(axis, ['n', 4, 5]));
      expect(m.main.outputs[0]!.type.shape.map(dimKey)).toEqual(want);
    });
  }

  it('neg and abs keep the known elements of a shape', () => {
    const m = importOnnx(encodeModel({
      nodes: [node('Shape', ['x'], ['s']), node('Neg', ['s'], ['ns']), node('Abs', ['ns'], ['as']),
        node('ConstantOfShape', ['as'], ['y'])],
      inputs: [vi('x', FLOAT, ['n', 3])],
      outputs: [vi('y', FLOAT, [])],
    }));
    const byOut = new Map(m.main.nodes.map((n) => [n.outputs[0]!.name, n.outputs[0]!.type]));
    const n = m.main.inputs[0]!.type.shape[0]!;
    expect(byOut.get('ns')!.elems!.map(dimKey)).toEqual([dimKey(dimNeg(n)), '-3']);
    expect(m.main.outputs[0]!.type.shape.map(dimKey)).toEqual(['n', '3']);
  });
});
