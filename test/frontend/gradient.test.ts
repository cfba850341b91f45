// ai.onnx.preview.training::Gradient: reverse-mode differentiation at compile time. Each model
// computes y from xs and asks Gradient for dy/dx; the expected gradients are the derivatives
// worked out by hand below, evaluated at the inputs. A node Gradient cannot differentiate is
// reported in the KC0301 list as `Gradient through <op>`.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { encodeModel, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats } from '../helpers/models.js';

const TRAINING = [{ domain: 'ai.onnx.preview.training', version: 1 }];
const str = (name: string, s: string) => ({ name, type: 3, s: new TextEncoder().encode(s) });
const strs = (name: string, ss: string[]) =>
  ({ name, type: 8, strings: ss.map((s) => new TextEncoder().encode(s)) });

function gradientNode(xs: string[], y: string, outs: string[]) {
  return { ...node('Gradient', xs, outs, [strs('xs', xs), str('y', y)], 'grad'),
    domain: 'ai.onnx.preview.training' };
}

const close = (got: number[], want: number[]) =>
  got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 5));

describe('Gradient', () => {
  it('y = relu(a * b - a / c) + neg(b): each partial derivative by hand', async () => {
    const s = await buildModel('gradient-elementwise', {
      nodes: [node('Mul', ['a', 'b'], ['ab']), node('Div', ['a', 'c'], ['ac']),
        node('Sub', ['ab', 'ac'], ['d']), node('Relu', ['d'], ['r']), node('Neg', ['b'], ['nb']),
        node('Add', ['r', 'nb'], ['y0']), node('Identity', ['y0'], ['y']),
        gradientNode(['a', 'b', 'c'], 'y', ['ga', 'gb', 'gc'])],
      inputs: [vi('a', FLOAT, [4]), vi('b', FLOAT, [4]), vi('c', FLOAT, [4])],
      outputs: [vi('ga', FLOAT, [4]), vi('gb', FLOAT, [4]), vi('gc', FLOAT, [4])],
      extraOpsets: TRAINING,
    });
    try {
      const a = [1.5, -2, 3, 0.5], b = [2, 1, -1, 4], c = [4, 2, 0.5, -1];
      const out = await s.run({ a: f32([4], a), b: f32([4], b), c: f32([4], c) });
      // d = a*b - a/c; relu passes the gradient where d > 0.
      const on = a.map((x, i) => (x * b[i]! - x / c[i]! > 0 ? 1 : 0));
      close(floats(out.ga), on.map((p, i) => p * (b[i]! - 1 / c[i]!)));
      close(floats(out.gb), on.map((p, i) => p * a[i]! - 1));
      close(floats(out.gc), on.map((p, i) => p * a[i]! / (c[i]! * c[i]!)));
    } finally { s.dispose(); }
  });

  it('broadcast inputs get the adjoint summed over the broadcast axes', async () => {
    const s = await buildModel('gradient-broadcast', {
      nodes: [node('Mul', ['x', 'w'], ['xw']), node('Add', ['xw', 'b'], ['y']),
        gradientNode(['x', 'w', 'b'], 'y', ['gx', 'gw', 'gb'])],
      inputs: [vi('x', FLOAT, [2, 3]), vi('w', FLOAT, [1, 3]), vi('b', FLOAT, [])],
      outputs: [vi('gx', FLOAT, [2, 3]), vi('gw', FLOAT, [1, 3]), vi('gb', FLOAT, [])],
      extraOpsets: TRAINING,
    });
    try {
      const x = [1, 2, 3, 4, 5, 6], w = [0.5, -1, 2];
      const out = await s.run({ x: f32([2, 3], x), w: f32([1, 3], w), b: f32([], [7]) });
      expect(out.gx.dims).toEqual([2, 3]);
      close(floats(out.gx), [...w, ...w]);
      expect(out.gw.dims).toEqual([1, 3]);
      close(floats(out.gw), [x[0]! + x[3]!, x[1]! + x[4]!, x[2]! + x[5]!]);
      expect(out.gb.dims).toEqual([]);
      close(floats(out.gb), [6]);
    } finally { s.dispose(); }
  });

  it('an x that y does not depend on gets zeros; y itself as x gets ones', async () => {
    const s = await buildModel('gradient-unused', {
      nodes: [node('Add', ['a', 'a'], ['y']), gradientNode(['a', 'b', 'y'], 'y', ['ga', 'gb', 'gy'])],
      inputs: [vi('a', FLOAT, [3]), vi('b', FLOAT, [2])],
      outputs: [vi('ga', FLOAT, [3]), vi('gb', FLOAT, [2]), vi('gy', FLOAT, [3])],
      extraOpsets: TRAINING,
    });
    try {
      const out = await s.run({ a: f32([3], [1, 2, 3]), b: f32([2], [4, 5]) });
      close(floats(out.ga), [2, 2, 2]);
      close(floats(out.gb), [0, 0]);
      close(floats(out.gy), [1, 1, 1]);
    } finally { s.dispose(); }
  });

  it('a Gradient node listed before the nodes computing y waits for them', async () => {
    const s = await buildModel('gradient-order', {
      nodes: [gradientNode(['a', 'b'], 'y', ['ga', 'gb']), node('Mul', ['a', 'b'], ['y'])],
      inputs: [vi('a', FLOAT, [2]), vi('b', FLOAT, [2])],
      outputs: [vi('ga', FLOAT, [2]), vi('gb', FLOAT, [2])], extraOpsets: TRAINING,
    });
    try {
      const out = await s.run({ a: f32([2], [3, -4]), b: f32([2], [0.5, 6]) });
      close(floats(out.ga), [0.5, 6]);
      close(floats(out.gb), [3, -4]);
    } finally { s.dispose(); }
  });

  it('an op without a derivative rule is unsupported, named', () => {
    const bytes = encodeModel({
      nodes: [node('Exp', ['a'], ['e']), node('Add', ['e', 'a'], ['y']),
        gradientNode(['a'], 'y', ['ga'])],
      inputs: [vi('a', FLOAT, [2])], outputs: [vi('ga', FLOAT, [2])], extraOpsets: TRAINING,
    });
    expect(() => importOnnx(bytes))
      .toThrow(/KC0301.*ai\.onnx\.preview\.training::Gradient.*Gradient through Exp/);
  });
});
