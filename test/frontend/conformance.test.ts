// The conformance runner's parts: case discovery, data-set ordering, output comparison (tolerance,
// NaN, shapes, dtypes, exact ints), result/skip mapping, the report, and the process pool with a
// stub worker that passes, fails, skips, crashes and hangs.

import * as path from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  compareFloats, compareOutput, dataSets, errorResult, findCases, makeReport, parseArgs, runPool,
  summaryLine,
} from '../../tools/conformance.js';
import type { NamedConst } from '../../compiler/frontend/onnx/tensor.js';
import { sharedDir } from '../fixtures/onnx-builder.js';

const f32 = (name: string, shape: number[], v: number[]): NamedConst =>
  ({ name, dtype: 'float32', shape, bytes: new Uint8Array(Float32Array.from(v).buffer) });

describe('case discovery', () => {
  it('finds cases under a directory and a directory that is itself a case', () => {
    const node = path.join(sharedDir(), 'onnx-tests/node');
    const cases = findCases([node], /test_abs$|test_relu$/);
    expect(cases.map((c) => c.name)).toEqual(['node/test_abs', 'node/test_relu']);
    expect(findCases([path.join(node, 'test_abs')]).map((c) => c.name)).toEqual(['test_abs']);
    const ds = dataSets(cases[0]!.dir);
    expect(ds.length).toBeGreaterThan(0);
    expect(path.basename(ds[0]!.inputs[0]!)).toBe('input_0.pb');
  });
});

describe('comparison', () => {
  it('applies 1e-4 + 1e-3 * max|ref|', () => {
    expect(compareFloats('y', [100.05], [100])).toBeUndefined();
    expect(compareFloats('y', [100.2], [100])).toMatch(/max err .* tolerance 0\.1001/);
  });
  it('widens the rule by two units in the last place of a bfloat16/float8 output', () => {
    // bfloat16 at 0.66: one unit is 2^-8; two pass, three fail; float32 keeps the plain rule.
    const u = 2 ** -8;
    expect(compareFloats('y', [0.66 + 2 * u], [0.66], 'bfloat16')).toBeUndefined();
    expect(compareFloats('y', [0.66 + 3 * u], [0.66], 'bfloat16')).toMatch(/mismatch/);
    expect(compareFloats('y', [0.66 + 2 * u], [0.66], 'float32')).toMatch(/mismatch/);
    // float8e4m3fn at 100 (exponent 6, 3 mantissa bits): one unit is 8.
    expect(compareFloats('y', [112], [96], 'float8e4m3fn')).toBeUndefined();
    expect(compareFloats('y', [128], [96], 'float8e4m3fn')).toMatch(/mismatch/);
  });
  it('NaN must match NaN and infinities must be equal', () => {
    expect(compareFloats('y', [NaN, Infinity], [NaN, Infinity])).toBeUndefined();
    expect(compareFloats('y', [1], [NaN])).toMatch(/NaN/);
    expect(compareFloats('y', [-Infinity], [Infinity])).toMatch(/mismatch/);
  });
  it('checks dtype, shape and exact integers', () => {
    const ref = f32('y', [2], [1, 2]);
    expect(compareOutput('y', { dtype: 'float32', dims: [2], data: new Float32Array([1, 2]) },
      ref)).toBeUndefined();
    expect(compareOutput('y', { dtype: 'float64', dims: [2], data: new Float64Array([1, 2]) },
      ref)).toMatch(/dtype/);
    expect(compareOutput('y', { dtype: 'float32', dims: [1, 2], data: new Float32Array([1, 2]) },
      ref)).toMatch(/shape/);
    const iref: NamedConst = { name: 'i', dtype: 'int64', shape: [2],
      bytes: new Uint8Array(new BigInt64Array([1n, 2n]).buffer) };
    expect(compareOutput('i', { dtype: 'int64', dims: [2], data: new BigInt64Array([1n, 2n]) },
      iref)).toBeUndefined();
    expect(compareOutput('i', { dtype: 'int64', dims: [2], data: new BigInt64Array([1n, 3n]) },
      iref)).toMatch(/differs at 1/);
  });
  it('maps KC0301 to SKIP with the ops, other errors to FAIL', () => {
    const skip = errorResult('c',
      { code: 'KC0301', message: 'x', details: { unsupported: [{ op: 'Loop' }, { op: 'Loop' }] } });
    expect(skip).toMatchObject({ status: 'SKIP', message: 'unsupported Loop', unsupported: ['Loop'] });
    const why = errorResult('c', { code: 'KC0301', message: 'x',
      details: { unsupported: [{ op: 'Resize', reason: 'Resize with antialias = 1' }] } });
    expect(why.message).toBe('unsupported Resize: Resize with antialias = 1');
    expect(errorResult('c', { code: 'KC0402', message: 'KC0402: bad' })).toMatchObject({ status: 'FAIL' });
  });
});

describe('runner', () => {
  it('parses arguments', () => {
    const a = parseArgs(['d1', '--dynamic', '--report', 'r.json', '--filter', 'abs', 'd2']);
    expect(a).toMatchObject({ dirs: ['d1', 'd2'], dynamic: true, report: 'r.json', jobs: 2 });
    expect(() => parseArgs([])).toThrow(/usage/);
  });

  it('isolates crashes and hangs in a pool of 2', async () => {
    const names = ['a_pass', 'b_fail', 'c_crash', 'd_skip', 'e_hang', 'f_pass'];
    const workerScript = path.resolve(path.dirname(fileURLToPath(import.meta.url)),
      '../fixtures/stub-worker.mjs');
    const results = await runPool(names.map((name) => ({ name, dir: '/nonexistent' })),
      { jobs: 2, timeoutMs: 1500, dynamic: false, workerScript });
    expect(results.map((r) => r.status)).toEqual(['PASS', 'FAIL', 'FAIL', 'SKIP', 'FAIL', 'PASS']);
    expect(results[2]!.message).toMatch(/crashed/);
    expect(results[4]!.message).toMatch(/timeout/);
    expect(summaryLine(results)).toBe('2 passed, 3 failed, 1 skipped');
    expect(makeReport(results)['unsupported']).toEqual({ Foo: ['d_skip'] });
  }, 20000);
});
