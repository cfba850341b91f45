// Run-time inputs on a compiled model (RELIABILITY.md §15) and concurrency (§20): every bad feed
// fails with its code and names the input and what was expected, and the next good run of the same
// session is correct; 8 runs in flight on one session and 4 worker threads x 50 runs give results
// bit-identical to serial runs.

import { Worker } from 'node:worker_threads';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { load, type Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { FLOAT, node, vi } from '../fixtures/onnx-builder.js';
import { f32, floats } from '../helpers/models.js';
import { REPO_ROOT } from '../helpers/shared.js';
import { compileSpec, failsThenWorks } from './helpers.js';

let so = '';
let s: Session;
beforeAll(async () => {
  so = await compileSpec('add_mul', {
    nodes: [node('Add', ['a', 'b'], ['t'], [], 'add_1'), node('Mul', ['t', 'a'], ['y'], [], 'mul_1')],
    inputs: [vi('a', FLOAT, ['batch', 4]), vi('b', FLOAT, ['batch', 4])],
    outputs: [vi('y', FLOAT, ['batch', 4])],
  });
  s = await load(so);
});
afterAll(() => s?.dispose());

const seq = (n: number, k = 1) => Array.from({ length: n }, (_, i) => (i * k) % 7 - 3);
const good = async () => {
  const out = await s.run({ a: f32([2, 4], seq(8)), b: f32([2, 4], seq(8, 3)) });
  expect(floats(out.y)).toEqual(seq(8).map((a, i) => Math.fround((a + seq(8, 3)[i]!) * a)));
};

describe('§15 bad feeds on a compiled model', () => {
  const a = f32([2, 4], seq(8)), b = f32([2, 4], seq(8));
  const cases: [string, () => Promise<unknown>, string, RegExp][] = [
    ['a missing input', () => s.run({ a }), 'KR0101', /missing input\(s\) 'b'.*a: float32\[batch, 4\]/],
    ['an unknown input', () => s.run({ a, b, c: a }), 'KR0101', /unknown input\(s\) 'c'/],
    ['a wrong dtype', () => s.run({ a, b: new Tensor('int32', new Int32Array(8), [2, 4]) }), 'KR0102',
      /input 'b' has dtype int32, expected float32/],
    ['a wrong rank', () => s.run({ a, b: f32([8], seq(8)) }), 'KR0103', /input 'b' has rank 1/],
    ['a wrong static dim', () => s.run({ a: f32([4, 2], seq(8)), b }), 'KR0103', /input 'a'/],
    ['inconsistent symbolic dims', () => s.run({ a, b: f32([4, 4], seq(16)) }), 'KR0104',
      /input 'b': symbol 'batch' is 4 here but 2 in input 'a'/],
    ['data shorter than dims',
      async () => s.run({ a, b: new Tensor('float32', new Float32Array(7), [2, 4]) }), 'KR0105', /7.*8|8.*7/],
  ];
  for (const [label, bad, code, naming] of cases) {
    it(`${label}: ${code}, then a good run`, async () => { await failsThenWorks(bad, code, naming, good); });
  }
});

describe('§20 concurrency', () => {
  const feeds = (i: number) => ({ a: f32([1 + (i % 3), 4], seq(4 + 4 * (i % 3), i)),
    b: f32([1 + (i % 3), 4], seq(4 + 4 * (i % 3), i + 1)) });

  it('8 runs in flight on one session equal serial runs', async () => {
    const serial: number[][] = [];
    for (let i = 0; i < 8; i++) serial.push(floats((await s.run(feeds(i))).y));
    const parallel = await Promise.all(Array.from({ length: 8 }, (_, i) => s.run(feeds(i))));
    expect(parallel.map((o) => floats(o.y))).toEqual(serial);
  });

  it('4 worker threads x 50 runs equal serial runs', async () => {
    const serial: number[][] = [];
    for (let i = 0; i < 50; i++) serial.push(floats((await s.run(feeds(i))).y));
    const src = `
      const { parentPort, workerData } = require('node:worker_threads');
      import(workerData.runtime).then(async ({ load, Tensor }) => {
        const s = await load(workerData.so);
        const seq = (n, k) => Array.from({ length: n }, (_, i) => (i * k) % 7 - 3);
        const f = (d, v) => new Tensor('float32', Float32Array.from(v), d);
        const out = [];
        for (let i = 0; i < 50; i++) {
          const n = 1 + (i % 3);
          const r = await s.run({ a: f([n, 4], seq(4 * n, i)), b: f([n, 4], seq(4 * n, i + 1)) });
          out.push(Array.from(r.y.data));
        }
        s.dispose();
        parentPort.postMessage(out);
      });`;
    const runtime = join(REPO_ROOT, 'dist', 'runtime-vm', 'index.js');
    const one = () => new Promise<number[][]>((resolve, reject) => {
      const w = new Worker(src, { eval: true, workerData: { runtime, so } });
      w.on('message', (m: number[][]) => { resolve(m); void w.terminate(); });
      w.on('error', reject);
    });
    const results = await Promise.all([one(), one(), one(), one()]);
    for (const r of results) expect(r).toEqual(serial);
  });
});
