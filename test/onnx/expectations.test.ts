// The conformance test's rules over a report: unlisted failures, lost baseline cases, and known
// failures that pass or no longer exist are each reported; a filtered run checks only its cases.
import { describe, expect, it } from 'vitest';
import { checkResults, parseKnownFailures } from './expectations.js';

const LIST = [
  '# comment',
  'both node/test_a: reason a',
  'dynamic node/test_b: reason b',
  'static node/test_c: reason c',
].join('\n');

describe('conformance expectations', () => {
  it('reads the known failures of one mode (both counts for each)', () => {
    expect([...parseKnownFailures(LIST, 'static').keys()]).toEqual(['node/test_a', 'node/test_c']);
    expect(parseKnownFailures(LIST, 'dynamic').get('node/test_b')).toBe('reason b');
  });

  it('accepts a run whose only failures are listed and whose baseline passes', () => {
    const known = parseKnownFailures(LIST, 'static');
    const cases = [
      { name: 'node/test_a', status: 'FAIL' }, { name: 'node/test_c', status: 'FAIL' },
      { name: 'node/test_d', status: 'PASS' }, { name: 'node/test_e', status: 'SKIP' },
    ];
    expect(checkResults(cases, known, ['node/test_d'])).toEqual({ unexpected: [], lost: [], stale: [] });
  });

  it('reports unlisted failures, lost baseline cases and stale known failures', () => {
    const known = parseKnownFailures(LIST, 'static');
    const cases = [
      { name: 'node/test_a', status: 'PASS' }, { name: 'node/test_d', status: 'FAIL', message: 'mismatch' },
      { name: 'node/test_e', status: 'SKIP' },
    ];
    const p = checkResults(cases, known, ['node/test_a', 'node/test_e']);
    expect(p.unexpected).toEqual(['node/test_d: mismatch']);
    expect(p.lost).toEqual(['node/test_e']);
    expect(p.stale).toEqual([
      'node/test_a: now passes; remove it from test/onnx/known-failures.txt',
      'node/test_c: not found by the run; remove it from test/onnx/known-failures.txt',
    ]);
  });

  it('checks only the selected cases in a filtered run', () => {
    const known = parseKnownFailures(LIST, 'static');
    const cases = [{ name: 'node/test_d', status: 'PASS' }];
    const p = checkResults(cases, known, ['node/test_d', 'node/test_x'], (n) => n === 'node/test_d');
    expect(p).toEqual({ unexpected: [], lost: [], stale: [] });
  });
});
