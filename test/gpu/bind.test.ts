// The block/thread binding of codegen/nvptx/bind.ts keeps each kernel's meaning: the launches of
// a kernel, run one after another with every thread of a grid of T threads executing its launch
// body (threads one at a time, in the reference interpreter), give exactly the outputs of the
// kernel itself — for grids smaller than, equal to and larger than the parallel extent, so the
// grid-stride loop's trip counts, the fused tile loops and the thread-0-only statements are all
// exercised. This is the part of GPU execution that can be checked without a GPU (races are not:
// threads run one at a time here).

import { describe, expect, it } from 'vitest';
import '../../ir/ops/index.js';
import { sym } from '../../ir/dim.js';
import { runKernel } from '../../ir/tir-interp.js';
import type { Attrs } from '../../ir/graph.js';
import type { Kernel } from '../../ir/tir.js';
import * as t from '../../ir/tir-build.js';
import { bindKernel, GPU_NTHREADS, GPU_TID } from '../../codegen/nvptx/bind.js';
import { type InSpec, runOp, tensor } from '../ops/harness.js';

type Case = [string, string, (InSpec | null)[], Attrs];

const CASES: Case[] = [
  ['conv with symbolic batch, h, w', 'conv', [{ ...tensor([2, 3, 7, 19], 3),
    dims: [sym('batch'), 3, sym('h'), sym('w')] }, tensor([4, 3, 3, 3], 5), null],
  { kernel: [3, 3], strides: [2, 2], pads: [0, 0, 0, 0], dilations: [1, 1], group: 1,
    autoPad: 'SAME_UPPER' }],
  ['matmul', 'matmul', [tensor([2, 5, 7], 1), tensor([7, 9], 2)], {}],
  ['softmax', 'softmax', [tensor([2, 3, 11], 3)], { axis: 2, coerce2d: 0 }],
  ['concat (one launch per part)', 'concat', [tensor([2, 3, 5], 1), tensor([2, 4, 5], 2)], { axis: 1 }],
  ['global average pool', 'global_avg_pool', [tensor([2, 3, 5, 7], 4)], {}],
  ['pad2d', 'pad2d', [tensor([1, 2, 4, 14], 4)], { pads: [2, 1, 0, 1], value: 0 }],
];

/** Runs `k`'s launches on grids of `threads` threads over copies of `buffers`. */
function runLaunches(k: Kernel, buffers: readonly Float32Array[], scalars: readonly number[],
  threads: number): Float32Array[] {
  const mem = buffers.map((b) => b.slice());
  for (const l of bindKernel(k)) {
    const lk: Kernel = { name: l.entry, buffers: k.buffers, scalars: [...k.scalars, GPU_TID, GPU_NTHREADS],
      body: l.body };
    for (let tid = 0; tid < threads; tid++) expect(runKernel(lk, mem, [...scalars, tid, threads])).toBe(0);
  }
  return mem;
}

describe('GPU launches compute what their kernel computes', () => {
  for (const [name, op, ins, attrs] of CASES) {
    it(name, () => {
      const r = runOp(op, ins, attrs);
      const k = r.kernel;
      const buffers = r.roles.map((b) => (b.kind === 'in' ? ins[b.index]!.data
        : new Float32Array(r.outputs[b.index]!.length).fill(NaN)));
      for (const threads of [1, 3, 64, 5000]) {
        const mem = runLaunches(k, buffers, r.scalars, threads);
        r.roles.forEach((b, i) => {
          if (b.kind !== 'out') return;
          expect(mem[i], `${threads} threads, output ${b.index}`).toEqual(r.outputs[b.index]);
        });
      }
    });
  }

  it('fuses a serial loop of independent tiles into the grid, and only such a loop', () => {
    const conv = runOp(...CASES[0].slice(1) as [string, (InSpec | null)[], Attrs]).kernel;
    const par = conv.body.kind === 'for' ? conv.body : null;
    expect(par?.loop).toBe('parallel');
    const fused = bindKernel(conv)[0].threads.extent;
    expect(fused).not.toEqual(par!.extent); // the parallel extent times the tiles per row
    // Iterations that read what they write stay one per thread.
    const out = t.buffer('out', 'float32'), p = t.variable('p'), j = t.variable('j');
    const acc = t.store(out, p, t.add(t.load(out, p), t.cast(j, 'float32')));
    const k: Kernel = { name: 'acc', buffers: [out], scalars: [],
      body: t.loop(p, 8, t.loop(j, 5, acc), 'parallel') };
    expect(bindKernel(k)[0].threads.extent).toEqual(t.imm(8));
  });

  it('makes one launch per top-level statement, each without parallel loops', () => {
    const r = runOp('concat', [tensor([2, 3, 5], 1), tensor([2, 4, 5], 2)], { axis: 1 });
    const launches = bindKernel(r.kernel);
    expect(launches.map((l) => l.entry)).toEqual(['concat', 'concat_1']);
    const text = JSON.stringify(launches.map((l) => l.body));
    expect(text).not.toContain('"parallel"');
    expect(launches.every((l) => l.threads.extent !== null)).toBe(true);
  });
});
