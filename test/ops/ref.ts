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

/** Numpy matmul on row-major arrays (1-D promotion, batch broadcasting). */
export function matmulRef(a: Float32Array, as: number[], b: Float32Array,
  bs: number[]): { y: Float32Array; shape: number[] } {
  const A = as.length === 1 ? [1, as[0]] : as, B = bs.length === 1 ? [bs[0], 1] : bs;
  const M = A[A.length - 2], K = A[A.length - 1], N = B[B.length - 1];
  const ab = A.slice(0, -2), bb = B.slice(0, -2), r = Math.max(ab.length, bb.length);
  const batch: number[] = [];
  for (let i = 0; i < r; i++) batch.push(Math.max(ab[ab.length - r + i] ?? 1, bb[bb.length - r + i] ?? 1));
  const y = new Float32Array(prod(batch) * M * N);
  let o = 0;
  forEachIndex(batch, (bc) => {
    const off = (own: number[]) => own.reduce((acc, d, x) => acc * d
      + (d === 1 ? 0 : bc[bc.length - own.length + x]), 0);
    const ao = off(ab) * M * K, bo = off(bb) * K * N;
    for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
      let s = 0;
      for (let k = 0; k < K; k++) s += a[ao + i * K + k] * b[bo + k * N + j];
      y[o++] = s;
    }
  });
  const shape = [...batch, ...(as.length > 1 ? [M] : []), ...(bs.length > 1 ? [N] : [])];
  return { y, shape };
}

export function gemmRef(
  a: Float32Array, as: number[], b: Float32Array, bs: number[], c: Float32Array | null, cs: number[],
  tA: boolean, tB: boolean, alpha: number, beta: number,
): Float32Array {
  const M = tA ? as[1] : as[0], K = tA ? as[0] : as[1], N = tB ? bs[0] : bs[1];
  const y = new Float32Array(M * N);
  for (let i = 0; i < M; i++) for (let j = 0; j < N; j++) {
    let s = 0;
    for (let k = 0; k < K; k++) s += (tA ? a[k * M + i] : a[i * K + k]) * (tB ? b[j * K + k] : b[k * N + j]);
    let cv = 0;
    if (c) {
      const ci = cs.length === 2 ? (cs[0] === 1 ? 0 : i) * cs[1] + (cs[1] === 1 ? 0 : j)
        : cs.length === 1 ? (cs[0] === 1 ? 0 : j) : 0;
      cv = c[ci];
    }
    y[i * N + j] = alpha * s + beta * cv;
  }
  return y;
}

export interface PoolRef extends WinRef { padsEnd: number[]; isMax: boolean; includePad: boolean }

export function poolRef(x: Float32Array, xs: number[], p: PoolRef): Float32Array {
  const [N, C] = xs, X = xs.slice(2), outShape = [N, C, ...p.out];
  const y = new Float32Array(prod(outShape)), xst = strides(xs);
  let o = 0;
  forEachIndex(outShape, ([n, c, ...os]) => {
    let acc = p.isMax ? -Infinity : 0, cnt = 0;
    forEachIndex(p.kernel, (ks) => {
      let xi = n * xst[0] + c * xst[1], inside = true, padded = true;
      ks.forEach((k, i) => {
        const q = os[i] * p.strides[i] + k * p.dilations[i] - p.padsBegin[i];
        if (q < 0 || q >= X[i]) inside = false;
        if (q < -p.padsBegin[i] || q >= X[i] + p.padsEnd[i]) padded = false;
        xi += q * xst[2 + i];
      });
      if (inside) acc = p.isMax ? Math.max(acc, x[xi]) : acc + x[xi];
      if (p.includePad ? padded : inside) cnt++;
    });
    y[o++] = p.isMax ? acc : acc / cnt;
  });
  return y;
}
