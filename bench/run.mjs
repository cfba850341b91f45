// kestrel against onnxruntime-node on every model in <shared>/models (bench/cases.mjs), in one
// process: kestrel; onnxruntime with default session options (only intraOpNumThreads set, so its
// threads spin between runs, as users run it); and onnxruntime with spinning off (a second
// column). Alternating blocks of runs, warm-up first, medians (bench/measure.mjs). Before the
// models, the machine's FMA peak is measured (bench/fma-peak.cc), and conv/matmul models get
// their achieved GFLOP/s against it (FLOPs counted from the model: bench/flops.mjs).
//   npm run bench [-- --models resnet18,bert_mini] [--runs N] [--threads 2] [--budget SECONDS]
//                 [--neighbour] [--markdown FILE] [--note FILE]
// --runs N fixes the timed runs per runtime (default: chosen per case from a first timing, about
// --budget seconds of timed runs per case, 30 by default and 25 with --neighbour).
// --neighbour also times every case beside one CPU-bound process and prints slowdowns.
// --markdown FILE writes the tables, the machine and the peak as Markdown; --note FILE adds that
// file's text under the title. docs/performance.md is made by
//   npm run bench -- --neighbour --markdown docs/performance.md --note bench/performance-note.md
// A case kestrel cannot compile, load or run gets a row with the error code instead of times.
// Needs `npm run build` first, g++, and the shared models ($KESTREL_SHARED or ../shared).

import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { compile, load } from '../dist/api.js';
import { compareTensors, readDataSet } from '../dist/tools/testdata.js';
import { benchCases } from './cases.mjs';
import { countFlops } from './flops.mjs';
import { measureCase, Neighbour } from './measure.mjs';
import { ortDefaultOptions, ortNoSpinOptions } from './ort-options.mjs';
import { describePeak, measurePeak, peakAt } from './peak.mjs';
import { loadAverage, machineInfo, writeMarkdown } from './report.mjs';
import { mainColumns, neighbourColumns, summary, textTable } from './table.mjs';
import { args, opt, shared } from './args.mjs';

if (args.includes('--help') || args.includes('-h')) {
  console.log(`usage: npm run bench -- [--models a,b] [--runs N] [--threads 2] [--budget SECONDS]
                     [--gap MS] [--neighbour] [--markdown FILE] [--note FILE]
  --models a,b     only these models of <shared>/models (default: every case of bench/cases.mjs)
  --runs N         timed runs per runtime (default: about --budget seconds per case)
  --budget S       seconds of timed runs per case (30; 25 with --neighbour)
  --threads N      threads for both runtimes (2)
  --gap MS         idle time before each block of runs (50: longer than onnxruntime's spinning
                   after a run, so no block is timed against the other runtime's spinning threads)
  --neighbour      also time every case beside one CPU-bound process; print slowdowns
  --markdown FILE  write the tables, the machine and the peak as Markdown
  --note FILE      put that file's text under the Markdown title`);
  process.exit(0);
}
const known = new Set(['--models', '--runs', '--threads', '--budget', '--gap', '--neighbour', '--markdown',
  '--note']);
const unknown = args.filter((a) => a.startsWith('-') && !known.has(a));
if (unknown.length) {
  console.error(`bench: unknown option ${unknown.join(', ')} (see --help)`);
  process.exit(2);
}
const threads = Number(opt('threads', '2'));
const neighbourMode = args.includes('--neighbour');
const opts = {
  block: 5,
  gapMs: Number(opt('gap', '50')),
  runs: opt('runs') ? Number(opt('runs')) : undefined,
  budgetMs: 1000 * Number(opt('budget', neighbourMode ? '25' : '30')),
};
const tmp = mkdtempSync(join(tmpdir(), 'kestrel-bench-'));

/** A KestrelError's code and first line; anything else as `error`. */
function failure(stage, e) {
  const message = String(e?.message ?? e).split('\n')[0].replace(/^K[CR]\d{4}:\s*/, '');
  const short = message.length > 90 ? `${message.slice(0, 87)}...` : message;
  return { stage, code: e?.code ?? 'error', message: short };
}

/** Whether kestrel's outputs match the data set's reference outputs (kestrel's float rule). */
function checkOutputs(session, out, set) {
  const bad = set.outputs.filter((ref, i) => !compareTensors(out[session.outputs[i].name], ref.tensor).ok);
  return bad.length ? `MISMATCH ${bad.map((b) => b.name).join(',')}` : 'ok';
}

async function ortSession(onnx, options, set) {
  const s = await ort.InferenceSession.create(onnx, options);
  const feeds = Object.fromEntries(s.inputNames.map((n, i) => {
    const t = set.inputs[i].tensor;
    return [n, new ort.Tensor(t.type, t.data, t.dims)];
  }));
  return { s, run: () => s.run(feeds) };
}

