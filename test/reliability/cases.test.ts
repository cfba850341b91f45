// RELIABILITY.md cases that no other test file covers (see test/reliability/README.md for the
// whole map): attributes out of range (§12), shape-driven tensor bombs that must not be folded at
// compile time (§13), data-dependent indices (§16), NaN/Inf/-0/denormals, also where they feed an
// index (§17), a batch of 0 and a dynamic dim too large for memory (§18). Each failure asserts
// its code and what it names, then a good call in the same process.

import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load, type Session } from '../../runtime-vm/session.js';
import {
  attrInt, attrInts, FLOAT, floatTensor, INT64, node, tinyModel, vi,
} from '../fixtures/onnx-builder.js';
import { f32, floats, i64 } from '../helpers/models.js';
import { compileSpec, errorOf, failsThenWorks, type Spec } from './helpers.js';
import { compile } from '../../compiler/driver.js';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from '../helpers/shared.js';

const int64Tensor = (name: string, dims: number[], values: number[]) => ({
  name, dims, dataType: INT64, rawData: new Uint8Array(BigInt64Array.from(values.map(BigInt)).buffer),
});

/** A good compile after a failed one: the compiler holds no state from the failure. */
async function goodCompile(): Promise<void> {
  const dir = tempDir('kestrel-rel-good-');
  writeFileSync(join(dir, 'tiny.onnx'), tinyModel());
  const r = await compile(join(dir, 'tiny.onnx'), { output: join(dir, 'tiny.so') });
  expect(r.kernels).toBeGreaterThan(0);
}

function conv(attrs: Record<string, unknown>[], wDims = [1, 1, 3, 3]): Spec {
  const n = wDims.reduce((a, b) => a * b, 1);
  return {
    nodes: [node('Conv', ['x', 'w'], ['y'], attrs, 'conv_1')],
    inputs: [vi('x', FLOAT, [1, 1, 4, 4])], outputs: [vi('y', FLOAT, [null, null, null, null])],
    initializers: [floatTensor('w', wDims, new Array<number>(n).fill(1))],
  };
}

describe('§12 attributes out of range (KC0401, naming node and attribute)', () => {
  const cases: [string, Spec, RegExp][] = [
    ['stride 0', conv([attrInts('strides', [0, 0])]), /'conv_1' \(Conv\).*'strides'/],
    ['dilation 0', conv([attrInts('dilations', [0, 1])]), /'conv_1' \(Conv\).*'dilations'/],
    ['group 0', conv([attrInt('group', 0)]), /'conv_1' \(Conv\).*'group'/],
    ['negative pads', conv([attrInts('pads', [-5, 0, 0, 0])]), /'conv_1' \(Conv\).*'pads'/],
    ['huge pads', conv([attrInts('pads', [1e9, 0, 1e9, 0])]), /'conv_1' \(Conv\).*'pads'/],
    ['kernel rank != input rank', conv([], [1, 1, 3]),
      /'conv_1' \(Conv\).*'kernel_shape' has 1 entries, expected 2 for 2 spatial axes/],
    ['axis beyond rank', {
      nodes: [node('Softmax', ['x'], ['y'], [attrInt('axis', 7)], 'softmax_1')],
      inputs: [vi('x', FLOAT, [2, 3])], outputs: [vi('y', FLOAT, [2, 3])],
    }, /'softmax_1' \(Softmax\).*'axis'.*7/],
  ];
  for (const [label, spec, naming] of cases) {
    it(label, async () => {
      await failsThenWorks(() => compileSpec('attr', spec), 'KC0401', naming, goodCompile);
    });
  }
  for (const bad of [Number.NaN, Infinity, 0]) {
    it(`Resize scales of ${bad}: KC0401 naming the node`, async () => {
      const spec: Spec = {
        nodes: [node('Resize', ['x', '', 'scales'], ['y'], [], 'resize_1')],
        inputs: [vi('x', FLOAT, [1, 1, 4, 4])], outputs: [vi('y', FLOAT, [null, null, null, null])],
        initializers: [floatTensor('scales', [4], [1, 1, bad, 2])],
      };
      await failsThenWorks(() => compileSpec('resize', spec), 'KC0401', /'resize_1' \(Resize\).*scales/,
        goodCompile);
    });
  }
});

