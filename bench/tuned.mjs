// A tuning log's effect on one model: the artifact compiled with the log's best schedules against
// the untuned artifact and onnxruntime-node (default session options), in one process, in
// alternating blocks of runs (bench/measure.mjs), as medians and ratios.
//   node bench/tuned.mjs --model resnet18 --tuning-log tune.jsonl [--threads 2] [--budget SECONDS]
// Needs `npm run build` first and the shared models ($KESTREL_SHARED or ../shared).

import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { bestSchedules, compile, hostTarget, load, loadLog } from '../dist/api.js';
import { readDataSet } from '../dist/tools/testdata.js';
import { measureCase } from './measure.mjs';
import { ortDefaultOptions } from './ort-options.mjs';
import { opt, shared } from './args.mjs';

const name = opt('model', 'resnet18');
const log = opt('tuning-log');
if (!log) throw new Error('--tuning-log FILE is required');
const threads = Number(opt('threads', '2'));
const dir = join(shared, 'models', name);
const model = join(dir, 'model.onnx');
const schedules = bestSchedules(loadLog(log).records, hostTarget());
const tmp = mkdtempSync(join(tmpdir(), 'kestrel-tuned-'));
try {
  await compile(model, { output: join(tmp, 'untuned.so') });
  await compile(model, { output: join(tmp, 'tuned.so'), schedules });
  const untuned = await load(join(tmp, 'untuned.so'), { threads });
  const tuned = await load(join(tmp, 'tuned.so'), { threads });
  const ortSession = await ort.InferenceSession.create(model, ortDefaultOptions(threads));
  const first = readdirSync(dir).filter((d) => d.startsWith('test_data_set_')).sort()[0];
  const set = readDataSet(join(dir, first));
  const feeds = Object.fromEntries(untuned.inputs.map((io, i) => [io.name, set.inputs[i].tensor]));
  const ortFeeds = Object.fromEntries(ortSession.inputNames.map((n, i) => {
    const t = set.inputs[i].tensor;
    return [n, new ort.Tensor(t.type, t.data, t.dims)];
  }));
  const r = await measureCase([
    { name: 'untuned', run: () => untuned.run(feeds) },
    { name: 'tuned', run: () => tuned.run(feeds) },
    { name: 'ort', run: () => ortSession.run(ortFeeds) },
  ], { block: 5, gapMs: 50, budgetMs: 1000 * Number(opt('budget', '30')) });
  const m = r.quiet;
  console.log(`${name}: ${schedules.length} tuned workloads, ${r.runs} runs each, threads ${threads}`);
  console.log(`untuned ${m.untuned.toFixed(2)} ms  tuned ${m.tuned.toFixed(2)} ms  `
    + `onnxruntime ${m.ort.toFixed(2)} ms`);
  console.log(`tuned over untuned ${(m.untuned / m.tuned).toFixed(2)}x  tuned over onnxruntime `
    + `${(m.ort / m.tuned).toFixed(2)}x  untuned over onnxruntime ${(m.ort / m.untuned).toFixed(2)}x`);
  untuned.dispose();
  tuned.dispose();
  await ortSession.release();
} finally {
  rmSync(tmp, { recursive: true, force: true });
}
