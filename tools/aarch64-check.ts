// `npm run test:aarch64`: the whole emulated AArch64 check from the command line. Builds the cross
// runtime, compiles each model with `--target aarch64`, runs every data set under qemu-aarch64
// with kestrel-run and prints per data set the max error against the reference and pass/fail.
//   node dist/tools/aarch64-check.js [--models a,b,...] [--shared DIR]
// Exits 1 when a tool is missing or any data set fails.

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { AARCH64_MODELS, buildCrossRuntime, checkModel, requireCrossTools } from './aarch64.js';

function option(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i > 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<number> {
  const repo = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
  const shared = option('--shared') ?? process.env.KESTREL_SHARED ?? resolve(repo, '..', 'shared');
  const models = option('--models')?.split(',') ?? AARCH64_MODELS;
  requireCrossTools();
  const runner = await buildCrossRuntime(repo);
  const work = mkdtempSync(join(tmpdir(), 'kestrel-aarch64-'));
  let failed = 0;
  try {
    for (const m of models) {
      const r = await checkModel(runner, join(shared, 'models', m), work, (s) => {
        failed += s.ok ? 0 : 1;
        console.log(`${m.padEnd(14)} ${s.set.padEnd(16)} max|err| ${s.maxErr.toExponential(3)}  ` +
          `${s.seconds.toFixed(1)}s  ${s.ok ? 'PASS' : `FAIL ${s.message}`}`);
      });
      console.log(`${m.padEnd(14)} compiled in ${r.compileSeconds.toFixed(1)}s, ${r.sets.length} data sets`);
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  console.log(failed ? `aarch64: ${failed} data set(s) FAILED` : 'aarch64: all data sets match');
  return failed ? 1 : 0;
}

main().then((code) => { process.exitCode = code; }, (e: unknown) => {
  console.error(`aarch64 check: ${(e as Error).message}`);
  process.exitCode = 1;
});
