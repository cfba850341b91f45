// ONNX attributes read through the op declarations (ir/ops/attr-schema.ts): an absent attribute
// takes the declared default, and an invalid one fails with KC0401 naming the ONNX node and the
// ONNX attribute (not kestrel's name for it), before any type inference runs.

import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { KestrelError } from '../../runtime-vm/errors.js';
import { attrInt, attrInts, encodeModel, FLOAT, floatTensor, node, vi } from '../fixtures/onnx-builder.js';

function convModel(attrs: Record<string, unknown>[]): Uint8Array {
  return encodeModel({
    nodes: [node('Conv', ['x', 'w'], ['y'], attrs, 'conv_1')],
    inputs: [vi('x', FLOAT, [1, 2, 8, 8])], outputs: [vi('y', FLOAT, [1, 3, null, null])],
    initializers: [floatTensor('w', [3, 2, 3, 3], new Array<number>(54).fill(0.5))],
  });
}

function errorOf(bytes: Uint8Array): KestrelError {
  try {
    importOnnx(bytes);
  } catch (e) {
    if (e instanceof KestrelError) return e;
    throw e;
  }
  throw new Error('import succeeded');
}

describe('declared attributes at import', () => {
  it('fills the declared window defaults and keeps their order', () => {
    const conv = importOnnx(convModel([])).main.nodes.find((n) => n.op === 'conv')!;
    expect(conv.attrs).toEqual({ kernel: [3, 3], strides: [1, 1], pads: [0, 0, 0, 0], dilations: [1, 1],
      autoPad: 'NOTSET', group: 1 });
    expect(Object.keys(conv.attrs)).toEqual(['kernel', 'strides', 'pads', 'dilations', 'autoPad', 'group']);
  });
  for (const [what, attrs, attribute, message] of [
    ['a zero stride', [attrInts('strides', [0, 1])], 'strides', /entries must be >= 1/],
    ['a negative pad', [attrInts('pads', [0, -1, 0, 0])], 'pads', /entries must be >= 0/],
    ['a pad list of the wrong length', [attrInts('pads', [1, 1])], 'pads', /has 2 entries, expected 4/],
    ['kernel_shape of the wrong rank', [attrInts('kernel_shape', [3])], 'kernel_shape', /has 1 entries/],
    ['group 0', [attrInt('group', 0)], 'group', /must be >= 1/],
    ['an unknown auto_pad', [{ name: 'auto_pad', type: 3, s: new TextEncoder().encode('SAME') }],
      'auto_pad', /unknown value 'SAME'/],
  ] as const) {
    it(`rejects ${what} naming the ONNX attribute`, () => {
      const e = errorOf(convModel([...attrs]));
      expect(e.code).toBe('KC0401');
      expect(e.message).toMatch(new RegExp(`^KC0401: node 'conv_1' \\(Conv\\): attribute '${attribute}' `));
      expect(e.message).toMatch(message);
      expect(e.details).toMatchObject({ node: 'conv_1', opType: 'Conv', attribute });
    });
  }
  it('normalises a LayerNormalization axis and rejects one out of range', () => {
    const model = (axis: number) => encodeModel({
      nodes: [node('LayerNormalization', ['x', 's'], ['y'], [attrInt('axis', axis)], 'ln')],
      inputs: [vi('x', FLOAT, [2, 4])], outputs: [vi('y', FLOAT, [2, 4])],
      initializers: [floatTensor('s', [4], [1, 1, 1, 1])],
    });
    const ln = importOnnx(model(-1)).main.nodes[0]!;
    expect(ln.attrs).toEqual({ axis: 1, epsilon: 1e-5, stats: 0 });
    expect(errorOf(model(2)).message)
      .toMatch(/node 'ln' \(LayerNormalization\): attribute 'axis' value 2 is out/);
  });
});
