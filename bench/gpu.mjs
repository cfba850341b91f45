// GPU check (scripts/gpu-check.sh): compiles every model of shared/models that kestrel supports
// with --target nvptx (ARCH, default sm_80), runs each on cuda:0 over all its data sets against
// the reference outputs, then prints kestrel's median latency per model (first data set, RUNS
// timed runs after a warm-up). Prints one line per model and a final PASS/FAIL line; exits 1 when
// a model fails to compile, load or match. Usage: node bench/gpu.mjs [RUNS] [ARCH] [--compile-only]
// --compile-only writes the artifacts and stops (on a machine without a GPU); with
// KESTREL_GPU_PREBUILT=1 the artifacts already in the output folder are run as they are (on a GPU
// machine without LLVM: only the runtime addon, dist/ and protobufjs are needed there).
import { mkdirSync, readdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { compile } from '../dist/compiler/driver.js';
import { load } from '../dist/runtime-vm/session.js';
import { compareTensors, dataSetDirs, readDataSet } from '../dist/tools/testdata.js';

const args = process.argv.slice(2).filter((a) => a !== '--compile-only');
const compileOnly = args.length !== process.argv.length - 2;
const prebuilt = process.env.KESTREL_GPU_PREBUILT === '1';
const runs = Number(args[0] ?? 20);
const arch = args[1] ?? 'sm_80';
const shared = process.env.KESTREL_SHARED ?? resolve('..', 'shared');
// Models that fail on every target for now (unsupported ops: KC0301), as in test/gpu/models.ts.
const UNSUPPORTED = new Set(['yolo_tiny', 'unet_tiny', 'resnet18_int8', 'resnet18_int8_qop']);
const out = resolve(process.env.KESTREL_GPU_OUT ?? 'gpu-check-out');
mkdirSync(out, { recursive: true });

const feedsOf = (session, data) =>
  Object.fromEntries(session.inputs.map((io, i) => [io.name, data.inputs[i].tensor]));

async function checkModel(m) {
  const dir = join(shared, 'models', m);
  const so = join(out, `${m}.${arch}.so`);
  const t0 = performance.now();
  if (!prebuilt) await compile(join(dir, 'model.onnx'), { output: so, target: `nvptx:${arch}` });
  const compileS = (performance.now() - t0) / 1000;
  if (compileOnly) return { m, ok: true, sets: 0, bad: [], compileS, median: NaN };
  const session = await load(so, { device: 'cuda:0' });
  try {
    const sets = dataSetDirs(dir);
    const bad = [];
    for (const set of sets) {
      const data = readDataSet(set);
      const res = await session.run(feedsOf(session, data));
      session.outputs.forEach((io, i) => {
        const c = compareTensors(res[io.name], data.outputs[i].tensor);
        if (!c.ok) bad.push(`${set.split('/').pop()} ${io.name}: ${c.message}`);
      });
    }
    const feeds = feedsOf(session, readDataSet(sets[0]));
    await session.run(feeds);
    const times = [];
    for (let i = 0; i < runs; i++) {
      const s = performance.now();
      await session.run(feeds);
      times.push(performance.now() - s);
    }
    times.sort((a, b) => a - b);
    return { m, ok: bad.length === 0, sets: sets.length, bad, compileS, median: times[times.length >> 1] };
  } finally {
    session.dispose();
  }
}

const models = readdirSync(join(shared, 'models'), { withFileTypes: true })
  .filter((d) => d.isDirectory() && !UNSUPPORTED.has(d.name)).map((d) => d.name).sort();
let failed = 0;
console.log(`kestrel on cuda:0, --target nvptx:${arch}, median of ${runs} runs (first data set)`);
for (const m of models) {
  try {
    const r = await checkModel(m);
    if (compileOnly) {
      console.log(`${m.padEnd(18)} compiled in ${r.compileS.toFixed(1)} s`);
      continue;
    }
    if (!r.ok) failed++;
    const verdict = r.ok ? `${r.sets} data sets match` : `MISMATCH ${r.bad.join('; ')}`;
    const ms = r.median.toFixed(3).padStart(9);
    console.log(`${m.padEnd(18)} kestrel ${ms} ms  ${verdict}  (compile ${r.compileS.toFixed(1)} s)`);
  } catch (e) {
    failed++;
    console.log(`${m.padEnd(18)} FAILED ${e.code ?? ''} ${e.message}`);
  }
}
const n = models.length;
console.log(failed ? `FAIL: ${failed} of ${n} models` : `PASS: all ${n} models match`);
process.exit(failed ? 1 : 0);
