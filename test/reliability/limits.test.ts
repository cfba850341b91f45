// The limits on untrusted models and compiles (compiler/limits.ts) have safe defaults and are
// configurable: message nesting (KC0102), subgraph nesting (KC0504), node count (KC0505) and the
// compile's wall-clock time (KC0706: stopped between steps, nothing written). The runtime's
// limits — loop iterations (test/e2e/loop-limits) and session memory (test/vm/lifecycle,
// test/reliability/memory) — are load()/run() options.

import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { importOnnx } from '../../compiler/frontend/onnx/import.js';
import { DEFAULT_LIMITS } from '../../compiler/limits.js';
import '../../ir/ops/index.js'; // the op registry, loaded as the driver loads it
import { attrGraph, encodeModel, FLOAT, node, tinyModel, vi } from '../fixtures/onnx-builder.js';
import { tempDir } from '../helpers/shared.js';
import { errorOf } from './helpers.js';

/** y = x after `depth` nested If nodes whose branches pass x through. */
function nestedIfs(depth: number): Uint8Array {
  let body: Record<string, unknown> = { name: 'leaf', node: [node('Identity', ['x'], ['o0'])],
    output: [vi('o0', FLOAT, [2])] };
  for (let i = 1; i <= depth; i++) {
    body = { name: `b${i}`, output: [vi(`o${i}`, FLOAT, [2])], node: [node('If', ['c'], [`o${i}`],
      [attrGraph('then_branch', body), attrGraph('else_branch', body)], `if${i}`)] };
  }
  return encodeModel({ nodes: (body.node as Record<string, unknown>[]).map((n) => ({ ...n, output: ['y'] })),
    inputs: [vi('x', FLOAT, [2]), vi('c', 9, [])], outputs: [vi('y', FLOAT, [2])] });
}

describe('compile limits: defaults and configuration', () => {
  it('has the documented defaults', () => {
    expect(DEFAULT_LIMITS).toEqual({ maxMessageDepth: 96, maxSubgraphDepth: 32, maxNodes: 1_000_000,
      timeoutMs: 3_600_000 });
  });

  it('subgraph depth: 3 levels pass by default and fail with a limit of 2 (KC0504)', async () => {
    expect(importOnnx(nestedIfs(3)).main.nodes.length).toBeGreaterThan(0);
    const e = await errorOf(() => importOnnx(nestedIfs(3), { limits: { maxSubgraphDepth: 2 } }));
    expect(e.code).toBe('KC0504');
    expect(e.message).toMatch(/deeper than 2 levels/);
  });

  it('message depth and node count are configurable (KC0102, KC0505)', async () => {
    expect((await errorOf(() => importOnnx(tinyModel(), { limits: { maxMessageDepth: 3 } }))).code)
      .toBe('KC0102');
    const e = await errorOf(() => importOnnx(tinyModel(), { limits: { maxNodes: 1 } }));
    expect(e.code).toBe('KC0505');
    expect(importOnnx(tinyModel(), { limits: { maxNodes: 2 } }).main.nodes).toHaveLength(2);
  });

  it('a compile past its time limit stops with KC0706 and writes nothing; then a compile works', async () => {
    const dir = tempDir('kestrel-limits-');
    writeFileSync(join(dir, 'm.onnx'), tinyModel());
    const so = join(dir, 'm.so');
    const e = await errorOf(() => compile(join(dir, 'm.onnx'), { output: so, limits: { timeoutMs: 0 } }));
    expect(e.code).toBe('KC0706');
    expect(e.message).toMatch(/time limit of \d+(\.\d+)? ms; stopped before step \S+, nothing was written/);
    expect(existsSync(so)).toBe(false);
    await compile(join(dir, 'm.onnx'), { output: so, limits: { maxNodes: 10 } });
    expect(existsSync(so)).toBe(true);
  });
});
