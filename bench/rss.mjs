// Resident memory growth after a warm-up (issue 10, must-show 2): N runs of a small model
// (examples/tiny_cnn, batch 1), runs of bert_mini alternating sequence lengths, and load/dispose
// cycles of one artifact, on the Node path (the addon). For each: RSS after the warm-up, after the
// last step, the growth split into the V8 heap's resident pages and everything else (the addon,
// the C runtime, node and glibc's malloc), and the growth at each quarter of the steps, which shows
// whether it levels off. A garbage collection runs before each reading (node --expose-gc, set
// below) so that JS garbage not yet collected is not counted. The artifacts are compiled in a
// child process, so the compiler's memory (freed, then returned to the OS at glibc's whim) is not
// in the figures. Exit status 1 when a growth passes its bound (--check; the bounds: 1 MiB,
// 1 MiB, 5 MiB). --c also measures the same runs on the C API alone (bench/rss-probe.cc, built
// here with the system's c++ against native/build/libkestrel_vm.a), which splits the runtime from
// node. Why the warm-ups are as long as they are: docs/reliability.md "Resident memory".
//   npm run build && npm run rss -- [--small 10000] [--bert 2000] [--cycles 1000] [--check] [--c]
import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import v8 from 'node:v8';
import { load, Tensor } from '../dist/api.js';
import { readDataSet } from '../dist/tools/testdata.js';
import { args, opt, shared } from './args.mjs';

if (typeof globalThis.gc !== 'function') { // re-run with --expose-gc
  const r = spawnSync(process.execPath, ['--expose-gc', ...process.argv.slice(1)], { stdio: 'inherit' });
  process.exit(r.status ?? 1);
}
const dir = mkdtempSync(join(tmpdir(), 'kestrel-rss-'));
const MiB = 2 ** 20;
const mib = (x, digits = 2) => (x / MiB).toFixed(digits);
const v8Resident = () => v8.getHeapSpaceStatistics().reduce((sum, s) => sum + s.physical_space_size, 0);

// V8 grows and shrinks its heap by its own heuristics; a full collection and a few event-loop
// turns (finalisers of native handles run there) before each reading keep that out of the figure.
async function reading() {
  for (let k = 0; k < 3; k++) {
    globalThis.gc();
    await new Promise((r) => setImmediate(r));
  }
  return { rss: process.memoryUsage().rss, v8: v8Resident() };
}

/** Runs `step(i)` warm times, reads RSS, runs it n more times reading at each quarter; prints. */
async function measure(label, n, warm, step, bound) {
  for (let i = 0; i < warm; i++) await step(i);
  const before = await reading();
  const quarters = [];
  for (let q = 1; q <= 4; q++) {
    for (let i = Math.floor(((q - 1) * n) / 4); i < Math.floor((q * n) / 4); i++) await step(warm + i);
    quarters.push(await reading());
  }
  const after = quarters[3];
  const grown = after.rss - before.rss, inV8 = after.v8 - before.v8;
  console.log(`${label}: ${n} after ${warm} warm-up: RSS ${mib(before.rss, 1)} -> ${mib(after.rss, 1)} MiB, `
    + `growth ${mib(grown)} MiB (V8 heap ${mib(inV8)}, the rest ${mib(grown - inV8)}; bound ${bound} MiB); `
    + `at each quarter ${quarters.map((r) => mib(r.rss - before.rss)).join(', ')}`);
  return grown / MiB <= bound;
}

function artifact(model, name) {
  const so = join(dir, `${name}.so`);
  execFileSync(process.execPath, ['dist/compiler/cli.js', 'compile', model, '-o', so], { stdio: 'ignore' });
  return so;
}

const tinySo = artifact('examples/tiny_cnn/model.onnx', 'tiny_cnn');
const bertSo = artifact(join(shared, 'models', 'bert_mini', 'model.onnx'), 'bert_mini');
const seqs = opt('seqs', '16,37,128').split(',').map(Number);
const counts = {
  small: Number(opt('small', '10000')), smallWarm: Number(opt('small-warmup', '20000')),
  bert: Number(opt('bert', '2000')), bertWarm: Number(opt('bert-warmup', '1000')),
  cycles: Number(opt('cycles', '1000')), cyclesWarm: Number(opt('cycles-warmup', '200')),
};
const results = [];
{
  const data = readDataSet(join('examples/tiny_cnn', readdirSync('examples/tiny_cnn')
    .filter((d) => d.startsWith('test_data_set'))[0]));
  const s = await load(tinySo);
  const feeds = Object.fromEntries(s.inputs.map((io, i) => [io.name, data.inputs[i].tensor]));
  results.push(await measure('tiny_cnn runs', counts.small, counts.smallWarm, () => s.run(feeds), 1));
  s.dispose();
}
{
  const s = await load(bertSo);
  const ids = (name, seq) => BigInt64Array.from({ length: seq },
    (_, j) => (name === 'attention_mask' ? 1n : BigInt((j * 7) % 1000)));
  const feedsFor = seqs.map((seq) => Object.fromEntries(s.inputs.map((io) => [io.name,
    new Tensor('int64', ids(io.name, seq), [1, seq])])));
  results.push(await measure(`bert_mini runs alternating seq ${seqs.join('/')}`, counts.bert, counts.bertWarm,
    (i) => s.run(feedsFor[i % seqs.length]), 1));
  s.dispose();
}
results.push(await measure('tiny_cnn load/dispose cycles', counts.cycles, counts.cyclesWarm,
  async () => (await load(tinySo)).dispose(), 5));

if (args.includes('--c')) {
  const probe = join(dir, 'rss-probe');
  execFileSync('c++', ['-O2', '-std=c++17', '-Inative/include', 'bench/rss-probe.cc',
    'native/build/libkestrel_vm.a', '-lpthread', '-ldl', '-o', probe]);
  const c = (so, n, warm, shapes, cycles) => execFileSync(probe,
    [so, String(n), String(warm), shapes, String(cycles)], { encoding: 'utf8' }).trim();
  console.log(`C API, tiny_cnn: ${c(tinySo, counts.small, counts.smallWarm, '1', counts.cycles)}`);
  const bert = c(bertSo, counts.bert, counts.bertWarm, seqs.join(','), 0);
  console.log(`C API, bert_mini seq ${seqs.join('/')}: ${bert}`);
}
if (args.includes('--check') && results.includes(false)) process.exit(1);
