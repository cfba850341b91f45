// The tuner's cost model: ridge regression of log(milliseconds) on features of the knob values
// (each knob's value, its log2 and its reciprocal, plus pairwise products of the log2s, which is
// how tile sizes interact), fitted on the task's measurements so far, earlier logs included.
// Small and exact: the normal equations are solved by Gaussian elimination with partial pivoting.
// Requires: knob assignments over one fixed set of knob names. Guarantees: `predict` is defined
// for any assignment once fitted; with too few points it predicts the mean.

import type { Knobs } from '../schedule/space.js';

export function features(names: readonly string[], k: Knobs): number[] {
  const logs = names.map((n) => Math.log2(Math.max(k[n], 1e-9)));
  const f = [1];
  for (const n of names) f.push(k[n], Math.log2(Math.max(k[n], 1e-9)), 1 / Math.max(k[n], 1e-9));
  for (let i = 0; i < logs.length; i++) for (let j = i + 1; j < logs.length; j++) f.push(logs[i] * logs[j]);
  return f;
}

/** Solves A x = b in place (A square). */
function solve(a: number[][], b: number[]): number[] {
  const n = b.length;
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(a[r][c]) > Math.abs(a[p][c])) p = r;
    [a[c], a[p]] = [a[p], a[c]];
    [b[c], b[p]] = [b[p], b[c]];
    const d = a[c][c] || 1e-12;
    for (let r = c + 1; r < n; r++) {
      const m = a[r][c] / d;
      for (let k = c; k < n; k++) a[r][k] -= m * a[c][k];
      b[r] -= m * b[c];
    }
  }
  const x = new Array<number>(n).fill(0);
  for (let r = n - 1; r >= 0; r--) {
    let s = b[r];
    for (let k = r + 1; k < n; k++) s -= a[r][k] * x[k];
    x[r] = s / (a[r][r] || 1e-12);
  }
  return x;
}

export class RidgeModel {
  private w: number[] | undefined;
  private mean = 0;

  constructor(private readonly names: readonly string[], private readonly lambda = 1.0) {}

  fit(points: readonly { readonly knobs: Knobs; readonly ms: number }[]): void {
    const ys = points.map((p) => Math.log(p.ms));
    this.mean = ys.length ? ys.reduce((a, b) => a + b, 0) / ys.length : 0;
    if (points.length < 3) { this.w = undefined; return; }
    const xs = points.map((p) => features(this.names, p.knobs));
    const d = xs[0].length;
    const a = Array.from({ length: d }, (_, i) => Array.from({ length: d }, (_, j) =>
      xs.reduce((s, x) => s + x[i] * x[j], 0) + (i === j && i > 0 ? this.lambda : 0)));
    const b = Array.from({ length: d }, (_, i) => xs.reduce((s, x, r) => s + x[i] * (ys[r] - this.mean), 0));
    this.w = solve(a, b);
  }

  /** Predicted log(ms). */
  predict(k: Knobs): number {
    if (!this.w) return this.mean;
    const f = features(this.names, k);
    return this.mean + f.reduce((s, x, i) => s + x * this.w![i], 0);
  }
}
