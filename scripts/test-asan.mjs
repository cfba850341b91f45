// The sanitised run (`npm run test:asan`): builds the native runtime with AddressSanitizer and
// UndefinedBehaviorSanitizer (cmake option KESTREL_SANITIZE, into native/build-asan; the LLVM
// addon is left out: it is the compiler, not the code that reads untrusted artifacts and inputs),
// then runs, with that addon (KESTREL_RUNTIME_ADDON) and libasan preloaded into node:
//   1. the error and reliability suites, the VM tests and the fuzzers' corpus replay plus a short
//      fuzzing run (KESTREL_FUZZ_SECONDS, 30 by default here);
//   2. a subset of the ONNX conformance cases (--filter, default below) in-process, and
//   3. every model of the shared data (--models REGEX to choose), compiled and checked against its
//      first reference data set (kestrel compile, kestrel run --check),
// steps 2 and 3 with the generated kernels instrumented too (KESTREL_SANITIZE_KERNELS=address:
// LLVM's AddressSanitizer function pass, native/src/llvm_addon/llvm_backend.cc; the sanitised pool poisons
// block slack and cached blocks, native/src/vm/pool.cc). A sanitiser report aborts the process that
// hit it (halt_on_error), which fails the step; the output is also scanned for reports. Leak
// checking is off: node frees nothing at exit by design.
// Usage: node scripts/test-asan.mjs [--filter REGEX] [--models REGEX] [--skip-build]
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const root = resolve(new URL('..', import.meta.url).pathname);
const args = process.argv.slice(2);
const opt = (name, dflt) => { const i = args.indexOf(`--${name}`); return i >= 0 ? args[i + 1] : dflt; };
const filter = opt('filter', '(^|/)test_(gather|scatter|topk|slice|reshape|expand|loop|if|where|nonzero|conv_'
  + '|maxpool|resize|onehot|range|cumsum|unique|split|concat|pad|mod|div|cast)');
const models = new RegExp(opt('models', '.'));
const shared = process.env.KESTREL_SHARED ?? resolve(root, '..', 'shared');

function step(name, cmd, cmdArgs, env = {}, log = name.split(' ')[0]) {
  console.log(`test:asan: ${name} (full output: native/build-asan/${log}.log)`);
  mkdirSync(join(root, 'native', 'build-asan'), { recursive: true });
  const t0 = Date.now();
  const r = spawnSync(cmd, cmdArgs, { cwd: root, env: { ...process.env, ...env }, encoding: 'utf8',
    maxBuffer: 256 << 20 });
  const out = `${r.stdout}${r.stderr}`;
  writeFileSync(join(root, 'native', 'build-asan', `${log}.log`), out);
  const failures = out.split('\n').filter((l) => /\bFAIL\b|✗|×/.test(l));
  process.stdout.write([...failures, ...out.split('\n').slice(-25)].join('\n'));
  const reports = out.match(/ERROR: AddressSanitizer|runtime error:|ERROR: LeakSanitizer/g) ?? [];
  console.log(`\ntest:asan: ${name}: exit ${r.status ?? r.signal}, ${reports.length} sanitiser reports, `
    + `${((Date.now() - t0) / 1000).toFixed(0)} s`);
  if (r.status !== 0 || reports.length > 0) process.exit(1);
}

if (!args.includes('--skip-build')) {
  step('build', 'npx', ['cmake-js', 'compile', '-d', 'native', '--out', 'native/build-asan',
    '--CDKESTREL_SANITIZE=ON', '--CDKESTREL_LLVM=OFF']);
}
const addon = join(root, 'native', 'build-asan', 'Release', 'kestrel_runtime.node');
if (!existsSync(addon)) throw new Error(`test:asan: ${addon} was not built`);
const libasan = spawnSync('gcc', ['-print-file-name=libasan.so'], { encoding: 'utf8' }).stdout.trim();
const env = {
  KESTREL_RUNTIME_ADDON: addon, LD_PRELOAD: libasan, KESTREL_SHARED: shared,
  ASAN_OPTIONS: 'detect_leaks=0:halt_on_error=1:abort_on_error=1:allocator_may_return_null=1',
  UBSAN_OPTIONS: 'halt_on_error=1:print_stacktrace=1',
  KESTREL_FUZZ_SECONDS: process.env.KESTREL_FUZZ_SECONDS ?? '30',
};
// The teardown test times process.exit() and worker.terminate() against 100 ms, which a process
// under ASan cannot meet (its exit alone takes longer); it runs unsanitised in the ordinary suite.
step('error, reliability, VM and fuzz suites', 'npx', ['vitest', 'run', 'test/errors', 'test/reliability',
  'test/vm', 'test/fuzz', '--exclude', 'test/vm/teardown.test.ts'], env);
const kernels = { ...env, KESTREL_SANITIZE_KERNELS: 'address' };
step(`conformance subset (${filter}), kernels instrumented`, 'node',
  ['dist/tools/conformance.js', join(shared, 'onnx-tests', 'node'), '--filter', filter], kernels);
const out = mkdtempSync(join(tmpdir(), 'kestrel-asan-'));
for (const m of readdirSync(join(shared, 'models')).filter((d) => models.test(d)).sort()) {
  const dir = join(shared, 'models', m), so = join(out, `${m}.so`);
  const data = readdirSync(dir).filter((d) => d.startsWith('test_data_set')).sort()[0];
  step(`model ${m}: compile, kernels instrumented`, 'node',
    ['dist/compiler/cli.js', 'compile', join(dir, 'model.onnx'), '-o', so], kernels, `model-${m}-compile`);
  step(`model ${m}: run --check`, 'node',
    ['dist/compiler/cli.js', 'run', so, '--inputs', join(dir, data), '--check'], kernels, `model-${m}-run`);
}
console.log('test:asan: clean');
