// fuse-attention: the attention chains of bert (mul, additive mask), gpt2 (div by a scalar, where
// with a bool causal mask) and llama (mul, additive mask, float32 casts after the softmax, heads
// sharing kt/v through Expand) become one attention node, and the compiled models equal
// onnxruntime-node on sequences that leave tails (odd lengths) and on ones that fit one vector.
// Chains whose softmax output is also read elsewhere, or whose scale is not one element, stay.
import { describe, expect, it } from 'vitest';
import * as ort from 'onnxruntime-node';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { fuseAttention } from '../../compiler/passes/fuse-attention.js';
import { verifyFunc } from '../../ir/verify.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { buildModel } from '../helpers/models.js';
import { rand } from '../ops/harness.js';
import { attrInt, BOOL, encodeModel, FLOAT, floatTensor, INT64, type ModelSpec, node,
  vi } from '../fixtures/onnx-builder.js';

const H = 4, D = 8;
const i64 = (name: string, v: number[]) => ({ name, dims: [v.length], dataType: INT64,
  rawData: new Uint8Array(BigInt64Array.from(v.map(BigInt)).buffer) });
const qkv = (heads = H) => [vi('q', FLOAT, ['b', H, 's', D]), vi('kt', FLOAT, ['b', heads, D, 's']),
  vi('v', FLOAT, ['b', heads, 's', D])];
const out = [vi('y', FLOAT, ['b', H, 's', D])];
const softmax = (x: string, y: string) => node('Softmax', [x], [y], [attrInt('axis', -1)]);

const bert = (): ModelSpec => ({
  nodes: [node('MatMul', ['q', 'kt'], ['s0']), node('Mul', ['s0', 'c'], ['s1']), node('Add', ['s1', 'mask'],
    ['s2']),
    softmax('s2', 'p'), node('MatMul', ['p', 'v'], ['y'])],
  inputs: [...qkv(), vi('mask', FLOAT, ['b', 1, 's', 's'])], outputs: out,
  initializers: [floatTensor('c', [], [0.35])],
});

const gpt2 = (): ModelSpec => ({
  nodes: [node('MatMul', ['q', 'kt'], ['s0']), node('Div', ['s0', 'c'], ['s1']),
    node('Where', ['causal', 'ninf', 's1'], ['s2']), softmax('s2', 'p'), node('MatMul', ['p', 'v'], ['y'])],
  inputs: [...qkv(), vi('causal', BOOL, ['s', 's'])], outputs: out,
  initializers: [floatTensor('c', [], [Math.sqrt(D)]), floatTensor('ninf', [], [-Infinity])],
});

// kt and v hold 2 key/value heads; Expand repeats each for 2 query heads, as llama's GQA does.
const llama = (): ModelSpec => {
  const rep = (x: string, shape: string, y: string) => [
    node('Unsqueeze', [x, 'ax2'], [`${y}_u`]), node('Expand', [`${y}_u`, shape], [`${y}_e`]),
    node('Reshape', [`${y}_e`, `${shape}_flat`], [y])];
  return {
    nodes: [
      node('Shape', ['q'], ['qs']), node('Gather', ['qs', 'i0'], ['bd']), node('Gather', ['qs', 'i2'],
        ['sd']),
      node('Concat', ['bd', 'two', 'two', 'eight', 'sd'], ['ktshape'], [attrInt('axis', 0)]),
      node('Concat', ['bd', 'four', 'eight', 'sd'], ['ktshape_flat'], [attrInt('axis', 0)]),
      node('Concat', ['bd', 'two', 'two', 'sd', 'eight'], ['vshape'], [attrInt('axis', 0)]),
      node('Concat', ['bd', 'four', 'sd', 'eight'], ['vshape_flat'], [attrInt('axis', 0)]),
      ...rep('kt', 'ktshape', 'ktr'), ...rep('v', 'vshape', 'vr'),
      node('MatMul', ['q', 'ktr'], ['s0']), node('Mul', ['s0', 'c'], ['s1']), node('Add', ['s1', 'mask'],
        ['s2']),
      softmax('s2', 'p0'), node('Cast', ['p0'], ['p1'], [attrInt('to', FLOAT)]),
      node('Cast', ['p1'], ['p'], [attrInt('to', FLOAT)]), node('MatMul', ['p', 'vr'], ['y'])],
    inputs: [...qkv(2), vi('mask', FLOAT, ['b', 1, 's', 's'])], outputs: out,
    initializers: [floatTensor('c', [], [0.35]), i64('ax2', [2]), i64('i0', [0]), i64('i2', [2]),
      i64('two', [2]), i64('four', [4]), i64('eight', [D])],
  };
};

const llamaSpec = llama();

