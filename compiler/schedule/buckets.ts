// Shape buckets: the symbol values a tuning record was measured at, and the range of run-time
// values its schedule is used for. A bucket is written as the tuning log stores it, over a
// workload's canonical symbols ('$0=1,$1=37'; 'static' for a workload without symbols). The
// range of a tuned value v is the power-of-two interval it falls in, (2^(k-1), 2^k] with
// 2^k the smallest power of two >= v ([1, 1] for v = 1): a schedule tuned at seq=37 serves
// seq 33..64, one tuned at 128 serves 65..128, the lengths a sequence padded to 128 has. When
// two buckets of one workload fall in the same intervals for every symbol, both are narrowed to
// their exact values ([v, v]) and the rest of the interval keeps the generic kernel, so that no
// two buckets ever claim the same shape.
// Requires: nothing. Guarantees: pure; ranges of one workload's buckets are disjoint.

/** The values of a bucket by canonical symbol index, or undefined for 'static' / a malformed text. */
export function parseBucket(text: string): number[] | undefined {
  if (text === 'static' || text === '') return undefined;
  const values: number[] = [];
  for (const part of text.split(',')) {
    const m = /^\$(\d+)=(\d+)$/.exec(part);
    if (!m || Number(m[1]) !== values.length || Number(m[2]) < 1) return undefined;
    values.push(Number(m[2]));
  }
  return values;
}

/** The bucket text of symbol values in canonical order ('static' when there are none). */
export const bucketText = (values: readonly number[]): string =>
  values.length ? values.map((v, i) => `$${i}=${v}`).join(',') : 'static';

export interface SymbolRange {
  /** The model's symbol (the workload's canonical `$i` bound back). */
  readonly symbol: string;
  readonly lo: number;
  readonly hi: number;
}

/** The power-of-two interval (lo, hi] holding v, as inclusive bounds. */
export function pow2Range(v: number): { lo: number; hi: number } {
  if (v <= 1) return { lo: 1, hi: 1 };
  let hi = 1;
  while (hi < v) hi *= 2;
  return { lo: hi / 2 + 1, hi };
}

/**
 * The ranges of each bucket (canonical values) of one workload whose model symbols are
 * `symbols`: power-of-two intervals, narrowed to exact values where two buckets would share one.
 */
export function bucketRanges(buckets: readonly (readonly number[])[], symbols: readonly string[]):
SymbolRange[][] {
  const cell = (b: readonly number[]) => b.map((v) => pow2Range(v).hi).join(',');
  const count = new Map<string, number>();
  for (const b of buckets) count.set(cell(b), (count.get(cell(b)) ?? 0) + 1);
  return buckets.map((b) => {
    const exact = count.get(cell(b))! > 1;
    return b.map((v, i) => ({ symbol: symbols[i], ...(exact ? { lo: v, hi: v } : pow2Range(v)) }));
  });
}

/** 'seq=33..64' (one symbol), 'batch=1,seq=33..64' (several): how inspect and names show a range. */
export const rangeText = (rs: readonly SymbolRange[]): string =>
  rs.map((r) => `${r.symbol}=${r.lo === r.hi ? r.lo : `${r.lo}..${r.hi}`}`).join(',');

/** A kernel-name suffix for a range: letters, digits and underscores only ('seq33to64'). */
export const rangeSuffix = (rs: readonly SymbolRange[]): string =>
  rs.map((r) => `${r.symbol.replace(/[^A-Za-z0-9]/g, '')}${r.lo}${r.lo === r.hi ? '' : `to${r.hi}`}`)
    .join('_');
