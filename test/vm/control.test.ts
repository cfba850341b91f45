// Loop iteration limits and cancellation (RELIABILITY §22): an endless `jump` loop is stopped by
// LoadOptions.maxIterations, by a per-run maxIterations, and by an AbortSignal within 100 ms; an
// already-aborted signal rejects at once; each run cancels only itself (runs queued behind it are
// unaffected, a queued run can be cancelled); the session keeps working afterwards. The C API's
// kestrel_cancel(session) and cancel tokens are exercised by a small C program against libkestrel_vm.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { Assembler } from '../../codegen/bytecode.js';
import { load, Tensor, type LoadOptions, type Session } from '../../runtime-vm/index.js';
import { ROOT, tempPath } from './artifact.js';
import { F32, rejected, withKernels } from './programs.js';

const sessions: Session[] = [];
afterAll(() => sessions.forEach((s) => s.dispose()));

/** Returns x when x is empty; loops forever (`L: jump L`) otherwise. */
function spinArtifact(): string {
  const a = new Assembler();
  const [x, k] = a.regs(2);
  const spin = a.label();
  a.emit('input', { dst: x, index: 0, dtype: F32, rank: 1 });
  a.emit('dim', { dst: k, tensor: x, axis: 0 });
  a.emit('jump_if', { cond: k, target: spin });
  a.emit('ret', { outputs: [x] });
  a.bind(spin);
  a.emit('jump', { target: spin });
  return withKernels(a.finish({ nInputs: 1, nOutputs: 1, nKernels: 5 }),
    [{ name: 'x', dtype: 'float32', shape: ['k'] }], [{ name: 'y', dtype: 'float32', shape: ['k'] }]);
}
let spinPath: string | undefined;
async function spin(opts: LoadOptions = {}): Promise<Session> {
  spinPath ??= spinArtifact();
  const s = await load(spinPath, { threads: 1, ...opts });
  sessions.push(s);
  return s;
}

const forever = { x: new Tensor('float32', new Float32Array(1), [1]) };
const quick = { x: new Tensor('float32', new Float32Array(0), [0]) };

const runError = rejected;

describe('loop iteration limits', () => {
  it('stops an endless loop at LoadOptions.maxIterations; the next run works', async () => {
    const s = await spin({ maxIterations: 1000 });
    const e = await runError(s.run(forever));
    expect(e.code).toBe('KR0302');
    expect(e.message).toMatch(/loop iteration limit 1000 exceeded/);
    expect((await s.run(quick)).y.dims).toEqual([0]);
  });

  it('a per-run maxIterations replaces the session limit', async () => {
    const s = await spin({ maxIterations: 5 });
    const e = await runError(s.run(forever, { maxIterations: 20000 }));
    expect(e.message).toMatch(/loop iteration limit 20000 exceeded/);
    expect((await runError(s.run(forever))).message).toMatch(/limit 5 exceeded/);
    await expect(s.run(forever, { maxIterations: -1 })).rejects.toThrow(/non-negative/);
  });

  it('counts loop iterations, not instructions: a loop within the limit completes', async () => {
    // 100 iterations of a 3-instruction loop under a limit of 100
    const a = new Assembler();
    const [i, n, one, more, x] = a.regs(5);
    a.emit('input', { dst: x, index: 0, dtype: F32, rank: 1 });
    a.emit('int_const', { dst: i, value: 0 });
    a.emit('int_const', { dst: n, value: 100 });
    a.emit('int_const', { dst: one, value: 1 });
    const head = a.label();
    a.bind(head);
    a.intOp('add', i, i, one);
    a.intOp('lt', more, i, n);
    a.emit('jump_if', { cond: more, target: head });
    a.emit('ret', { outputs: [x] });
    const s = await load(withKernels(a.finish({ nInputs: 1, nOutputs: 1, nKernels: 5 }),
      [{ name: 'x', dtype: 'float32', shape: [1] }], [{ name: 'y', dtype: 'float32', shape: [1] }]),
    { maxIterations: 99 });
    sessions.push(s);
    expect((await s.run(forever)).y.dims).toEqual([1]);
    expect((await runError(s.run(forever, { maxIterations: 98 }))).code).toBe('KR0302');
  });
});