/** Compiles (once per model), loads and checks kestrel; a failure comes back as `error`. */
async function kestrelSession(c, set, compiled) {
  const so = join(tmp, `${c.model}.so`);
  let stage = 'compile';
  try {
    if (!compiled.has(c.model)) compiled.set(c.model, compile(c.onnx, { output: so }));
    await compiled.get(c.model);
    stage = 'load';
    const s = await load(so, { threads });
    stage = 'run';
    const feeds = Object.fromEntries(s.inputs.map((io, i) => [io.name, set.inputs[i].tensor]));
    const check = checkOutputs(s, await s.run(feeds), set);
    return { s, check, run: () => s.run(feeds) };
  } catch (e) {
    return { error: failure(stage, e) };
  }
}

async function benchCase(c, compiled, neighbour) {
  const set = readDataSet(c.dataDir);
  const row = { model: c.model, input: set.inputs[0].tensor.dims.join('x') || 'scalar' };
  const k = await kestrelSession(c, set, compiled);
  if (k.error) return { ...row, error: k.error };
  const rivals = [];
  try {
    rivals.push(await ortSession(c.onnx, ortDefaultOptions(threads), set));
    rivals.push(await ortSession(c.onnx, ortNoSpinOptions(threads), set));
    const m = await measureCase([{ name: 'kestrel', run: k.run }, { name: 'ort', run: rivals[0].run },
      { name: 'ortNoSpin', run: rivals[1].run }], { ...opts, neighbour });
    return { ...row, flops: countFlops(c.onnx, set.inputs.map((i) => i.tensor)), check: k.check, ...m };
  } catch (e) {
    return { ...row, error: failure(rivals.length < 2 ? 'onnxruntime' : 'run', e) };
  } finally {
    k.s.dispose();
    for (const r of rivals) await r.s.release();
  }
}

/** One line per finished case, while the benchmark runs (the tables follow at the end). */
function progress(r) {
  const head = `${r.model} ${r.input}:`.padEnd(34);
  if (r.error) return `${head} ${r.error.stage} failed: ${r.error.code} ${r.error.message}`;
  const q = r.quiet, f = (x) => x.toFixed(3);
  const busy = r.busy ? `; busy: kestrel ${f(r.busy.kestrel)}, ort ${f(r.busy.ort)} ms` : '';
  const speedup = (q.ort / q.kestrel).toFixed(2);
  return `${head} kestrel ${f(q.kestrel)} ms, ort ${f(q.ort)} ms (speedup ${speedup}), ` +
    `ort no-spin ${f(q.ortNoSpin)} ms, ${r.runs} runs each, ${r.check}${busy}`;
}

const cases = benchCases(shared, opt('models')?.split(','));
const machine = machineInfo();
console.log(`${machine.cpu}, ${machine.cores} CPUs; load average ${machine.loadBefore}`);
const peak = measurePeak(threads);
const peakFlops = peakAt(peak, threads);
console.log(`FMA peak (${peak.isa}, fp32): ${describePeak(peak)}`);
console.log(`${cases.length} cases, ${threads} threads; blocks of ${opts.block} runs per runtime, ` +
  'rotating; ' +
  `speedup = onnxruntime median / kestrel median (> 1: kestrel faster)`);
console.log('GFLOP = 2 x MACs of Conv, Gemm, MatMul and the LSTM recurrence at the input shape; ' +
  `"of peak" = GFLOP/s / ${peakFlops.toFixed(1)} (the ${threads}-thread FMA peak)\n`);

const started = performance.now();
const neighbour = neighbourMode ? new Neighbour() : undefined;
const compiled = new Map();
const rows = [];
try {
  for (const c of cases) {
    const r = await benchCase(c, compiled, neighbour);
    rows.push(r);
    console.log(progress(r));
  }
} finally {
  neighbour?.dispose();
  rmSync(tmp, { recursive: true, force: true });
}
machine.loadAfter = loadAverage();
machine.minutes = ((performance.now() - started) / 60_000).toFixed(1);
console.log(`\n${textTable(mainColumns(peakFlops), rows)}`);
const busyRows = rows.filter((r) => r.busy);
if (busyRows.length) console.log(`\nbeside one busy process:\n${textTable(neighbourColumns(), busyRows)}`);
console.log(`\n${summary(rows).join('\n')}`);
console.log(`load average before ${machine.loadBefore}, after ${machine.loadAfter}; ` +
  `${machine.minutes} minutes`);
const md = opt('markdown');
if (md) {
  const command = `npm run bench -- ${args.join(' ')}`;
  const note = opt('note') && readFileSync(opt('note'), 'utf8').trim();
  writeMarkdown(md, { machine, peak, threads, rows, note, command });
  console.log(`wrote ${md}`);
}
