// Benchmarks kestrel against onnxruntime-node in the same process, alternating the two, and
// reports the ratio of medians (absolute times on shared machines drift; ratios are stable).
//   npm run bench [-- --models resnet18,mobilenetv2 --runs 20 --threads 2]
// Needs `npm run build` first and the shared models ($KESTREL_SHARED or ../shared).

import { existsSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { ortOptions } from './ort-options.mjs';
import { compile, load } from '../dist/api.js';
import { readDataSet } from '../dist/tools/testdata.js';

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const shared = process.env.KESTREL_SHARED ?? resolve('..', 'shared');
const models = opt('models',
  'resnet18,mobilenetv2,zoo_squeezenet,zoo_shufflenet,zoo_inception_v1').split(',');
const runs = Number(opt('runs', '20'));
const threads = Number(opt('threads', '2'));

const median = (xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1];

async function time(fn) {
  const t0 = performance.now();
  await fn();
  return performance.now() - t0;
}

async function benchModel(name) {
  const dir = join(shared, 'models', name);
  if (!existsSync(dir)) throw new Error(`missing model ${dir}`);
  const so = join(mkdtempSync(join(tmpdir(), 'kestrel-bench-')), `${name}.so`);
  await compile(join(dir, 'model.onnx'), { output: so });
  const session = await load(so, { threads });
  const ortSession = await ort.InferenceSession.create(join(dir, 'model.onnx'),
    ortOptions(threads));
  const set =
    readDataSet(join(dir, readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort()[0]));
  const feeds = Object.fromEntries(session.inputs.map((io, i) => [io.name, set.inputs[i].tensor]));
  const ortFeeds = Object.fromEntries(ortSession.inputNames.map((n, i) => {
    const t = set.inputs[i].tensor;
    return [n, new ort.Tensor(t.type, t.data, t.dims)];
  }));
  const k = [], o = [];
  for (let i = 0; i < 3; i++) { await session.run(feeds); await ortSession.run(ortFeeds); }
  for (let i = 0; i < runs; i++) {
    k.push(await time(() => session.run(feeds)));
    o.push(await time(() => ortSession.run(ortFeeds)));
  }
  session.dispose();
  await ortSession.release();
  const shape = set.inputs[0].tensor.dims.join('x');
  return { name, shape, kestrel: median(k), ort: median(o) };
}

console.log(`threads ${threads}, ${runs} alternating runs each; ratio = kestrel median / onnxruntime median`);
for (const m of models) {
  const r = await benchModel(m);
  console.log(`${r.name.padEnd(18)} ${r.shape.padEnd(14)} kestrel ${r.kestrel.toFixed(2).padStart(8)} ms  ` +
    `onnxruntime ${r.ort.toFixed(2).padStart(8)} ms  ratio ${(r.kestrel / r.ort).toFixed(2)}`);
}
