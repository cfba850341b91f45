// Regenerates test/onnx/baseline-{static,dynamic}.txt: the conformance cases that pass today.
// The conformance test requires every listed case to keep passing and no case to fail, so a
// regression shows up as a test failure and progress as a reviewed diff of these files.
//   npm run build && node scripts/conformance-baseline.mjs
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

const shared = process.env.KESTREL_SHARED ?? resolve('..', 'shared');
const dirs = ['node', 'pytorch-converted', 'pytorch-operator', 'simple']
  .map((d) => join(shared, 'onnx-tests', d));
// A directory of this run's own: two regenerations at once (in two checkouts) must not read each
// other's reports.
const work = mkdtempSync(join(tmpdir(), 'kestrel-baseline-'));
for (const mode of ['static', 'dynamic']) {
  const report = join(work, `${mode}.json`);
  const args = ['dist/tools/conformance.js', ...dirs, '--report', report,
    ...(mode === 'dynamic' ? ['--dynamic'] : [])];
  try {
    execFileSync('node', args, { stdio: ['ignore', 'ignore', 'inherit'] });
  } catch { /* failures listed below */ }
  const r = JSON.parse(readFileSync(report, 'utf8'));
  const passed = r.cases.filter((c) => c.status === 'PASS').map((c) => c.name).sort();
  const failed = r.cases.filter((c) => c.status === 'FAIL').map((c) => `${c.name}: ${c.message}`);
  writeFileSync(`test/onnx/baseline-${mode}.txt`, passed.join('\n') + '\n');
  console.log(`${mode}: ${passed.length} passing cases written; ${failed.length} failing`);
  for (const f of failed) console.log(`  FAIL ${f.slice(0, 200)}`);
}
rmSync(work, { recursive: true, force: true });
