// Resident memory over many runs of one dynamic artifact with changing shapes: prints RSS after
// run 100 and after the last run. Flat means the storage pool reuses memory across shapes.
//   npm run build && node bench/rss.mjs [--model bert_mini] [--runs 2000]
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compile, load, Tensor } from '../dist/api.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const model = opt('model', 'bert_mini');
const runs = Number(opt('runs', '2000'));
const seqs = (opt('seqs', '16,37,128')).split(',').map(Number);
const shared = process.env.KESTREL_SHARED ?? resolve('..', 'shared');
const so = join(mkdtempSync(join(tmpdir(), 'kestrel-rss-')), `${model}.so`);
await compile(join(shared, 'models', model, 'model.onnx'), { output: so });
const session = await load(so);
const mib = () => (process.memoryUsage().rss / 2 ** 20).toFixed(1);
for (let i = 1; i <= runs; i++) {
  const seq = seqs[i % seqs.length];
  const feeds = {};
  for (const io of session.inputs) {
    const data = BigInt64Array.from({ length: seq },
      (_, j) => (io.name === 'attention_mask' ? 1n : BigInt((j * 7 + i) % 1000)));
    feeds[io.name] = new Tensor('int64', data, [1, seq]);
  }
  await session.run(feeds);
  if (i === 100) console.log(`RSS after run ${i}: ${mib()} MiB`);
}
console.log(`RSS after run ${runs}: ${mib()} MiB`);
session.dispose();
