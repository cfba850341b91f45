// External data (RELIABILITY.md §5-7): only regular, singly-linked files inside the model
// directory, reached without symlinks, are read; ranges are checked before reading; unknown keys
// are ignored. The good case reads the right bytes.

import * as fs from 'node:fs';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { importOnnxFile } from '../../compiler/frontend/onnx/import.js';
import '../../ir/ops/index.js'; // the op registry, loaded as the driver loads it
import {
  BAD_LOCATIONS, BAD_RANGES, externalModel, makeExternalDataDir,
} from '../fixtures/external-data-dir.js';

let dir: string;
beforeAll(() => { dir = makeExternalDataDir().dir; });

const modelWith = (entries: [string, string][], name?: string) => externalModel(dir, entries, name);

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

  for (const [label, loc, code] of BAD_LOCATIONS) {
    it(`rejects location: ${label}`, () => { expect(codeOf([['location', loc]])).toBe(code); });
  }

  for (const [label, extra] of BAD_RANGES) {
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
