// kestrel/ort's InferenceSession on a small two-output model: the create() forms (path,
// Uint8Array, ArrayBuffer slice, compiled .so), names and metadata, fetches (names, records, a
// pre-allocated tensor), run options (terminate), session options (threads, freeDimensionOverrides,
// execution providers, warnings about options without effect) and the KestrelErrors of bad calls.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import * as ort from '../../ort/index.js';
import { resetWarnings, WARNING_CODE } from '../../ort/options.js';
import { encodeModel, FLOAT, node, vi as valueInfo } from '../fixtures/onnx-builder.js';
import { tempDir } from '../helpers/shared.js';

const dir = tempDir('kestrel-ort-session-');
const model = join(dir, 'two.onnx');
writeFileSync(model, encodeModel({
  nodes: [node('Relu', ['x'], ['y']), node('Neg', ['x'], ['z'])],
  inputs: [valueInfo('x', FLOAT, ['n', 4])],
  outputs: [valueInfo('y', FLOAT, ['n', 4]), valueInfo('z', FLOAT, ['n', 4])],
}));
const x = (n: number): ort.Tensor =>
  new ort.Tensor('float32', Float32Array.from({ length: n * 4 }, (_, i) => i - 3), [n, 4]);

async function rejection(p: Promise<unknown>): Promise<string> {
  const e = await p.then(() => undefined, (err: unknown) => err);
  expect(e).toBeInstanceOf(ort.KestrelError);
  return (e as ort.KestrelError).code;
}

let saved: string | undefined;
let session: ort.InferenceSession;
beforeAll(async () => {
  saved = process.env.KESTREL_CACHE_DIR;
  process.env.KESTREL_CACHE_DIR = join(dir, 'cache');
  session = await ort.InferenceSession.create(model);
});
afterAll(async () => {
  await session.release();
  if (saved === undefined) delete process.env.KESTREL_CACHE_DIR;
  else process.env.KESTREL_CACHE_DIR = saved;
});

