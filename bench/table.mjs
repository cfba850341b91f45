// The benchmark's tables, defined once as columns and rendered either as aligned text (console)
// or as Markdown (docs/performance.md). A row is what bench/run.mjs measured for one case:
//   { model, input, flops|null, error?: {code, message}, check, runs,
//     quiet: {kestrel, ort, ortNoSpin} (median ms), busy?: (same, beside the neighbour) }
// Speedup = onnxruntime median / kestrel median (> 1: kestrel is faster).

const fixed = (x, d) => (Number.isFinite(x) ? x.toFixed(d) : '');
const ms = (x) => fixed(x, x < 10 ? 3 : 2);
const gflops = (r, t) => (r.flops ? r.flops / 1e6 / t : NaN);
const share = (r, t, peak) => (r.flops ? `${fixed((100 * gflops(r, t)) / peak, 0)}%` : '');

export const speedup = (r) => r.quiet.ort / r.quiet.kestrel;
export const slowdown = (r, v) => r.busy[v] / r.quiet[v];
const degradesLess = (r) => slowdown(r, 'kestrel') <= slowdown(r, 'ort');

/** Columns of the main table; `peak` is the FMA peak (GFLOP/s) at the benchmark's thread count. */
export function mainColumns(peak) {
  return [
    { head: 'model', cell: (r) => r.model, left: true },
    { head: 'input', cell: (r) => r.input, left: true },
    { head: 'GFLOP', cell: (r) => (r.flops ? fixed(r.flops / 1e9, 3) : '') },
    { head: 'kestrel ms', cell: (r) => ms(r.quiet.kestrel) },
    { head: 'ort ms', cell: (r) => ms(r.quiet.ort) },
    { head: 'speedup', cell: (r) => fixed(speedup(r), 2) },
    { head: 'ort no-spin ms', cell: (r) => ms(r.quiet.ortNoSpin) },
    { head: 'speedup no-spin', cell: (r) => fixed(r.quiet.ortNoSpin / r.quiet.kestrel, 2) },
    { head: 'kestrel GFLOP/s', cell: (r) => fixed(gflops(r, r.quiet.kestrel), 1) },
    { head: 'of peak', cell: (r) => share(r, r.quiet.kestrel, peak) },
    { head: 'ort GFLOP/s', cell: (r) => fixed(gflops(r, r.quiet.ort), 1) },
    { head: 'of peak', cell: (r) => share(r, r.quiet.ort, peak) },
    { head: 'check', cell: (r) => r.check, left: true },
    { head: 'runs', cell: (r) => String(r.runs) },
  ];
}

/** Columns of the neighbour table (rows measured with --neighbour). */
export function neighbourColumns() {
  const sd = (v) => (r) => `${fixed(slowdown(r, v), 2)}x`;
  return [
    { head: 'model', cell: (r) => r.model, left: true },
    { head: 'input', cell: (r) => r.input, left: true },
    { head: 'kestrel quiet ms', cell: (r) => ms(r.quiet.kestrel) },
    { head: 'kestrel busy ms', cell: (r) => ms(r.busy.kestrel) },
    { head: 'kestrel slowdown', cell: sd('kestrel') },
    { head: 'ort quiet ms', cell: (r) => ms(r.quiet.ort) },
    { head: 'ort busy ms', cell: (r) => ms(r.busy.ort) },
    { head: 'ort slowdown', cell: sd('ort') },
    { head: 'ort no-spin slowdown', cell: sd('ortNoSpin') },
    { head: 'kestrel <= ort', cell: (r) => (degradesLess(r) ? 'yes' : 'NO'), left: true },
  ];
}

/** Cells of one row; a case that did not run gets its reason after the model and input. */
function cells(columns, r) {
  if (!r.error) return columns.map((c) => c.cell(r));
  const why = `${r.error.stage}: ${r.error.code} ${r.error.message}`;
  return [r.model, r.input, why, ...columns.slice(3).map(() => '')];
}

/** One aligned line (header or row); an error row's reason runs on past the column widths. */
function line(columns, widths, cs, error) {
  if (error) return `${cs[0].padEnd(widths[0])}  ${cs[1].padEnd(widths[1])}  ${cs[2]}`;
  return cs.map((s, i) => (columns[i].left ? s.padEnd(widths[i]) : s.padStart(widths[i]))).join('  ');
}

export function textTable(columns, rows) {
  const body = rows.map((r) => cells(columns, r));
  const widths = columns.map((c, i) => Math.max(c.head.length,
    ...body.filter((_, k) => !rows[k].error || i < 2).map((b) => b[i].length)));
  const head = line(columns, widths, columns.map((c) => c.head), false);
  return [head, '-'.repeat(head.length), ...body.map((b, k) => line(columns, widths, b, !!rows[k].error))]
    .join('\n');
}

export function markdownTable(columns, rows) {
  const esc = (s) => s.replaceAll('|', '\\|');
  const row = (cs) => `| ${cs.map(esc).join(' | ')} |`;
  return [row(columns.map((c) => c.head)), `|${columns.map((c) => (c.left ? ':---' : '---:')).join('|')}|`,
    ...rows.map((r) => row(cells(columns, r)))].join('\n');
}

const geomean = (xs) => Math.exp(xs.reduce((s, x) => s + Math.log(x), 0) / xs.length);

/** Summary lines under the tables: geomeans over the cases that ran, neighbour verdicts. */
export function summary(rows) {
  const ran = rows.filter((r) => !r.error);
  const lines = [`cases that ran: ${ran.length} of ${rows.length}`];
  if (ran.length) {
    lines.push(`geomean speedup over onnxruntime (default options): ${geomean(ran.map(speedup)).toFixed(3)}`);
    lines.push(`geomean speedup over onnxruntime (spinning off): ` +
      `${geomean(ran.map((r) => r.quiet.ortNoSpin / r.quiet.kestrel)).toFixed(3)}`);
  }
  const busy = ran.filter((r) => r.busy);
  if (busy.length) {
    const ok = busy.filter(degradesLess).length;
    lines.push(`beside a busy neighbour: kestrel's slowdown <= onnxruntime's on ${ok} of ${busy.length} ` +
      'cases; ' +
      `geomean slowdown kestrel ${geomean(busy.map((r) => slowdown(r, 'kestrel'))).toFixed(2)}x, ` +
      `onnxruntime ${geomean(busy.map((r) => slowdown(r, 'ort'))).toFixed(2)}x`);
  }
  return lines;
}
