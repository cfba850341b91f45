// Terminal output of `kestrel tune`: one progress line (a bar of the run's share done, elapsed,
// ETA, trials, the estimated kernel latency of the model so far, the current task's default and
// best time) and the summary table (task, share of the tuned kernels' time,
// default -> tuned latency, trials). Requires: reports from compiler/tune/tune.ts. Pure.

import type { TaskReport, TuneProgress, TuneSummary } from './tune.js';

const secs = (ms: number): string => (ms >= 60_000
  ? `${Math.floor(ms / 60_000)}m${Math.round((ms % 60_000) / 1000)}s` : `${(ms / 1000).toFixed(1)}s`);
const msText = (ms: number | undefined): string => (ms === undefined ? '-' : `${ms.toFixed(4)} ms`);

const total = (ts: readonly TaskReport[], f: (t: TaskReport) => number | undefined): number =>
  ts.reduce((s, t) => s + t.weight * (f(t) ?? 0), 0);

/** A 20-cell bar of the share done (elapsed / (elapsed + ETA)); empty without an ETA. */
function bar(p: TuneProgress): string {
  if (p.etaMs === undefined) return '';
  const done = Math.round((20 * p.elapsedMs) / Math.max(1, p.elapsedMs + p.etaMs));
  return `[${'#'.repeat(done)}${'.'.repeat(20 - done)}] `;
}

export function progressLine(p: TuneProgress): string {
  const t = p.tasks[p.current];
  const eta = p.etaMs === undefined ? '' : ` ETA ${secs(p.etaMs)}`;
  const model = total(p.tasks, (x) => x.bestMs ?? x.defaultMs);
  return `${bar(p)}${secs(p.elapsedMs)}${eta}  trials ${p.trials}  kernels ${msText(model)}  `
    + `task ${p.current + 1}/${p.tasks.length} ${t.ops} '${t.node}'${t.bucket ? ` @${t.bucket}` : ''}: `
    + `default ${msText(t.defaultMs)}, `
    + `best ${msText(t.bestMs)}`;
}

export function summaryTable(s: TuneSummary): string {
  const all = total(s.tasks, (t) => t.defaultMs);
  const rows = s.tasks.map((t) => [
    `${t.ops} '${t.node}'${t.weight > 1 ? ` x${t.weight}` : ''}${t.bucket ? ` @${t.bucket}` : ''}`,
    all ? `${((100 * t.weight * (t.defaultMs ?? 0)) / all).toFixed(1)}%` : '-',
    `${msText(t.defaultMs)} -> ${msText(t.bestMs)}`,
    t.defaultMs && t.bestMs ? `${(t.defaultMs / t.bestMs).toFixed(2)}x` : '-',
    `${t.trials}${t.converged ? ' (converged)' : ''}`,
  ]);
  const head = ['task', 'share', 'default -> tuned', 'speedup', 'trials'];
  const widths = head.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padEnd(widths[i])).join('  ').trimEnd();
  const tuned = total(s.tasks, (t) => t.bestMs ?? t.defaultMs);
  return [line(head), ...rows.map(line),
    `kernels (sum of weight x time): ${msText(all)} -> ${msText(tuned)}`
    + `${tuned ? ` (${(all / tuned).toFixed(2)}x)` : ''}; ${s.trials} measured this run, `
    + `${s.duplicates} identical kernels skipped, ${secs(s.elapsedMs)}`].join('\n');
}
