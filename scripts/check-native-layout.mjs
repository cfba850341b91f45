// Checks kestrel's layout limits on the C++ side, which ESLint does not read: every line of
// native/**/*.{cc,h} at most 110 columns and every file at most 500 lines. The interpreter's flat
// dispatch (native/src/vm/interpreter.cc) is the one file allowed past 500 lines, as a flat list of
// cases reads better whole than split. Generated files are held to the same limits.
// Usage: node scripts/check-native-layout.mjs [ROOT]; exits 1 and lists every violation.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const MAX_COLUMNS = 110;
const MAX_LINES = 500;
const LONG_FILES_ALLOWED = new Set(['native/src/vm/interpreter.cc']);
const SKIP_DIRS = new Set(['build', 'node_modules']);

/** Every .cc and .h under `dir`, build outputs excluded. */
function sources(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = join(dir, e.name);
    if (e.isDirectory()) return SKIP_DIRS.has(e.name) ? [] : sources(p);
    return /\.(cc|h)$/.test(e.name) ? [p] : [];
  });
}

/** The violations of one file, as `path:line: message` strings. */
function checkFile(rel, text) {
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const out = [];
  lines.forEach((l, i) => {
    if (l.length > MAX_COLUMNS) out.push(`${rel}:${i + 1}: ${l.length} columns (at most ${MAX_COLUMNS})`);
  });
  if (lines.length > MAX_LINES && !LONG_FILES_ALLOWED.has(rel)) {
    out.push(`${rel}: ${lines.length} lines (at most ${MAX_LINES}; split it by responsibility)`);
  }
  return out;
}

const root = process.argv[2] ?? join(fileURLToPath(new URL('.', import.meta.url)), '..');
const problems = sources(join(root, 'native'))
  .flatMap((p) => checkFile(relative(root, p).split('\\').join('/'), readFileSync(p, 'utf8')));
if (problems.length) {
  console.error(problems.join('\n'));
  console.error(`native layout: ${problems.length} problem(s)`);
  process.exit(1);
}
