// Resident memory growth after a warm-up (issue 10, must-show 2): N runs of a small model
// (examples/tiny_cnn, batch 1), runs of bert_mini alternating sequence lengths, and load/dispose
// cycles of one artifact. Prints, for each, RSS after the warm-up, after the last step, and the
// growth; a garbage collection runs before each reading (node --expose-gc, set below) so that JS
// garbage not yet collected is not counted as growth. Exit status 1 when a growth passes its bound
// (--check; the bounds: 1 MiB, 1 MiB, 5 MiB).
//   npm run build && npm run rss -- [--small 10000] [--bert 2000] [--cycles 1000] [--check]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compile, load, Tensor } from '../dist/api.js';
import { readDataSet } from '../dist/tools/testdata.js';
import { args, opt, shared } from './args.mjs';

if (typeof globalThis.gc !== 'function') { // re-run with --expose-gc
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const dir = mkdtempSync(join(tmpdir(), 'kestrel-rss-'));
const MiB = 2 ** 20;

// V8 grows and shrinks its heap by its own heuristics; a full collection and a few event-loop
// turns (finalisers of native handles run there) before each reading keep that out of the figure.
async function rss() {
  for (let k = 0; k < 3; k++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  return process.memoryUsage().rss;
}

/** Runs `step(i)` warm times, reads RSS, runs it n more times, reads RSS; prints and returns growth. */
async function measure(label, n, warm, step, bound) {
  for (let i = 0; i < warm; i++) await step(i);
  const before = await rss();
  for (let i = 0; i < n; i++) await step(warm + i);
  const after = await rss();
  const grown = (after - before) / MiB;
  const mib = (x) => (x / MiB).toFixed(1);
  console.log(`${label}: ${n} after ${warm} warm-up: RSS ${mib(before)} -> ${mib(after)} MiB, `
    + `growth ${grown.toFixed(2)} MiB (bound ${bound} MiB)`);
  return grown <= bound;
}

async function artifact(model, name) {
  const so = join(dir, `${name}.so`);
  await compile(model, { output: so });
  return so;
}

const results = [];
const tinySo = await artifact('examples/tiny_cnn/model.onnx', 'tiny_cnn');
{
  const data = readDataSet(join('examples/tiny_cnn', readdirSync('examples/tiny_cnn')
    .filter((d) => d.startsWith('test_data_set'))[0]));
  const s = await load(tinySo);
  const feeds = Object.fromEntries(s.inputs.map((io, i) => [io.name, data.inputs[i].tensor]));
  results.push(await measure('tiny_cnn runs', Number(opt('small', '10000')),
    Number(opt('small-warmup', '5000')), () => s.run(feeds), 1));
  s.dispose();
}
{
  const s = await load(await artifact(join(shared, 'models', 'bert_mini', 'model.onnx'), 'bert_mini'));
  const seqs = opt('seqs', '16,37,128').split(',').map(Number);
  const ids = (name, seq) => BigInt64Array.from({ length: seq },
    (_, j) => (name === 'attention_mask' ? 1n : BigInt((j * 7) % 1000)));
  const feedsFor = seqs.map((seq) => Object.fromEntries(s.inputs.map((io) => [io.name,
    new Tensor('int64', ids(io.name, seq), [1, seq])])));
  results.push(await measure(`bert_mini runs alternating seq ${seqs.join('/')}`, Number(opt('bert', '2000')),
    Number(opt('bert-warmup', '500')), (i) => s.run(feedsFor[i % seqs.length]), 1));
  s.dispose();
}
results.push(await measure('tiny_cnn load/dispose cycles', Number(opt('cycles', '1000')),
  Number(opt('cycles-warmup', '200')), async () => (await load(tinySo)).dispose(), 5));
if (args.includes('--check') && results.includes(false)) process.exit(1);
