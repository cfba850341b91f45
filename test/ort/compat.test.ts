// The compatibility suite: test/ort/program.ts, written against onnxruntime-node, runs once with
// onnxruntime-node and once with kestrel/ort on every model in shared/models (every data set);
// names and input metadata must agree and outputs match by the float rule (exactly for integers).
// Models kestrel cannot compile yet are expected failures naming their KC code: when one starts
// compiling its test fails, and it moves to the matched models.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import * as ortNode from 'onnxruntime-node';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { compareTensors, dataSetDirs, readDataSet } from '../../tools/testdata.js';
import * as kestrelOrt from '../../ort/index.js';
import { Tensor as KTensor, type TensorType } from '../../runtime-vm/index.js';
import { sharedDir, tempDir } from '../helpers/shared.js';
import { runProgram, type Ort, type PlainTensor } from './program.js';

/** Model -> the code kestrel fails with today, and why. */
// Empty since the Resize, ConvTranspose and quantized ops landed: every model is matched.
const EXPECTED_FAILURES: Readonly<Record<string, { code: string; why: string }>> = {};

// Each test compiles a whole model with an empty cache and runs both runtimes on every data set:
// yolo_tiny takes 100-140 s on two shared cores, and ran past the global 300 s when the machine was
// also building native code.
const MODEL_TIMEOUT_MS = 900_000;

const models = (): string[] => readdirSync(join(sharedDir(), 'models')).sort();

const dataSets = (dir: string): PlainTensor[][] =>
  dataSetDirs(dir).map((set) => readDataSet(set).inputs.map(({ tensor: t }) => ({ type: t.type, dims: t.dims,
    data: t.data as ArrayLike<number> })));

const asKestrel = (t: PlainTensor): KTensor => new KTensor(t.type as TensorType, t.data as never, t.dims);

let saved: string | undefined;
beforeAll(() => {
  saved = process.env.KESTREL_CACHE_DIR;
  process.env.KESTREL_CACHE_DIR = tempDir('kestrel-ort-cache-');
});
afterAll(() => {
  if (saved === undefined) delete process.env.KESTREL_CACHE_DIR;
  else process.env.KESTREL_CACHE_DIR = saved;
});

describe('kestrel/ort runs a program written for onnxruntime-node', () => {
  it('covers every model in shared/models, and lists no model that is not there', () => {
    expect(models().length).toBeGreaterThan(10);
    for (const name of Object.keys(EXPECTED_FAILURES)) expect(models()).toContain(name);
  });

  for (const name of models()) {
    const dir = join(sharedDir(), 'models', name);
    const model = join(dir, 'model.onnx');
    const expected = EXPECTED_FAILURES[name];
    if (expected) {
      it(`${name}: expected failure ${expected.code} (${expected.why})`, async () => {
        const e = await runProgram(kestrelOrt as unknown as Ort, model, dataSets(dir)).then(() => undefined,
          (err: unknown) => err);
        expect(e, `${name} now compiles: move it out of EXPECTED_FAILURES`)
          .toBeInstanceOf(kestrelOrt.KestrelError);
        expect((e as kestrelOrt.KestrelError).code).toBe(expected.code);
      });
      continue;
    }
    it(`${name}: same names, metadata and outputs as onnxruntime-node`, async () => {
      const sets = dataSets(dir);
      expect(sets.length).toBeGreaterThan(0);
      const ref = await runProgram(ortNode, model, sets);
      const got = await runProgram(kestrelOrt as unknown as Ort, model, sets);
      expect(got.inputNames).toEqual(ref.inputNames);
      expect(got.outputNames).toEqual(ref.outputNames);
      expect(got.inputMetadata).toEqual(ref.inputMetadata);
      expect(got.fetchedAlone).toEqual([ref.outputNames[0]]);
      expect(ref.fetchedAlone).toEqual([ref.outputNames[0]]);
      got.outputMetadata.forEach((m, i) => {
        const r = ref.outputMetadata[i] as { name: string; type: string; shape: unknown[] };
        expect(m).toMatchObject({ name: r.name, isTensor: true, type: r.type });
        expect((m as { shape: unknown[] }).shape.length).toBe(r.shape.length);
      });
      ref.outputs.forEach((outs, k) => {
        for (const [out, r] of Object.entries(outs)) {
          const c = compareTensors(asKestrel(got.outputs[k][out]), asKestrel(r));
          expect(c.ok, `${name} data set ${k} output ${out}: ${c.message}`).toBe(true);
        }
      });
    }, MODEL_TIMEOUT_MS);
  }
});
