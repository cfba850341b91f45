// Benchmarks kestrel against onnxruntime-node on lstm_2layer (2 LSTM layers, hidden 128) at
// sequence 200, in the same process, alternating the two, and reports the ratio of medians.
//   node bench/lstm.mjs [--seq 200 --batches 1,3 --runs 30 --threads 2]
// Batch 1 and the data sets' batch (3); inputs are deterministic pseudo-random values.
// Needs `npm run build` first and the shared models ($KESTREL_SHARED or ../shared).

import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ortNoSpinOptions as ortOptions } from './ort-options.mjs';
import { compile, load, Tensor } from '../dist/api.js';
import { opt, shared } from './args.mjs';

const seq = Number(opt('seq', '200'));
const batches = opt('batches', '1,3').split(',').map(Number);
const runs = Number(opt('runs', '30'));
const threads = Number(opt('threads', '2'));
// Runs alternate back to back, as in the other benches (onnxruntime's spinning is off: see
// ort-options.mjs). --gap N pauses N ms before each timed run: both runtimes then start from
// sleeping threads, which on these virtual machines costs each run a few milliseconds.
const gap = Number(opt('gap', '0'));
const pause = () => new Promise((res) => setTimeout(res, gap));

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function time(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

function input(batch) {
  const data = new Float32Array(batch * seq * 64);
  let s = 12345;
  for (let i = 0; i < data.length; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    data[i] = (s / 2 ** 32) * 2 - 1;
  }
  return data;
}

const dir = join(shared, 'models', 'lstm_2layer');
if (!existsSync(dir)) throw new Error(`missing model ${dir}`);
const so = join(mkdtempSync(join(tmpdir(), 'kestrel-bench-')), 'lstm_2layer.so');
await compile(join(dir, 'model.onnx'), { output: so });
const session = await load(so, { threads });
const ortSession = await ort.InferenceSession.create(join(dir, 'model.onnx'),
  ortOptions(threads));

console.log(`lstm_2layer, threads ${threads}, ${runs} alternating runs each (${gap} ms apart); `
  + 'ratio = kestrel median / onnxruntime median');
for (const batch of batches) {
  const data = input(batch), dims = [batch, seq, 64];
  const feeds = { [session.inputs[0].name]: new Tensor('float32', data, dims) };
  const ortFeeds = { [ortSession.inputNames[0]]: new ort.Tensor('float32', data, dims) };
  const a = (await session.run(feeds)).y.data, b = (await ortSession.run(ortFeeds)).y.data;
  const err = a.reduce((m, v, i) => Math.max(m, Math.abs(v - b[i])), 0);
  const k = [], o = [];
  for (let i = 0; i < 3; i++) { await session.run(feeds); await ortSession.run(ortFeeds); }
  for (let i = 0; i < runs; i++) {
    await pause();
    k.push(await time(() => session.run(feeds)));
    await pause();
    o.push(await time(() => ortSession.run(ortFeeds)));
  }
  const km = median(k), om = median(o);
  console.log(`${dims.join('x').padEnd(12)} kestrel ${km.toFixed(3).padStart(8)} ms  ` +
    `onnxruntime ${om.toFixed(3).padStart(8)} ms  ratio ${(km / om).toFixed(2)}  ` +
    `max|diff| ${err.toExponential(1)}`);
}
session.dispose();
await ortSession.release();
