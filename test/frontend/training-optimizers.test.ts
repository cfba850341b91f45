// The ai.onnx.preview.training optimizers (Adagrad, Adam, Momentum) against the ONNX pseudo code
// written out below, at a step T > 0 (the bias-corrected learning rate, beta applied) and T = 0,
// and their attribute and input-count errors.
import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { encodeModel, FLOAT, INT64, node, vi } from '../fixtures/onnx-builder.js';
import { buildModel, f32, floats, i64 } from '../helpers/models.js';

const TRAINING = [{ domain: 'ai.onnx.preview.training', version: 1 }];
const f = (name: string, v: number) => ({ name, type: 1, f: v });
const s = (name: string, v: string) => ({ name, type: 3, s: new TextEncoder().encode(v) });
const op = (type: string, ins: string[], outs: string[], attrs: object[]) =>
  ({ ...node(type, ins, outs, attrs as never, 'opt'), domain: 'ai.onnx.preview.training' });
const close = (got: number[], want: number[]) => got.forEach((g, i) => expect(g).toBeCloseTo(want[i]!, 5));

const X = [1.2, -2.8, 0.5], G = [-0.9, 2.5, 0.1], V = [1.7, 3.6, -0.2], H = [0.1, 0.4, 0.2];
const scalars = [vi('R', FLOAT, []), vi('T', INT64, [])];
const vecs = (names: string[]) => names.map((n) => vi(n, FLOAT, [3]));

describe('training-domain optimizers', () => {
  it('Adam: bias-corrected rate for T > 0, the plain rate for T = 0', async () => {
    const [norm, post, alpha, beta, eps] = [0.01, 0.1, 0.9, 0.8, 1e-3];
    const m = await buildModel('train-adam', {
      nodes: [op('Adam', ['R', 'T', 'X', 'G', 'V', 'H'], ['Xn', 'Vn', 'Hn'], [f('norm_coefficient', norm),
        f('norm_coefficient_post', post), f('alpha', alpha), f('beta', beta), f('epsilon', eps)])],
      inputs: [...scalars, ...vecs(['X', 'G', 'V', 'H'])], outputs: vecs(['Xn', 'Vn', 'Hn']),
      opset: 17, extraOpsets: TRAINING,
    });
    try {
      for (const t of [0, 3]) {
        const r = 0.5;
        const out = await m.run({ R: f32([], [r]), T: i64([], [t]), X: f32([3], X), G: f32([3], G),
          V: f32([3], V), H: f32([3], H) });
        const g = X.map((x, i) => norm * x + G[i]!);
        const v = g.map((gi, i) => alpha * V[i]! + (1 - alpha) * gi);
        const h = g.map((gi, i) => beta * H[i]! + (1 - beta) * gi * gi);
        const rate = t > 0 ? r * Math.sqrt(1 - beta ** t) / (1 - alpha ** t) : r;
        const x = X.map((xi, i) => (1 - post) * (xi - rate * v[i]! / (Math.sqrt(h[i]!) + eps)));
        close(floats(out.Xn), x);
        close(floats(out.Vn), v);
        close(floats(out.Hn), h);
      }
    } finally { m.dispose(); }
  });

  it('Adagrad and Nesterov Momentum at T = 2', async () => {
    const m = await buildModel('train-adagrad-momentum', {
      nodes: [op('Adagrad', ['R', 'T', 'X', 'G', 'H'], ['Xa', 'Ha'],
        [f('norm_coefficient', 0.01), f('decay_factor', 0.5), f('epsilon', 1e-3)]),
      { ...op('Momentum', ['R', 'T', 'X', 'G', 'V'], ['Xm', 'Vm'], [f('norm_coefficient', 0.01),
        f('alpha', 0.9), f('beta', 0.3), s('mode', 'nesterov')]), name: 'mom' }],
      inputs: [...scalars, ...vecs(['X', 'G', 'V', 'H'])], outputs: vecs(['Xa', 'Ha', 'Xm', 'Vm']),
      opset: 17, extraOpsets: TRAINING,
    });
    try {
      const [r, t] = [0.5, 2];
      const out = await m.run({ R: f32([], [r]), T: i64([], [t]), X: f32([3], X), G: f32([3], G),
        V: f32([3], V), H: f32([3], H) });
      const g = X.map((x, i) => 0.01 * x + G[i]!);
      const ha = g.map((gi, i) => H[i]! + gi * gi);
      close(floats(out.Ha), ha);
      close(floats(out.Xa), X.map((x, i) => x - (r / (1 + t * 0.5)) * g[i]! / (Math.sqrt(ha[i]!) + 1e-3)));
      const vm = g.map((gi, i) => 0.9 * V[i]! + 0.3 * gi);
      close(floats(out.Vm), vm);
      close(floats(out.Xm), X.map((x, i) => x - r * (g[i]! + 0.9 * vm[i]!)));
    } finally { m.dispose(); }
  });

  it('rejects an unknown Momentum mode and inputs that do not split into lists', () => {
    const bad = (n: object, ins: string[]) => () => importOnnx(encodeModel({
      nodes: [n], inputs: [...scalars, ...vecs(ins)], outputs: vecs(['Xn']), opset: 17, extraOpsets: TRAINING,
    }));
    expect(bad(op('Momentum', ['R', 'T', 'X', 'G', 'V'], ['Xn'], [f('norm_coefficient', 0), f('alpha', 0.9),
      f('beta', 1), s('mode', 'heavy')]), ['X', 'G', 'V'])).toThrow(/KC0401.*'mode'.*heavy/);
    expect(bad(op('Adam', ['R', 'T', 'X', 'G', 'V'], ['Xn'], []), ['X', 'G', 'V']))
      .toThrow(/KC0402.*R, T and 4 lists/);
  });
});
