// kestrel-run, the C++ runner: --help, strict arguments (unknown option, missing value and bad
// number exit 2 with the usage), and ONNX TensorProto (.pb) inputs read like `kestrel run`: a
// test-data folder (--inputs DIR) and single files (--input name=file.pb), with raw_data and with
// the typed fields (float_data, int64_data, int32_data for int8).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { encodeModel, encodeTensor, FLOAT, INT64, INT8, node, vi } from '../fixtures/onnx-builder.js';
import { TINY_CNN } from '../helpers/cpp-example.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';
import { compareTensors, readDataSet } from '../../tools/testdata.js';
import { Tensor } from '../../runtime-vm/tensor.js';

const TOOL = join(REPO_ROOT, 'native', 'build', 'kestrel-run');
const dir = tempDir('kestrel-run-cli-');
const cnn = join(dir, 'cnn.so'), typed = join(dir, 'typed.so');
const DATA = join(REPO_ROOT, 'examples', 'tiny_cnn', 'test_data_set_0');

const floats = (b: Buffer) => new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
const run = (...args: string[]) => spawnSync(TOOL, args, { encoding: 'utf8' });

beforeAll(async () => {
  if (!existsSync(TOOL)) throw new Error(`${TOOL} is missing: run \`npm run build:native\``);
  await compile(TINY_CNN, { output: cnn });
  const model = join(dir, 'typed.onnx');
  writeFileSync(model, encodeModel({
    nodes: [node('Neg', ['x'], ['nx']), node('Identity', ['y'], ['iy']), node('Identity', ['z'], ['iz'])],
    inputs: [vi('x', FLOAT, [2, 2]), vi('y', INT64, [3]), vi('z', INT8, [2])],
    outputs: [vi('nx', FLOAT, [2, 2]), vi('iy', INT64, [3]), vi('iz', INT8, [2])],
  }));
  await compile(model, { output: typed });
});

describe('kestrel-run arguments', () => {
  it('--help prints the usage and exits 0', () => {
    const r = run('--help');
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^usage: kestrel-run model\.so \[--inputs DIR \| --input NAME=FILE \.\.\.\]/);
    expect(r.stdout).toContain('--input NAME=FILE.pb');
  });

  it.each([
    [['m.so', '--dynamc', '1'], "unknown option '--dynamc'"],
    [['m.so', '--bench'], '--bench needs a value'],
    [['m.so', '--inputs', '--bench', '3'], '--inputs needs a value'],
    [['m.so', '--bench', 'abc'], "--bench expects a whole number of at least 1, got 'abc'"],
    [['m.so', '--threads', '-1'], "--threads expects a whole number, got '-1'"],
    [['m.so', '--threads', '2x'], "--threads expects a whole number, got '2x'"],
    [['m.so', '--input', 'x=nothere.bin:float32:4'], "bad --input 'x=nothere.bin:float32:4'"],
    [[], 'needs an artifact'],
  ])('%j is a usage error (exit 2)', (args, message) => {
    const r = run(...args);
    expect(r.status).toBe(2);
    expect(r.stderr.startsWith(`kestrel-run: ${message}`), r.stderr).toBe(true);
    expect(r.stderr).toContain('usage: kestrel-run model.so');
  });
});

describe('kestrel-run reads .pb tensors', () => {
  it('--inputs DIR runs the test-data folder and the outputs match its reference', () => {
    const out = tempDir('kestrel-run-out-');
    const r = run(cnn, '--inputs', DATA, '--outputs', out);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toBe('probs float32 [1, 10] -> output_0.bin\n');
    const got = readFileSync(join(out, 'output_0.bin'));
    const ref = readDataSet(DATA).outputs[0].tensor;
    const t = new Tensor('float32', floats(got), [1, 10]);
    expect(compareTensors(t, ref).ok).toBe(true);
  });

  it('--input name=file.pb gives the same outputs as --inputs DIR', () => {
    const a = tempDir('kestrel-run-a-'), b = tempDir('kestrel-run-b-');
    expect(run(cnn, '--inputs', DATA, '--outputs', a).status).toBe(0);
    expect(run(cnn, '--input', `image=${join(DATA, 'input_0.pb')}`, '--outputs', b).status).toBe(0);
    expect(readFileSync(join(b, 'output_0.bin'))).toEqual(readFileSync(join(a, 'output_0.bin')));
  });

  it('reads the typed fields: float_data, int64_data, int32_data (int8)', () => {
    const x = join(dir, 'x.pb'), y = join(dir, 'y.pb'), z = join(dir, 'z.pb');
    const out = tempDir('kestrel-run-t-');
    writeFileSync(x, encodeTensor({ name: 'x', dims: [2, 2], dataType: FLOAT, floatData: [1, -2, 3.5, 0] }));
    writeFileSync(y, encodeTensor({ name: 'y', dims: [3], dataType: INT64, int64Data: [5, -7, 2 ** 40] }));
    writeFileSync(z, encodeTensor({ name: 'z', dims: [2], dataType: INT8, int32Data: [-3, 100] }));
    const r = run(typed, '--input', `x=${x}`, '--input', `y=${y}`, '--input', `z=${z}`, '--outputs', out);
    expect(r.status, r.stderr).toBe(0);
    expect(Array.from(floats(readFileSync(join(out, 'output_0.bin'))))).toEqual([-1, 2, -3.5, -0]);
    const i = readFileSync(join(out, 'output_1.bin'));
    expect(Array.from(new BigInt64Array(i.buffer.slice(i.byteOffset, i.byteOffset + 24))))
      .toEqual([5n, -7n, 2n ** 40n]);
    expect(Array.from(new Int8Array(readFileSync(join(out, 'output_2.bin'))))).toEqual([-3, 100]);
  });

  it('a .pb whose data does not fit its dims, or a missing input_K.pb, fails (exit 1), naming it', () => {
    const bad = join(dir, 'bad.pb');
    writeFileSync(bad, encodeTensor({ name: 'x', dims: [2, 2], dataType: FLOAT, floatData: [1, 2, 3] }));
    const r = run(typed, '--input', `x=${bad}`);
    expect(r.status).toBe(1);
    expect(r.stderr).toBe(`kestrel-run: ${bad}: holds 12 bytes of data; its dims need 16\n`);
    const empty = tempDir('kestrel-run-empty-');
    const m = run(cnn, '--inputs', empty);
    expect(m.status).toBe(1);
    expect(m.stderr).toContain(`kestrel-run: ${join(empty, 'input_0.pb')}: No such file or directory`);
  });
});
