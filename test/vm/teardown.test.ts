// Teardown during a run: process.exit() and worker.terminate() while a 2^60-trip Loop runs with no
// iteration limit return within 100 ms (the run is cancelled, nothing waits for it to end), and
// dispose() during such a run cancels it: the run rejects with KR0301 and the session stays
// disposed. The process cases run in child processes, timed from the line the child prints just
// before it exits or terminates to its exit.
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { compile } from '../../compiler/driver.js';
import { load, Tensor } from '../../runtime-vm/index.js';
import { loopModel } from '../fixtures/loop-model.js';
import { tempDir } from '../helpers/shared.js';
import { ROOT } from './artifact.js';

const ADDON = join(ROOT, 'native/build/Release/kestrel_runtime.node');
const HANG_MS = 15_000; // a child still alive after this is killed: the teardown hung

// Starts the endless run (maxIterations Infinity) and prints 'started'; CommonJS, for a child.
const START_RUN = `
  const { NativeSession } = require(process.env.KESTREL_ADDON);
  const s = new NativeSession(process.env.KESTREL_SO, 1, 0, 0, Infinity);
  const x = { dtype: 0, dims: [4], data: new Float32Array(4) };
  const n = { dtype: 6, dims: [], data: BigInt64Array.from([1n << 60n]) };
  s.run([x, n]).then(() => console.log('finished'), (e) => console.log('rejected ' + e.code));
  console.log('started');`;

const EXIT_CHILD = `${START_RUN}
  setTimeout(() => { console.log('exiting'); process.exit(3); }, 200);`;

const WORKER_CHILD = `
  const { Worker } = require('node:worker_threads');
  const w = new Worker(${JSON.stringify(START_RUN)}, { eval: true, env: process.env });
  w.on('error', (e) => console.log('worker error ' + e.message));
  setTimeout(async () => {
    console.log('terminating');
    const t0 = performance.now();
    await w.terminate();
    console.log('terminated ' + (performance.now() - t0).toFixed(1));
  }, 1000);`;

interface ChildResult {
  lines: { text: string; at: number }[];
  exitAt: number;
  code: number | null;
  killed: boolean;
}

function runChild(src: string, so: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', src], {
      env: { ...process.env, KESTREL_ADDON: ADDON, KESTREL_SO: so }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    const lines: ChildResult['lines'] = [];
    let killed = false;
    const timer = setTimeout(() => { killed = true; child.kill('SIGKILL'); }, HANG_MS);
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      const at = performance.now();
      for (const text of chunk.split('\n').filter(Boolean)) lines.push({ text, at });
    });
    child.on('error', reject);
    child.on('exit', (code) => {
      clearTimeout(timer);
      resolve({ lines, exitAt: performance.now(), code, killed });
    });
  });
}

const lineAt = (r: ChildResult, text: string): number => {
  const l = r.lines.find((x) => x.text.startsWith(text));
  if (!l) throw new Error(`child did not print '${text}': ${JSON.stringify(r.lines)}`);
  return l.at;
};

describe('teardown during an endless run', () => {
  let so: string;
  beforeAll(async () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'loop.onnx'), loopModel());
    so = join(dir, 'loop.so');
    await compile(join(dir, 'loop.onnx'), { output: so });
  }, 120_000);

  it('process.exit() returns within 100 ms', async () => {
    const r = await runChild(EXIT_CHILD, so);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(3);
    lineAt(r, 'started');
    const ms = r.exitAt - lineAt(r, 'exiting');
    console.log(`process.exit() during a run: child exited ${ms.toFixed(1)} ms after 'exiting'`);
    expect(ms).toBeLessThan(100);
  }, 30_000);

  it('worker.terminate() returns within 100 ms and the process then exits', async () => {
    const r = await runChild(WORKER_CHILD, so);
    expect(r.killed).toBe(false);
    expect(r.code).toBe(0);
    lineAt(r, 'started');
    const line = r.lines.find((l) => l.text.startsWith('terminated '));
    expect(line).toBeDefined();
    const terminateMs = Number(line!.text.split(' ')[1]);
    const exitMs = r.exitAt - lineAt(r, 'terminating');
    console.log(`worker.terminate() during a run: ${terminateMs} ms; child exited ${exitMs.toFixed(1)} ms ` +
      `after 'terminating'`);
    expect(terminateMs).toBeLessThan(100);
    expect(exitMs).toBeLessThan(1000);
    expect(r.lines.some((l) => l.text === 'finished')).toBe(false);
  }, 30_000);

  it('dispose() cancels the run: it rejects with KR0301 within 100 ms', async () => {
    const s = await load(so, { threads: 1, maxIterations: Infinity });
    const feeds = {
      x: new Tensor('float32', new Float32Array(4), [4]),
      n: new Tensor('int64', BigInt64Array.from([1n << 60n]), []),
    };
    const running = s.run(feeds);
    const settled = running.then(() => 'resolved', (e: { code?: string }) => e.code);
    await new Promise((r) => setTimeout(r, 50));
    const t0 = performance.now();
    s.dispose();
    expect(await settled).toBe('KR0301');
    expect(performance.now() - t0).toBeLessThan(100);
    await expect(s.run(feeds)).rejects.toMatchObject({ code: 'KR0301' });
  });
});