/** Random inputs for batch b, sequence s: q, kt, v and the model's mask. */
function feeds(spec: ModelSpec, b: number, s: number): Record<string, { data: Float32Array | Uint8Array;
  dims: number[] }> {
  const names = spec.inputs.map((i) => (i as { name: string }).name);
  const kvHeads = spec === llamaSpec ? 2 : H;
  const r = (dims: number[], seed: number) => ({ data: rand(dims.reduce((x, y) => x * y, 1), seed), dims });
  const f: Record<string, { data: Float32Array | Uint8Array; dims: number[] }> = {
    q: r([b, H, s, D], 1), kt: r([b, kvHeads, D, s], 2), v: r([b, kvHeads, s, D], 3),
  };
  if (names.includes('mask')) {
    const m = r([b, 1, s, s], 4);
    m.data = (m.data as Float32Array).map((x) => (x < -0.5 ? -1e4 : x));
    f.mask = m;
  }
  if (names.includes('causal')) f.causal = { data: Uint8Array.from({ length: s * s }, (_,
    k) => (k % s > k / s ? 1 : 0)), dims: [s, s] };
  return f;
}

async function expectMatchesOrt(name: string, spec: ModelSpec, shapes: [number, number][]): Promise<void> {
  const k = await buildModel(name, spec);
  const o = await ort.InferenceSession.create(encodeModel(spec));
  try {
    for (const [b, s] of shapes) {
      const f = feeds(spec, b, s);
      const kf = Object.fromEntries(Object.entries(f).map(([n, t]) =>
        [n, new Tensor(t.data instanceof Uint8Array ? 'bool' : 'float32', t.data, t.dims)]));
      const of = Object.fromEntries(Object.entries(f).map(([n, t]) =>
        [n, new ort.Tensor(t.data instanceof Uint8Array ? 'bool' : 'float32', t.data, t.dims)]));
      const got = (await k.run(kf)).y.data as Float32Array, want = (await o.run(of)).y.data as Float32Array;
      expect(got.length).toBe(want.length);
      const scale = Math.max(...Array.from(want, Math.abs));
      want.forEach((w, i) => expect(Math.abs(got[i] - w),
        `${name} ${b}x${s} at ${i}`).toBeLessThanOrEqual(1e-4 + 1e-3 * scale));
    }
  } finally { k.dispose(); await o.release(); }
}

const ops = (spec: ModelSpec) => {
  const m = importOnnx(encodeModel(spec));
  const f = fuseAttention(m.main);
  expect(verifyFunc(f)).toEqual([]);
  return { before: m.main, after: f,
    ops: f.nodes.filter((n) => n.outputs.every((v) => !v.type.elems)).map((n) => n.op) };
};

describe('fuse-attention', () => {
  it('bert: matmul, mul, add mask, softmax, matmul become one attention node', () => {
    const { after, before, ops: o } = ops(bert());
    expect(o).toEqual(['attention']);
    const a = after.nodes.find((n) => n.op === 'attention')!;
    expect(a.attrs).toMatchObject({ scaleOp: 'mul', mask: 'add' });
    expect(a.outputs[0].id).toBe(before.outputs[0].id);
    expect(a.inputs.map((v) => v?.name)).toEqual(['q', 'kt', 'v', 'c', 'mask']);
  });
  it('gpt2: div and where(causal, -inf, x) are recognised', () => {
    const { after, ops: o } = ops(gpt2());
    expect(o).toEqual(['attention']);
    expect(after.nodes.find((n) => n.op === 'attention')!.attrs).toMatchObject({ scaleOp: 'div',
      mask: 'where',
      fill: -Infinity, fillIf: 1 });
  });
  it('llama: float32 casts after the softmax; kt and v repeated by Expand stay as they are', () => {
    const { ops: o } = ops(llama());
    expect(o.filter((n) => n === 'attention')).toHaveLength(1);
    expect(o).not.toContain('softmax');
  });
  it('leaves the chain when the weights are also a graph output', () => {
    const spec = bert();
    const { ops: o } = ops({ ...spec, outputs: [...spec.outputs, vi('p', FLOAT, ['b', H, 's', 's'])] });
    expect(o).toContain('softmax');
    expect(o).not.toContain('attention');
  });
  it('leaves the chain when the scale is not one element', () => {
    const spec = bert();
    const { ops: o } = ops({ ...spec, initializers: [floatTensor('c', [D], new Array(D).fill(0.5))] });
    expect(o).not.toContain('attention');
  });
  it('the fused models equal onnxruntime-node (odd lengths, one-vector and multi-block keys)', async () => {
    const shapes: [number, number][] = [[1, 1], [1, 7], [2, 19], [1, 70]];
    await expectMatchesOrt('attn-bert', bert(), shapes);
    await expectMatchesOrt('attn-gpt2', gpt2(), shapes);
    await expectMatchesOrt('attn-llama', llamaSpec, shapes);
  });
});
