// The tuning curve: the model's estimated kernel latency (sum over tasks of weight x the task's
// default time x its best ratio so far) against tuning time, replayed from a log's timestamps, and
// its SVG, which `kestrel tune` writes beside the log (tune.jsonl -> tune.svg). Tuning time is
// the time between records with pauses longer than a minute cut out, so that a run resumed hours
// later continues the curve instead of drawing the pause. The best ratio is the running minimum
// of the measured ratios (the summary's choice is stricter: it re-measures the winners).
// Requires: records of one log. Pure; guarantees a well-formed SVG even for an empty curve.

import { ratio, type TuneRecord } from './log.js';

export interface CurvePoint {
  /** Seconds of tuning. */
  readonly s: number;
  readonly ms: number;
}

const PAUSE_S = 60;

const id = (workload: string, bucket?: string) =>
  (bucket === undefined ? workload : `${workload}\n${bucket}`);

/**
 * The curve of `tasks` (workload key, weight, and the bucket text when the task is one bucket of
 * its workload; a task without one takes every bucket's records) over the records of target key
 * `target`.
 */
export function tuningCurve(records: readonly TuneRecord[],
  tasks: readonly { key: string; weight: number; bucket?: string }[], target: string): CurvePoint[] {
  const weight = new Map(tasks.map((t) => [id(t.key, t.bucket), t.weight]));
  const idOf = (r: TuneRecord) => (weight.has(id(r.workload, r.bucket)) ? id(r.workload, r.bucket)
    : weight.has(id(r.workload)) ? id(r.workload) : undefined);
  const mine = records.filter((r) => r.target === target && idOf(r) !== undefined && r.status === 'ok'
    && !r.sameAs).sort((a, b) => Date.parse(a.time) - Date.parse(b.time));
  const base = new Map<string, number>();
  for (const r of mine) if (r.isDefault && !base.has(idOf(r)!)) base.set(idOf(r)!, r.ms!);
  const best = new Map<string, number>();
  const total = () => [...base].reduce((s, [k, ms]) => s + weight.get(k)! * ms * (best.get(k) ?? 1), 0);
  const out: CurvePoint[] = [];
  let s = 0, last: number | undefined;
  for (const r of mine) {
    const t = Date.parse(r.time) / 1000;
    if (last !== undefined) s += Math.min(PAUSE_S, Math.max(0, t - last));
    last = t;
    const k = idOf(r)!;
    if (!base.has(k)) continue;
    best.set(k, Math.min(best.get(k) ?? 1, ratio(r)));
    out.push({ s, ms: total() });
  }
  return out;
}

const W = 640, H = 360, L = 70, R = 20, T = 40, B = 50;

function ticks(max: number): number[] {
  const step = 10 ** Math.floor(Math.log10(max / 4 || 1));
  const unit = [1, 2, 5, 10].map((m) => m * step).find((u) => max / u <= 6) ?? step * 10;
  return Array.from({ length: Math.floor(max / unit) + 1 }, (_, i) => i * unit);
}

const esc = (t: string) => t.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** The curve as a step plot (SVG text), y from 0, with `title` above it. */
export function curveSvg(points: readonly CurvePoint[], title: string): string {
  const xMax = Math.max(1, ...points.map((p) => p.s));
  const yMax = Math.max(1e-6, ...points.map((p) => p.ms)) * 1.1;
  const round = (v: number) => Math.round(v * 10) / 10;
  const x = (s: number) => round(L + ((W - L - R) * s) / xMax);
  const y = (ms: number) => round(H - B - ((H - T - B) * ms) / yMax);
  const path = points.map((p, i) => (i === 0 ? `M${x(p.s).toFixed(1)},${y(p.ms).toFixed(1)}`
    : `H${x(p.s).toFixed(1)}V${y(p.ms).toFixed(1)}`)).join('');
  const fmt = (v: number) => String(Number(v.toPrecision(3)));
  const xt = ticks(xMax).map((v) => `<line x1="${x(v)}" y1="${H - B}" x2="${x(v)}" y2="${H - B + 5}"/>`
    + `<text x="${x(v)}" y="${H - B + 18}" text-anchor="middle">${fmt(v)}</text>`);
  const yt = ticks(yMax).filter((v) => v <= yMax).map((v) => `<line x1="${L - 5}" y1="${y(v)}" x2="${L}" `
    + `y2="${y(v)}"/><text x="${L - 8}" y="${y(v) + 4}" text-anchor="end">${fmt(v)}</text>`);
  return [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" `
      + 'font-family="sans-serif" font-size="12">',
    `<rect width="${W}" height="${H}" fill="white"/>`,
    `<text x="${W / 2}" y="22" text-anchor="middle" font-size="14">${esc(title)}</text>`,
    `<g stroke="black" fill="black">`,
    `<line x1="${L}" y1="${H - B}" x2="${W - R}" y2="${H - B}"/>`,
    `<line x1="${L}" y1="${T}" x2="${L}" y2="${H - B}"/>`,
    ...xt, ...yt, '</g>',
    `<text x="${(L + W - R) / 2}" y="${H - 12}" text-anchor="middle">tuning time (s)</text>`,
    `<text transform="translate(16 ${(T + H - B) / 2}) rotate(-90)" text-anchor="middle">`
      + 'estimated kernel latency (ms)</text>',
    points.length ? `<path d="${path}" fill="none" stroke="#1f77b4" stroke-width="2"/>` : '',
    '</svg>', '',
  ].join('\n');
}

/** Where the plot of a log goes: beside it, `.svg` instead of `.jsonl`. */
export const plotPath = (log: string): string => `${log.replace(/\.jsonl?$/, '')}.svg`;