// The planned-peak check (compiler/lower/memory-plan.ts) refuses these before the first allocation.
describe('§13 shape-driven bombs are run-time ops, refused before allocating (KR0201)', () => {
  const bombs: [string, Spec, RegExp][] = [
    ['ConstantOfShape([1e5,1e5,1e5])', {
      nodes: [node('ConstantOfShape', ['shape'], ['y'], [], 'fill_big')],
      inputs: [vi('x', FLOAT, [1])], outputs: [vi('y', FLOAT, [null, null, null])],
      initializers: [int64Tensor('shape', [3], [1e5, 1e5, 1e5])],
    }, /inputs 'x' \[1\]: the run's tensors need at least 4000000000000004 bytes at their peak/],
    ['Range(0, 1e12, 1)', {
      nodes: [node('Range', ['start', 'limit', 'delta'], ['y'], [], 'range_big')],
      inputs: [vi('x', FLOAT, [1])], outputs: [vi('y', INT64, [null])],
      initializers: [int64Tensor('start', [], [0]), int64Tensor('limit', [], [1e12]),
        int64Tensor('delta', [], [1])],
    }, /inputs 'x' \[1\]: the run's tensors need at least 8000000000004 bytes at their peak/],
  ];
  for (const [label, spec, naming] of bombs) {
    it(`${label}: compiles quickly with bounded memory, fails the run, the session still works`, async () => {
      const rss0 = process.memoryUsage().rss;
      const t0 = performance.now();
      const s = await load(await compileSpec('bomb', spec));
      expect(performance.now() - t0).toBeLessThan(60_000);
      expect(process.memoryUsage().rss - rss0).toBeLessThan(512 * 2 ** 20);
      try {
        const bad = () => s.run({ x: f32([1], [1]) });
        await failsThenWorks(bad, 'KR0201', naming, async () => {
          // The same session runs again (and fails the same way, quickly and cleanly).
          expect((await errorOf(bad)).code).toBe('KR0201');
        });
      } finally { s.dispose(); }
    });
  }
});

describe('§16-17 indices from data: out of range, negative, NaN and Inf', () => {
  let ge: Session, castGather: Session;
  beforeAll(async () => {
    ge = await load(await compileSpec('gather_elements', {
      nodes: [node('GatherElements', ['x', 'i'], ['y'], [attrInt('axis', 0)], 'ge_1')],
      inputs: [vi('x', FLOAT, [3]), vi('i', INT64, [2])], outputs: [vi('y', FLOAT, [2])],
    }));
    // The float indices are cast to int64 (NaN -> 0, +-Inf saturate) before they index.
    castGather = await load(await compileSpec('cast_gather', {
      nodes: [node('Cast', ['f'], ['i'], [attrInt('to', INT64)], 'cast_1'),
        node('Gather', ['x', 'i'], ['y'], [attrInt('axis', 0)], 'gather_1')],
      inputs: [vi('x', FLOAT, [3]), vi('f', FLOAT, [2])], outputs: [vi('y', FLOAT, [2])],
    }));
  });
  afterAll(() => { ge?.dispose(); castGather?.dispose(); });
  const x = f32([3], [10, 20, 30]);

  for (const bad of [[0, 3], [0, -4], [2 ** 40, 0]]) {
    it(`GatherElements indices ${JSON.stringify(bad)}: KR0202 naming the node`, async () => {
      await failsThenWorks(() => ge.run({ x, i: i64([2], bad) }), 'KR0202', /'ge_1' \(GatherElements\)/,
        async () => { expect(floats((await ge.run({ x, i: i64([2], [2, -1]) })).y)).toEqual([30, 30]); });
    });
  }
  it('NaN feeding an index reads index 0 (Cast NaN -> 0, documented); Inf is out of range', async () => {
    expect(floats((await castGather.run({ x, f: f32([2], [Number.NaN, -0]) })).y)).toEqual([10, 10]);
    await failsThenWorks(() => castGather.run({ x, f: f32([2], [Infinity, 1]) }), 'KR0202',
      /'gather_1' \(Gather\)/, async () => {
        expect(floats((await castGather.run({ x, f: f32([2], [1.9, -1]) })).y)).toEqual([20, 30]);
      });
  });
});

describe('§17-18 special values, a batch of 0, a dim too large for memory', () => {
  let tiny: Session, mm: Session;
  beforeAll(async () => {
    const dir = tempDir('kestrel-rel-tiny-');
    writeFileSync(join(dir, 'tiny.onnx'), tinyModel());
    await compile(join(dir, 'tiny.onnx'), { output: join(dir, 'tiny.so') });
    tiny = await load(join(dir, 'tiny.so'));
    mm = await load(await compileSpec('matmul', {
      nodes: [node('MatMul', ['a', 'b'], ['y'], [], 'mm_1')],
      inputs: [vi('a', FLOAT, ['n', 'k']), vi('b', FLOAT, ['k', 'm'])], outputs: [vi('y', FLOAT, ['n', 'm'])],
    }));
  });
  afterAll(() => { tiny?.dispose(); mm?.dispose(); });

  it('NaN, +-Inf, -0 and denormals pass through Add and Relu as IEEE 754 says', async () => {
    const den = 1e-40; // a float32 denormal
    const xs = [Number.NaN, Infinity, -Infinity, -0, den, -den, -1, 0];
    const out = floats((await tiny.run({ x: f32([2, 4], xs) })).y);
    const w = [1, 2, 3, 4];
    const ref = xs.map((v, i) => Math.max(0, Math.fround(v + w[i % 4]!)));
    expect(out.slice(1)).toEqual(ref.slice(1));
    expect(out[0]).toBeNaN(); // relu(NaN) stays NaN
  });
  it('a batch of 0 is legal and gives an empty output', async () => {
    const out = await tiny.run({ x: f32([0, 4], []) });
    expect(out.y.dims).toEqual([0, 4]);
    expect(out.y.data.length).toBe(0);
  });
  it('dims whose output would exceed memory are refused before allocating (KR0201)', async () => {
    const n = 200_000, ones = new Array<number>(n).fill(1);
    const rss0 = process.memoryUsage().rss;
    await failsThenWorks(() => mm.run({ a: f32([n, 1], ones), b: f32([1, n], ones) }), 'KR0201',
      /inputs 'a' \[200000, 1\], 'b' \[1, 200000\]: .* at least 160001600000 bytes/, async () => {
        const out = await mm.run({ a: f32([2, 1], [1, 2]), b: f32([1, 2], [3, 4]) });
        expect(floats(out.y)).toEqual([3, 4, 6, 8]);
      });
    expect(process.memoryUsage().rss - rss0).toBeLessThan(256 * 2 ** 20);
  });
});
