// External data (RELIABILITY.md §5-7): only regular, singly-linked files inside the model
// directory, reached without symlinks, are read; ranges are checked before reading; unknown keys
// are ignored. The good case reads the right bytes.

import { execFileSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import '../../ir/ops/index.js'; // the op registry, loaded as the driver loads it
import { encodeModel, FLOAT, node, tmpDir, vi } from '../fixtures/onnx-builder.js';

let dir: string;
const WEIGHTS = new Float32Array([1, 2, 3, 4, 5, 6, 7, 8]);

beforeAll(() => {
  dir = tmpDir('extdata');
  fs.writeFileSync(path.join(dir, 'w.bin'), new Uint8Array(WEIGHTS.buffer));
  fs.mkdirSync(path.join(dir, 'sub'));
  fs.writeFileSync(path.join(dir, 'sub/w.bin'), new Uint8Array(WEIGHTS.buffer));
  const outside = tmpDir('outside');
  fs.writeFileSync(path.join(outside, 'secret.bin'), new Uint8Array(WEIGHTS.buffer));
  fs.symlinkSync(path.join(outside, 'secret.bin'), path.join(dir, 'link.bin'));
  fs.symlinkSync(outside, path.join(dir, 'linkdir'));
  fs.linkSync(path.join(outside, 'secret.bin'), path.join(dir, 'hard.bin'));
  fs.mkdirSync(path.join(dir, 'adir'));
  execFileSync('mkfifo', [path.join(dir, 'fifo')]);
});

/** Writes a model whose initializer w (float32[4]) lives in external data; returns its path. */
function modelWith(entries: [string, string][], name = 'model.onnx'): string {
  const bytes = encodeModel({
    nodes: [node('Add', ['x', 'w'], ['y'])], inputs: [vi('x', FLOAT, [4])], outputs: [vi('y', FLOAT, [4])],
    initializers: [{ name: 'w', dims: [4], dataType: FLOAT, dataLocation: 1,
      externalData: entries.map(([key, value]) => ({ key, value })) }],
  });
  const p = path.join(dir, name);
  fs.writeFileSync(p, bytes);
  return p;
}

function codeOf(entries: [string, string][]): string {
  try { importOnnxFile(modelWith(entries)); } catch (e) { return (e as { code?: string }).code ?? String(e); }
  return 'no error';
}

function wValues(p: string): number[] {
  const w = importOnnxFile(p).main.nodes[0]!.inputs[1]!.data!;
  return Array.from(new Float32Array(w.bytes.slice().buffer));
}

describe('external data', () => {
  afterEach(() =>
    { expect(wValues(modelWith([['location', 'w.bin']], 'good.onnx'))).toEqual([1, 2, 3, 4]); });

  it('reads a good location, with offset, and ignores unknown keys', () => {
    expect(wValues(modelWith([['location', 'w.bin']]))).toEqual([1, 2, 3, 4]);
    expect(wValues(modelWith([['location', 'sub/w.bin'], ['offset', '16'], ['length', '16'],
      ['__proto__', 'x'], ['constructor', 'y']]))).toEqual([5, 6, 7, 8]);
    expect(({} as Record<string, unknown>)['x']).toBeUndefined();
  });

  const paths: [string, string, string][] = [
    ['parent', '../x.bin', 'KC0204'], ['nested parent', 'a/../../x.bin', 'KC0204'],
    ['absolute', path.join('/', 'etc', 'passwd'), 'KC0204'], ['empty', '', 'KC0204'],
    ['NUL byte', 'w.bin\0.txt', 'KC0204'], ['final symlink', 'link.bin', 'KC0204'],
    ['symlinked parent', 'linkdir/secret.bin', 'KC0204'], ['hard link', 'hard.bin', 'KC0204'],
    ['directory', 'adir', 'KC0204'], ['FIFO', 'fifo', 'KC0204'], ['/dev/zero', '/dev/zero', 'KC0204'],
    ['/proc/self/mem', '/proc/self/mem', 'KC0204'], ['missing file', 'nope.bin', 'KC0206'],
    ['windows absolute', 'C:\\w.bin', 'KC0204'],
  ];
  for (const [label, loc, code] of paths) {
    it(`rejects location: ${label}`, () => { expect(codeOf([['location', loc]])).toBe(code); });
  }

  const ranges: [string, [string, string][]][] = [
    ['negative offset', [['offset', '-4']]], ['non-numeric offset', [['offset', '1e3']]],
    ['overflowing offset', [['offset', '99999999999999999999']]], ['past EOF', [['offset', '20']]],
    ['length mismatch', [['length', '8']]], ['negative length', [['length', '-16']]],
  ];
  for (const [label, extra] of ranges) {
    it(`rejects range: ${label}`, () => {
      expect(codeOf([['location', 'w.bin'], ...extra])).toBe('KC0205');
    });
  }

  it('needs a model directory when importing from bytes', async () => {
    const { importOnnx } = await import('../../compiler/frontend/onnx/import.js');
    const bytes = fs.readFileSync(modelWith([['location', 'w.bin']]));
    expect(() => importOnnx(bytes)).toThrow(/KC0204/);
    expect(wValues(modelWith([['location', 'w.bin']]))).toEqual([1, 2, 3, 4]);
  });
});
