// The graph-IR text over the ONNX conformance models (shared/onnx-tests/node): every model the
// frontend imports, in static and dynamic-shape mode, prints as text that parses back (each node
// rebuilt and type-checked through the op registry) and prints the same again. This is where a
// new op, attribute kind or type form that the printer or parser does not cover shows up.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { parseFunc } from '../../ir/parse.js';
import { printFunc } from '../../ir/print.js';
import { sharedDir } from '../fixtures/onnx-builder.js';

const DIR = join(sharedDir(), 'onnx-tests', 'node');

describe('graph-IR text over the conformance models', () => {
  for (const dynamic of [false, true]) {
    it(`${dynamic ? 'dynamic' : 'static'} shapes: print(parse(print(graph))) is the same text`, () => {
      const failures: string[] = [];
      let checked = 0;
      for (const name of readdirSync(DIR).sort()) {
        let text: string;
        try {
          text = printFunc(importOnnx(readFileSync(join(DIR, name, 'model.onnx')), { dynamic }).main);
        } catch {
          continue; // not imported (unsupported ops): the conformance baselines track those
        }
        if (text.includes('= const digest ')) continue; // elided data (ir/const-text.ts) cannot parse
        checked++;
        try {
          if (printFunc(parseFunc(text)) !== text) failures.push(`${name}: the text differs`);
        } catch (e) {
          failures.push(`${name}: ${(e as Error).message}`);
        }
      }
      expect(checked).toBeGreaterThan(1000);
      expect(failures).toEqual([]);
    });
  }
});
