// kestrel-run treats the model's names as untrusted: output files are named by index
// (DIR/output_K.bin), so an output called "../../escaped_out" cannot leave --outputs; unknown,
// duplicate and missing --input names are errors that list the model's inputs.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { encodeModel, FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { REPO_ROOT, tempDir } from '../helpers/shared.js';

const TOOL = join(REPO_ROOT, 'native', 'build', 'kestrel-run');
const dir = tempDir('kestrel-run-');
const so = join(dir, 'm.so'), x = join(dir, 'x.bin');
const ESCAPE = '../../escaped_out';

beforeAll(async () => {
  if (!existsSync(TOOL)) throw new Error(`${TOOL} is missing: run \`npm run build:native\``);
  const model = join(dir, 'm.onnx');
  writeFileSync(model, encodeModel({
    nodes: [node('Relu', ['x'], [ESCAPE]), node('Neg', ['x'], ['plain'])],
    inputs: [vi('x', FLOAT, [4])], outputs: [vi(ESCAPE, FLOAT, [4]), vi('plain', FLOAT, [4])],
  }));
  await compile(model, { output: so });
  writeFileSync(x, Buffer.from(Float32Array.from([-1, 2, -3, 4]).buffer));
});

const floats = (path: string) => {
  const b = readFileSync(path);
  return Array.from(new Float32Array(b.buffer, b.byteOffset, 4));
};

describe('kestrel-run', () => {
  it('names output files by index, so an output name cannot leave --outputs', () => {
    const outDir = join(dir, 'a', 'b');
    mkdirSync(outDir, { recursive: true });
    const out = execFileSync(TOOL, [so, '--input', `x=${x}:float32:4`, '--outputs', outDir],
      { encoding: 'utf8' });
    expect(out).toContain(`${ESCAPE} float32 [4] -> output_0.bin`);
    expect(readdirSync(outDir).sort()).toEqual(['output_0.bin', 'output_1.bin']);
    expect(floats(join(outDir, 'output_0.bin'))).toEqual([0, 2, 0, 4]);
    expect(floats(join(outDir, 'output_1.bin'))).toEqual([1, -2, 3, -4]);
    expect(readdirSync(dir).filter((n) => n.includes('escaped'))).toEqual([]);
    expect(existsSync(join(outDir, ESCAPE + '.bin'))).toBe(false);
  });

  it.each([
    ['unknown', ['--input', `x=${x}:float32:4`, '--input', `z=${x}:float32:4`], /unknown --input 'z'/],
    ['duplicate', ['--input', `x=${x}:float32:4`, '--input', `x=${x}:float32:4`], /duplicate --input 'x'/],
    ['missing', [], /missing --input x/],
  ])('rejects %s input names, listing the expected inputs', (_kind, args, message) => {
    const r = spawnSync(TOOL, [so, ...args], { encoding: 'utf8' });
    expect(r.status).toBe(1);
    expect(r.stderr).toMatch(message);
    expect(r.stderr).toMatch(/the model's inputs are: x$/m);
  });
});
