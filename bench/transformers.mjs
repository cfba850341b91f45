// Dynamic shapes, measured: one dynamic artifact per model against artifacts compiled for each
// fixed shape, and against onnxruntime-node, in one process, alternating the three.
//   npm run build && node bench/transformers.mjs [--runs 30] [--threads 2]
// Prints medians and the ratios dynamic/static (target <= 1.15) and dynamic/onnxruntime.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ortNoSpinOptions as ortOptions } from './ort-options.mjs';
import { compile, load, Tensor } from '../dist/api.js';
import { opt, shared } from './args.mjs';

const runs = Number(opt('runs', '30'));
const threads = Number(opt('threads', '2'));
const tmp = mkdtempSync(join(tmpdir(), 'kestrel-bench-'));
const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

const MODELS = [
  { name: 'bert_mini', seqs: [16, 37, 128], mask: true },
  { name: 'gpt2_tiny', seqs: [8, 33, 100], mask: false },
];

function feedsFor(model, seq) {
  const ids = BigInt64Array.from({ length: seq }, (_, i) => BigInt((i * 37 + 11) % 1000));
  const feeds = { input_ids: [ids, [1, seq]] };
  if (model.mask) feeds.attention_mask =
    [BigInt64Array.from({ length: seq }, (_, i) => (i < seq - 2 ? 1n : 0n)), [1, seq]];
  return feeds;
}

async function time(fn) { const t0 = performance.now(); await fn(); return performance.now() - t0; }

console.log(`threads ${threads}, ${runs} alternating runs per shape (batch 1)`);
for (const model of MODELS) {
  const onnx = join(shared, 'models', model.name, 'model.onnx');
  const dynPath = join(tmp, `${model.name}.so`);
  await compile(onnx, { output: dynPath });
  const dyn = await load(dynPath, { threads });
  const rt = await ort.InferenceSession.create(onnx, ortOptions(threads));
  for (const seq of model.seqs) {
    const staticPath = join(tmp, `${model.name}_${seq}.so`);
    await compile(onnx, { output: staticPath, fixedDims: { batch: 1, seq } });
    const st = await load(staticPath, { threads });
    const raw = feedsFor(model, seq);
    const k = Object.fromEntries(Object.entries(raw).map(([n, [d, s]]) => [n, new Tensor('int64', d, s)]));
    const o =
      Object.fromEntries(Object.entries(raw).map(([n, [d, s]]) => [n, new ort.Tensor('int64', d, s)]));
    const t = { dyn: [], st: [], ort: [] };
    for (let i = 0; i < 3; i++) { await dyn.run(k); await st.run(k); await rt.run(o); }
    // The order rotates every round, so each variant follows each other one equally often (a run
    // that follows a long one starts with sleeping worker threads).
    const variants = [['dyn', () => dyn.run(k)], ['st', () => st.run(k)], ['ort', () => rt.run(o)]];
    for (let i = 0; i < runs; i++) {
      for (let v = 0; v < 3; v++) {
        const [name, run] = variants[(i + v) % 3];
        t[name].push(await time(run));
      }
    }
    st.dispose();
    const [d, s, r] = [median(t.dyn), median(t.st), median(t.ort)];
    console.log(
      `${model.name.padEnd(10)} seq ${String(seq).padStart(3)}  dynamic ${d.toFixed(3).padStart(8)} ms  ` +
      `static ${s.toFixed(3).padStart(8)} ms  onnxruntime ${r.toFixed(3).padStart(8)} ms  ` +
      `dyn/static ${(d / s).toFixed(2)}  dyn/ort ${(d / r).toFixed(2)}`);
  }
  dyn.dispose();
  await rt.release();
}
