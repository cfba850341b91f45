// The compatibility program (test/ort/program.ts, typed against onnxruntime-node) must also
// type-check with its import changed to kestrel/ort: TypeScript users switch by one import too.
// The check runs the TypeScript compiler on the program's text with the import replaced, in memory;
// a variant with a deliberate mistake must fail, so the check itself is seen to work.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../helpers/shared.js';

const PROGRAM = join(REPO_ROOT, 'test', 'ort', 'program.ts');
const VIRTUAL = join(REPO_ROOT, 'test', 'ort', 'program-with-kestrel.ts');

const parsed = new Map<string, ts.SourceFile | undefined>(); // lib and module files, parsed once

function typeErrors(source: string): string[] {
  const options: ts.CompilerOptions = { strict: true, noEmit: true, skipLibCheck: true,
    module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext,
    target: ts.ScriptTarget.ES2022 };
  const host = ts.createCompilerHost(options);
  const { getSourceFile, fileExists, readFile } = host;
  host.fileExists = (f) => f === VIRTUAL || fileExists(f);
  host.readFile = (f) => (f === VIRTUAL ? source : readFile(f));
  host.getSourceFile = (f, v, ...rest) => {
    if (f === VIRTUAL) return ts.createSourceFile(f, source, v);
    if (!parsed.has(f)) parsed.set(f, getSourceFile(f, v, ...rest));
    return parsed.get(f);
  };
  const program = ts.createProgram([VIRTUAL], options, host);
  return ts.getPreEmitDiagnostics(program).map((d) => ts.flattenDiagnosticMessageText(d.messageText, '\n'));
}

describe('kestrel/ort typings', () => {
  const text = readFileSync(PROGRAM, 'utf8');
  const switched = text.replace("from 'onnxruntime-node'", "from '../../ort/index.js'");

  it('the onnxruntime-node program type-checks with only its import changed', () => {
    expect(switched).not.toBe(text);
    expect(typeErrors(switched)).toEqual([]);
  });

  it('the check catches a program that misuses the API', () => {
    expect(typeErrors(switched.replace('session.inputNames.forEach', 'session.inputNamez.forEach')).length)
      .toBeGreaterThan(0);
  });
});
