// kestrel's public API: compile an ONNX model to one .so, load it, run it.
//
//   import { compile, load, Tensor } from 'kestrel';
//   await compile('model.onnx', { output: 'model.so' });
//   const session = await load('model.so');
//   const out = await session.run({ input: new Tensor('float32', data, [1, 3, 224, 224]) });
//   session.dispose();
//   await tune('model.onnx', { log: 'tune.jsonl', budgetMs: 5 * 60_000 });
//   const schedules = bestSchedules(loadLog('tune.jsonl').records, hostTarget());
//   await compile('model.onnx', { output: 'model.so', schedules });   // tuned
//
// The runtime half (load, Tensor, Session) lives in runtime-vm/ and does not need the compiler.

export { compile, compileModule, type CompileOptions, type CompileReport } from './compiler/driver.js';
export { KESTREL_VERSION } from './compiler/driver.js';
export type { Schedule } from './compiler/schedule/schedule.js';
export { type CompileLimits, DEFAULT_LIMITS } from './compiler/limits.js';
export { tune, type TuneOptions, type TuneProgress, type TuneSummary } from './compiler/tune/tune.js';
export { bestSchedules, loadLog, mergeLogs } from './compiler/tune/log.js';
export { hostTarget } from './codegen/target.js';
export * from './runtime-vm/index.js';