describe('cancellation with AbortSignal', () => {
  it('rejects at once when the signal is already aborted', async () => {
    const s = await spin({ maxIterations: Infinity });
    const c = new AbortController();
    c.abort();
    const t0 = performance.now();
    const e = await runError(s.run(forever, { signal: c.signal }));
    expect(e.code).toBe('KR0302');
    expect(performance.now() - t0).toBeLessThan(50);
    expect((await s.run(quick)).y.dims).toEqual([0]);
  });

  it('stops an endless loop within 100 ms of abort; the session stays usable', async () => {
    const s = await spin({ maxIterations: Infinity });
    for (let round = 0; round < 3; round++) {
      const c = new AbortController();
      const p = s.run(forever, { signal: c.signal });
      await new Promise((r) => setTimeout(r, 50));
      const t0 = performance.now();
      c.abort();
      const e = await runError(p);
      expect(performance.now() - t0).toBeLessThan(100);
      expect(e.code).toBe('KR0302');
      expect(e.message).toMatch(/cancelled/);
      expect((await s.run(quick, { signal: new AbortController().signal })).y.dims).toEqual([0]);
    }
  });

  it('cancels only its own run: queued runs complete, a queued run can be cancelled', async () => {
    const s = await spin({ maxIterations: Infinity });
    const a = new AbortController(), c = new AbortController();
    const pa = runError(s.run(forever, { signal: a.signal }));
    const pb = s.run(quick);                                     // waits for the session behind pa
    const pc = runError(s.run(forever, { signal: c.signal }));   // likewise; cancelled while waiting
    c.abort();
    await new Promise((r) => setTimeout(r, 30));
    a.abort();
    expect((await pa).code).toBe('KR0302');
    expect((await pb).y.dims).toEqual([0]);
    expect((await pc).code).toBe('KR0302');
  });

  it('dispose() then abort during a run is safe: the run reports the dispose (KR0301)', async () => {
    const s = await spin({ maxIterations: Infinity });
    const c = new AbortController();
    const p = s.run(forever, { signal: c.signal });
    s.dispose(); // cancels the run itself
    c.abort();
    expect((await runError(p)).code).toBe('KR0301');
    expect((await runError(s.run(quick))).code).toBe('KR0301');
  });
});

describe('C API: kestrel_cancel and cancel tokens', () => {
  it('cancels the running run from another thread, honours tokens and per-run limits', () => {
    const lib = join(ROOT, 'native/build/libkestrel_vm.a');
    if (!existsSync(lib)) return; // built by `npm run build:native`
    spinPath ??= spinArtifact();
    const src = tempPath('.cc'), exe = tempPath('');
    writeFileSync(src, `
#include <chrono>
#include <cstdio>
#include <cstring>
#include <thread>
#include "kestrel_runtime.h"
static int run(kestrel_session* s, int64_t n, const kestrel_run_options* o, const char* want) {
  float data[1] = {0};
  int64_t dims[1] = {n};
  kestrel_tensor in = {0, 1, dims, data, (uint64_t)(4 * n)};
  kestrel_outputs* out = nullptr;
  kestrel_status st = kestrel_run_ex(s, &in, 1, o, &out);
  kestrel_outputs_free(out);
  const char* code = st == KESTREL_OK ? "ok" : kestrel_last_error_code();
  printf("%s %s\\n", code, st == KESTREL_OK ? "" : kestrel_last_error_message());
  return strcmp(code, want) == 0 ? 0 : 1;
}
int main(int, char** argv) {
  kestrel_options lo;
  kestrel_options_init(&lo);
  lo.max_iterations = UINT64_MAX;
  kestrel_session* s = nullptr;
  if (kestrel_load(argv[1], &lo, &s) != KESTREL_OK) return 2;
  int bad = 0;
  kestrel_cancel(s);  // between runs: dropped, the next run starts clean
  bad += run(s, 0, nullptr, "ok");
  std::thread t([s] { std::this_thread::sleep_for(std::chrono::milliseconds(50)); kestrel_cancel(s); });
  bad += run(s, 1, nullptr, "KR0302");
  t.join();
  bad += run(s, 0, nullptr, "ok");
  kestrel_run_options ro;
  kestrel_run_options_init(&ro);
  ro.cancel = kestrel_cancel_token_new();
  kestrel_cancel_token_cancel(ro.cancel);
  bad += run(s, 0, &ro, "KR0302");  // a cancelled token stops even a run without loops
  kestrel_cancel_token_free(ro.cancel);
  kestrel_run_options_init(&ro);
  ro.max_iterations = 7;
  bad += run(s, 1, &ro, "KR0302");
  kestrel_cancel(nullptr);
  kestrel_unload(s);
  return bad;
}
`);
    execFileSync('c++',
      ['-std=c++17', '-O1', '-pthread', `-I${join(ROOT, 'native/include')}`, src, lib, '-ldl',
      '-o', exe]);
    const out = execFileSync(exe, [spinPath], { encoding: 'utf8' });
    expect(out).toMatch(/KR0302 cancelled/);
    expect(out).toMatch(/KR0302 loop iteration limit 7 exceeded/);
    expect(out.trim().split('\n').map((l) => l.split(' ')[0])).toEqual(['ok', 'KR0302', 'ok',
      'KR0302', 'KR0302']);
  });
});
