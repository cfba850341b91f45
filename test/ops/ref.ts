// Straightforward JS reference implementations (float64 accumulation) for the op tests.

export const prod = (xs: readonly number[]): number => xs.reduce((a, b) => a * b, 1);

export function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length).fill(1);
  for (let i = shape.length - 2; i >= 0; i--) s[i] = s[i + 1] * shape[i + 1];
  return s;
}

/** Calls f for every multi-index of `shape` in row-major order. */
export function forEachIndex(shape: readonly number[], f: (idx: number[]) => void): void {
  const n = prod(shape), idx = new Array<number>(shape.length).fill(0);
  for (let k = 0; k < n; k++) {
    let r = k;
    for (let i = shape.length - 1; i >= 0; i--) { idx[i] = r % shape[i]; r = Math.floor(r / shape[i]); }
    f(idx);
  }
}

export interface WinRef {
  kernel: number[]; strides: number[]; dilations: number[]; padsBegin: number[]; out: number[];
}

export function convRef(
  x: Float32Array, xs: number[], w: Float32Array, ws: number[], b: Float32Array | null,
  group: number, win: WinRef,
): Float32Array {
  const [N, C] = xs, M = ws[0], icg = C / group, ocg = M / group, X = xs.slice(2);
  const outShape = [N, M, ...win.out];
  const y = new Float32Array(prod(outShape));
  const xst = strides(xs), wst = strides(ws);
  let o = 0;
  forEachIndex(outShape, ([n, m, ...os]) => {
    const g = Math.floor(m / ocg);
    let acc = b ? b[m] : 0;
    for (let ic = 0; ic < icg; ic++) {
      forEachIndex(win.kernel, (ks) => {
        let xi = n * xst[0] + (g * icg + ic) * xst[1];
        for (let i = 0; i < ks.length; i++) {
          const p = os[i] * win.strides[i] + ks[i] * win.dilations[i] - win.padsBegin[i];
          if (p < 0 || p >= X[i]) return;
          xi += p * xst[2 + i];
        }
        let wi = m * wst[0] + ic * wst[1];
        ks.forEach((k, i) => { wi += k * wst[2 + i]; });
        acc += w[wi] * x[xi];
      });
    }
    y[o++] = acc;
  });
  return y;
}