describe('kestrel/ort InferenceSession', () => {
  it('reports names and metadata as onnxruntime-common 1.30 does', () => {
    expect(session.inputNames).toEqual(['x']);
    expect(session.outputNames).toEqual(['y', 'z']);
    expect(session.inputMetadata).toEqual([{ name: 'x', isTensor: true, type: 'float32', shape: ['n', 4] }]);
    expect(session.outputMetadata.map((m) => m.name)).toEqual(['y', 'z']);
    expect(session.outputMetadata[1])
      .toEqual({ name: 'z', isTensor: true, type: 'float32', shape: ['n', 4] });
  });

  it('runs and returns every output, or only the fetched ones', async () => {
    const all = await session.run({ x: x(2) });
    expect(Object.keys(all)).toEqual(['y', 'z']);
    expect(Array.from(all.y.data as Float32Array).slice(0, 5)).toEqual([0, 0, 0, 0, 1]);
    expect(Array.from(all.z.data as Float32Array).slice(0, 2)).toEqual([3, 2]);
    expect(all.z).toBeInstanceOf(ort.Tensor);
    expect(Object.keys(await session.run({ x: x(1) }, ['z']))).toEqual(['z']);
    expect(Object.keys(await session.run({ x: x(1) }, { y: null }))).toEqual(['y']);
    expect(Object.keys(await session.run({ x: x(1) }, { y: null }, {}))).toEqual(['y']);
    // A record naming no output is the run options (onnxruntime-common's rule).
    expect(Object.keys(await session.run({ x: x(1) }, { terminate: false }))).toEqual(['y', 'z']);
  });

  it('writes an output into a tensor given in fetches', async () => {
    const into = new ort.Tensor('float32', new Float32Array(8), [2, 4]);
    const out = await session.run({ x: x(2) }, { z: into });
    expect(out.z).toBe(into);
    expect((into.data as Float32Array)[0]).toBe(3);
    const wrong = new ort.Tensor('float32', new Float32Array(4), [1, 4]);
    expect(await rejection(session.run({ x: x(2) }, { z: wrong }))).toBe('KR0103');
  });

  it('fails bad feeds and fetches with KestrelErrors naming them', async () => {
    expect(await rejection(session.run({ x: x(1) }, ['nope']))).toBe('KR0101');
    expect(await rejection(session.run({ x: x(1) }, []))).toBe('KR0101');
    expect(await rejection(session.run({}))).toBe('KR0101');
    expect(await rejection(session.run({ x: x(1), w: x(1) }))).toBe('KR0101');
    expect(await rejection(session.run({ x: 3 as never }))).toBe('KR0105');
    expect(await rejection(session.run(null as never))).toBe('KR0101');
    expect(await rejection(session.run({ x: x(1) }, ['y'], 5 as never))).toBe('KR0401');
    expect(await rejection(session.run({ x: new ort.Tensor(['a', 'b', 'c', 'd'], [1, 4]) }))).toBe('KR0102');
    const ints = new ort.Tensor('int32', new Int32Array(4), [1, 4]);
    expect(await rejection(session.run({ x: ints }))).toBe('KR0102');
  });

  it('refuses string feeds to a non-string input with KR0102 naming it and what it takes', async () => {
    const strings = new ort.Tensor('string', ['a', 'b', 'c', 'd'], [1, 4]);
    // onnxruntime-node's string tensors hold a plain array, not a typed one.
    const lookAlike = { type: 'string', data: ['a', 'b', 'c', 'd'], dims: [1, 4] };
    for (const feed of [strings, lookAlike]) {
      await expect(session.run({ x: feed as never })).rejects.toMatchObject({ code: 'KR0102',
        details: { input: 'x' }, message: expect.stringContaining("input 'x' is a string tensor " +
          "(the model's input is float32[n, 4])") });
    }
    await expect(session.run({ q: strings })).rejects.toMatchObject({ code: 'KR0102',
      message: expect.stringContaining("input 'q' is a string tensor (no input of the model)") });
  });

  it('takes onnxruntime-like tensors ({ type, data, dims }) as feeds', async () => {
    const feed = { type: 'float32', data: new Float32Array([-1, 2, -3, 4]), dims: [1, 4] };
    const out = await session.run({ x: feed as never });
    expect(Array.from(out.y.data as Float32Array)).toEqual([0, 2, 0, 4]);
  });

  it('terminate: true stops a run before it starts (KR0302) and the session stays usable', async () => {
    expect(await rejection(session.run({ x: x(1) }, { terminate: true }))).toBe('KR0302');
    const ctl = new AbortController();
    ctl.abort();
    expect(await rejection(session.run({ x: x(1) }, { signal: ctl.signal }))).toBe('KR0302');
    expect(Object.keys(await session.run({ x: x(1) }))).toEqual(['y', 'z']);
  });

  it('creates from a Uint8Array, an ArrayBuffer slice and a compiled .so', async () => {
    const bytes = new Uint8Array(readFileSync(model));
    const padded = new Uint8Array(bytes.byteLength + 16);
    padded.set(bytes, 8);
    for (const s of [await ort.InferenceSession.create(bytes),
      await ort.InferenceSession.create(padded.buffer, 8, bytes.byteLength, {}),
      await ort.InferenceSession.create(session.kestrel.artifact),
      await ort.InferenceSession.create(new Uint8Array(readFileSync(session.kestrel.artifact)))]) {
      expect(s.outputNames).toEqual(['y', 'z']);
      expect(Array.from((await s.run({ x: x(1) }, ['z'])).z.data as Float32Array)).toEqual([3, 2, 1, -0]);
      await s.release();
      expect(await rejection(s.run({ x: x(1) }))).toBe('KR0301');
    }
    expect(await rejection(ort.InferenceSession.create(join(dir, 'missing.onnx')))).toBe('KC0002');
    writeFileSync(join(dir, 'junk.so'), 'not an artifact');
    expect(await rejection(ort.InferenceSession.create(join(dir, 'junk.so')))).toBe('KR0001');
    expect(await rejection(ort.InferenceSession.create(new Uint8Array([1, 2, 3])))).toMatch(/^KC01/);
    expect(await rejection(ort.InferenceSession.create(padded.buffer, 8, 1 << 20))).toBe('KR0401');
    expect(await rejection(ort.InferenceSession.create(42 as never))).toBe('KC0001');
  });

  it('freeDimensionOverrides pins symbolic dims at compile time', async () => {
    const s = await ort.InferenceSession.create(model, { freeDimensionOverrides: { n: 2 } });
    expect(s.inputMetadata[0]).toMatchObject({ shape: [2, 4] });
    expect(s.kestrel.artifact).not.toBe(session.kestrel.artifact);
    expect((await s.run({ x: x(2) })).y.dims).toEqual([2, 4]);
    expect(await rejection(s.run({ x: x(3) }))).toBe('KR0103');
    await s.release();
    expect(await rejection(ort.InferenceSession.create(model, { freeDimensionOverrides: { n: 0 } })))
      .toBe('KR0401');
  });

  it('maps execution providers and threads; invalid values are KR0401', async () => {
    const s = await ort.InferenceSession.create(model, { executionProviders: ['cpu'], intraOpNumThreads: 1 });
    expect((await s.run({ x: x(3) })).z.dims).toEqual([3, 4]);
    await s.release();
    const create = (o: ort.InferenceSession.SessionOptions): Promise<string> =>
      rejection(ort.InferenceSession.create(model, o));
    expect(await create({ executionProviders: ['webgpu'] })).toBe('KR0401');
    expect(await create({ executionProviders: [{ name: 'cuda', deviceId: -1 }] })).toBe('KR0401');
    expect(await create({ executionProviders: 'cpu' as never })).toBe('KR0401');
    // An empty list is the CPU, as in onnxruntime.
    const empty = await ort.InferenceSession.create(model, { executionProviders: [] });
    expect(empty.kestrel.device).toBe('cpu');
    await empty.release();
    expect(await create({ intraOpNumThreads: -1 })).toBe('KR0401');
    expect(await create({ logSeverityLevel: 9 as never })).toBe('KR0401');
  });

  it('names every option accepted without effect once, in a warning with a code', async () => {
    resetWarnings();
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => undefined);
    try {
      const opts: ort.InferenceSession.SessionOptions = {
        graphOptimizationLevel: 'basic', enableProfiling: false,
        executionProviders: ['webgpu', { name: 'cpu', useArena: false }],
      };
      const s = await ort.InferenceSession.create(model, opts);
      await ort.InferenceSession.create(model, opts).then((t) => t.release());
      await s.run({ x: x(1) }, { tag: 'a', logSeverityLevel: 0 });
      await s.run({ x: x(1) }, { tag: 'b' });
      await s.release();
      const calls = warn.mock.calls.map(([msg, o]) => [String(msg), (o as { code: string }).code]);
      expect(calls).toEqual([
        ['kestrel/ort: session option(s) accepted without effect: graphOptimizationLevel, ' +
          "executionProviders 'webgpu', cpu.useArena", WARNING_CODE],
        ['kestrel/ort: run option(s) accepted without effect: tag, logSeverityLevel', WARNING_CODE],
      ]);
      warn.mockClear();
      resetWarnings();
      await ort.InferenceSession.create(model, { logSeverityLevel: 3, interOpNumThreads: 2 })
        .then((t) => t.release());
      await ort.InferenceSession.create(model, { graphOptimizationLevel: 'all', executionMode: 'sequential',
        enableProfiling: false }).then((t) => t.release());
      ort.env.logLevel = 'error';
      await ort.InferenceSession.create(model, { enableMemPattern: false }).then((t) => t.release());
      expect(warn).not.toHaveBeenCalled();
    } finally {
      ort.env.logLevel = 'warning';
      warn.mockRestore();
    }
  });
});
