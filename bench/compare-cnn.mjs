// Whole-model comparison of kestrel and onnxruntime-node as users run it (default session
// options: spinning on), same process, alternating blocks of runs; optionally beside a busy
// neighbour (a CPU-bound shell loop on one core, started here and always killed on exit).
//   node bench/compare-cnn.mjs [--models a,b] [--rounds 6] [--block 5] [--threads 2] [--busy]
// Prints per model the medians, speedup = onnxruntime median / kestrel median.
// Needs `npm run build` first and the shared models ($KESTREL_SHARED or ../shared).

import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compile, load } from '../dist/api.js';
import { readDataSet } from '../dist/tools/testdata.js';
import { args, opt, shared } from './args.mjs';

const models = opt('models', 'mobilenetv2,zoo_shufflenet,zoo_squeezenet,resnet18').split(',');
const rounds = Number(opt('rounds', '6'));
const block = Number(opt('block', '5'));
const threads = Number(opt('threads', '2'));
const busy = args.includes('--busy');

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

let neighbour = null;
function startNeighbour() {
  neighbour = spawn('sh', ['-c', 'while :; do :; done'], { stdio: 'ignore' });
}
function stopNeighbour() {
  if (neighbour && neighbour.exitCode === null) neighbour.kill('SIGKILL');
  neighbour = null;
}
process.on('exit', stopNeighbour);
for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => { stopNeighbour(); process.exit(1); });

async function timeBlock(run, out) {
  for (let i = 0; i < block; i++) {
    const t0 = performance.now();
    await run();
    out.push(performance.now() - t0);
  }
}

async function sessions(name) {
  const dir = join(shared, 'models', name);
  const so = join(mkdtempSync(join(tmpdir(), 'kestrel-cmp-')), `${name}.so`);
  await compile(join(dir, 'model.onnx'), { output: so });
  const k = await load(so, { threads });
  const o = await ort.InferenceSession.create(join(dir, 'model.onnx'), { intraOpNumThreads: threads });
  const first = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort()[0];
  const set = readDataSet(join(dir, first));
  const kf = Object.fromEntries(k.inputs.map((io, i) => [io.name, set.inputs[i].tensor]));
  const of = Object.fromEntries(o.inputNames.map((n, i) => {
    const t = set.inputs[i].tensor;
    return [n, new ort.Tensor(t.type, t.data, t.dims)];
  }));
  return { k, o, runK: () => k.run(kf), runO: () => o.run(of) };
}

async function measure(s) {
  for (let i = 0; i < 3; i++) { await s.runK(); await s.runO(); }
  const k = [], o = [];
  for (let r = 0; r < rounds; r++) {
    // Alternate which runtime goes first so neither always follows the other's spinning threads.
    if (r % 2 === 0) { await timeBlock(s.runK, k); await timeBlock(s.runO, o); }
    else { await timeBlock(s.runO, o); await timeBlock(s.runK, k); }
  }
  return { k: median(k), o: median(o) };
}

console.log(`threads ${threads}, ${rounds} rounds x ${block} runs, onnxruntime default options` +
  `${busy ? ', one busy neighbour' : ''}; speedup = onnxruntime / kestrel`);
for (const m of models) {
  const s = await sessions(m);
  if (busy) startNeighbour();
  const r = await measure(s);
  stopNeighbour();
  s.k.dispose();
  await s.o.release();
  console.log(`${m.padEnd(16)} kestrel ${r.k.toFixed(2).padStart(7)} ms  onnxruntime ` +
    `${r.o.toFixed(2).padStart(7)} ms  speedup ${(r.o / r.k).toFixed(2)}`);
}
