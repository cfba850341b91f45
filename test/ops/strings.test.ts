// String tensors through the real compile/run path (ONNX model -> .so -> VM string_op -> Node),
// against references written here from the ONNX operators' definitions: StringNormalizer,
// StringConcat, Equal on strings, RegexFullMatch, StringSplit; and the compile-time refusals
// (a string tensor where an op cannot take one, a string op given numbers, a string constant).

import { afterAll, describe, expect, it } from 'vitest';
import type { Session } from '../../runtime-vm/session.js';
import { Tensor } from '../../runtime-vm/tensor.js';
import { BOOL, FLOAT, INT64, node, STRING, vi } from '../fixtures/onnx-builder.js';
import { buildModel } from '../helpers/models.js';

const str = (dims: number[], data: string[]) => new Tensor('string', data, dims);
const attrS = (name: string, s: string) => ({ name, type: 3, s: new TextEncoder().encode(s) });
const attrSs = (name: string, ss: string[]) => ({ name, type: 8,
  strings: ss.map((s) => new TextEncoder().encode(s)) });
const attrI = (name: string, i: number) => ({ name, type: 2, i });

/** numpy broadcasting of two shapes, and the input offsets of every output element. */
function broadcast(a: number[], b: number[]): { shape: number[]; pairs: [number, number][] } {
  const r = Math.max(a.length, b.length);
  const pa = [...Array(r - a.length).fill(1), ...a], pb = [...Array(r - b.length).fill(1), ...b];
  const shape = pa.map((d, k) => (d === 1 ? pb[k] : d));
  const n = shape.reduce((x, y) => x * y, 1), pairs: [number, number][] = [];
  for (let i = 0; i < n; i++) {
    let rest = i, oa = 0, ob = 0, sa = 1, sb = 1;
    for (let k = r - 1; k >= 0; k--) {
      const x = rest % shape[k];
      rest = Math.floor(rest / shape[k]);
      if (pa[k] !== 1) oa += x * sa;
      if (pb[k] !== 1) ob += x * sb;
      sa *= pa[k];
      sb *= pb[k];
    }
    pairs.push([oa, ob]);
  }
  return { shape, pairs };
}

/** Python's str.split(sep, maxsplit) (sep null: runs of whitespace, no empty pieces). */
function pySplit(s: string, sep: string | null, maxsplit: number): string[] {
  if (sep === null) {
    const out: string[] = [];
    let rest = s.replace(/^\s+/, '');
    while (rest.length > 0) {
      if (maxsplit >= 0 && out.length === maxsplit) return [...out, rest.replace(/\s+$/, '')];
      const m = /\s+/.exec(rest);
      out.push(m ? rest.slice(0, m.index) : rest);
      rest = m ? rest.slice(m.index + m[0].length) : '';
    }
    return out;
  }
  const parts = s.split(sep);
  if (maxsplit < 0 || parts.length <= maxsplit + 1) return parts;
  return [...parts.slice(0, maxsplit), parts.slice(maxsplit).join(sep)];
}

const sessions: Session[] = [];
async function model(name: string, spec: Parameters<typeof buildModel>[1]): Promise<Session> {
  const s = await buildModel(name, { opset: 20, ...spec });
  sessions.push(s);
  return s;
}
afterAll(() => sessions.forEach((s) => s.dispose()));

describe('string tensors', () => {
  it('StringNormalizer: stopwords (case-insensitive), UPPER and LOWER, UTF-8 Latin letters', async () => {
    const words = ['Monday', 'élan', 'MONDAY', 'Ærø', 'Łódź', 'tuesday'];
    for (const action of ['UPPER', 'LOWER'] as const) {
      const s = await model(`strnorm-${action}`, {
        nodes: [node('StringNormalizer', ['x'], ['y'], [attrS('case_change_action', action),
          attrSs('stopwords', ['monday'])])],
        inputs: [vi('x', STRING, ['n'])], outputs: [vi('y', STRING, ['m'])],
      });
      const want = words.filter((w) => w.toLowerCase() !== 'monday')
        .map((w) => (action === 'UPPER' ? w.toUpperCase() : w.toLowerCase()));
      const y = (await s.run({ x: str([words.length], words) })).y as Tensor;
      expect([y.type, y.dims, y.data]).toEqual(['string', [want.length], want]);
      // Everything removed: one empty string, as the operator defines it.
      const none = (await s.run({ x: str([2], ['monday', 'Monday']) })).y as Tensor;
      expect([none.dims, none.data]).toEqual([[1], ['']]);
    }
  });

  it('StringNormalizer: case-sensitive stopwords on [1, C], no case change', async () => {
    const s = await model('strnorm-2d', {
      nodes: [node('StringNormalizer', ['x'], ['y'], [attrI('is_case_sensitive', 1),
        attrSs('stopwords', ['a', 'Bé'])])],
      inputs: [vi('x', STRING, [1, 5])], outputs: [vi('y', STRING, [1, 'm'])],
    });
    const x = ['a', 'A', 'Bé', 'bé', ''];
    const want = x.filter((w) => w !== 'a' && w !== 'Bé');
    const y = (await s.run({ x: str([1, 5], x) })).y as Tensor;
    expect([y.dims, y.data]).toEqual([[1, want.length], want]);
  });

  it('StringNormalizer: a symbolic first dim must be 1 at run time (KR0204)', async () => {
    const s = await model('strnorm-sym', {
      nodes: [node('StringNormalizer', ['x'], ['y'])],
      inputs: [vi('x', STRING, ['b', 'c'])], outputs: [vi('y', STRING, [1, 'm'])],
    });
    expect(((await s.run({ x: str([1, 2], ['p', 'q']) })).y as Tensor).data).toEqual(['p', 'q']);
    await expect(s.run({ x: str([2, 1], ['p', 'q']) })).rejects.toMatchObject({ code: 'KR0204' });
  });

  it('StringConcat and Equal broadcast like numpy', async () => {
    const s = await model('concat-equal', {
      nodes: [node('StringConcat', ['a', 'b'], ['c']), node('Equal', ['a', 'b'], ['e'])],
      inputs: [vi('a', STRING, [2, 1]), vi('b', STRING, [3])],
      outputs: [vi('c', STRING, [2, 3]), vi('e', BOOL, [2, 3])],
    });
    const a = ['x', '中文'], b = ['', 'x', '中文'];
    const { shape, pairs } = broadcast([2, 1], [3]);
    const out = await s.run({ a: str([2, 1], a), b: str([3], b) });
    const c = out.c as Tensor, e = out.e as Tensor;
    expect([c.dims, c.data]).toEqual([shape, pairs.map(([i, j]) => a[i] + b[j])]);
    expect([e.type, e.dims, Array.from(e.data as Uint8Array)])
      .toEqual(['bool', shape, pairs.map(([i, j]) => (a[i] === b[j] ? 1 : 0))]);
  });

  it('RegexFullMatch matches the whole string', async () => {
    const pattern = '[\\w.]+@(gmail|yahoo)\\.com';
    const s = await model('regex', {
      nodes: [node('RegexFullMatch', ['x'], ['y'], [attrS('pattern', pattern)])],
      inputs: [vi('x', STRING, ['n'])], outputs: [vi('y', BOOL, ['n'])],
    });
    const x = ['a.b@gmail.com', 'x@yahoo.com ', 'me@hotmail.com', '', 'q@yahoo.com'];
    const re = new RegExp(`^(?:${pattern})$`);
    const y = (await s.run({ x: str([x.length], x) })).y as Tensor;
    expect(Array.from(y.data as Uint8Array)).toEqual(x.map((v) => (re.test(v) ? 1 : 0)));
  });

  it('StringSplit: a delimiter, whitespace, maxsplit; padded with empty strings', async () => {
    const x = ['a-b--c', '-', 'plain', ' one  two three ', ''];
    for (const [sep, maxsplit] of [['-', -1], [null, -1], [null, 1], ['-', 1]] as const) {
      const attrs = [...(sep === null ? [] : [attrS('delimiter', sep)]),
        ...(maxsplit < 0 ? [] : [attrI('maxsplit', maxsplit)])];
      const s = await model(`split-${sep ?? 'ws'}-${maxsplit}`, {
        nodes: [node('StringSplit', ['x'], ['y', 'z'], attrs)],
        inputs: [vi('x', STRING, ['n'])], outputs: [vi('y', STRING, ['n', 'w']), vi('z', INT64, ['n'])],
      });
      const pieces = x.map((v) => pySplit(v, sep, maxsplit));
      const w = Math.max(...pieces.map((p) => p.length));
      const out = await s.run({ x: str([x.length], x) });
      const y = out.y as Tensor, z = out.z as Tensor;
      expect([y.dims, y.data]).toEqual([[x.length, w],
        pieces.flatMap((p) => [...p, ...Array(w - p.length).fill('')])]);
      expect(Array.from(z.data as BigInt64Array, Number)).toEqual(pieces.map((p) => p.length));
    }
  });
});

/**
 * TfIdfVectorizer's definition: an n-gram of the pool occurs once per distinct tuple of positions
 * i, i + d, ..., i + (n - 1) d with gap d in 1 .. maxSkip + 1 whose tokens spell it (a unigram once
 * per position); TF counts, IDF gives the weight where the count is not zero, TFIDF count x weight,
 * the weight of a column being that of the pool n-gram mapped to it (weights[k] for grams[k],
 * which onnxruntime confirms).
 */
function tfidfRef(row: number[], grams: number[][], cols: number[], width: number,
  [minLength, maxSkip]: readonly number[], mode: string, weights: number[]): number[] {
  const out = new Array<number>(width).fill(0);
  grams.forEach((g, k) => {
    if (g.length < minLength) return;
    const seen = new Set<string>();
    for (let d = 1; d <= maxSkip + 1; d++) {
      for (let i = 0; i + (g.length - 1) * d < row.length; i++) {
        const at = g.map((_, j) => i + j * d);
        if (at.every((p, j) => row[p] === g[j])) seen.add(at.join(','));
      }
    }
    out[cols[k]] += seen.size;
  });
  const w = (c: number) => weights[cols.indexOf(c)] ?? 1;
  return out.map((v, c) => (mode === 'TF' ? v : mode === 'IDF' ? (v > 0 ? w(c) : 0) : v * w(c)));
}

describe('TfIdfVectorizer (integer tokens)', () => {
  it('counts uni- and bigrams with skips over a batch, in TF, IDF and TFIDF modes', async () => {
    // Pool: unigrams [4], [7]; bigrams [4, 7], [7, 7], [1, 4] (ngram_counts: starts 0 and 2).
    const pool = [4, 7, 4, 7, 7, 7, 1, 4], grams = [[4], [7], [4, 7], [7, 7], [1, 4]];
    const cols = [3, 0, 1, 4, 2], weights = [0.5, 2, 1, 3, 0.25];
    const x = [[1, 4, 7, 7, 4, 9, 7], [7, 7, 7, 1, 1, 4, 4]];
    for (const mode of ['TF', 'IDF', 'TFIDF']) {
      for (const [lo, skip] of [[1, 0], [2, 2], [1, 3]]) {
        const s = await model(`tfidf-${mode}-${lo}-${skip}`, {
          opset: 9,
          nodes: [node('TfIdfVectorizer', ['x'], ['y'], [attrS('mode', mode), attrI('min_gram_length', lo),
            attrI('max_gram_length', 2), attrI('max_skip_count', skip),
            { name: 'ngram_counts', type: 7, ints: [0, 2] }, { name: 'ngram_indexes', type: 7, ints: cols },
            { name: 'pool_int64s', type: 7, ints: pool }, { name: 'weights', type: 6, floats: weights }])],
          inputs: [vi('x', INT64, [2, 7])], outputs: [vi('y', FLOAT, [2, 5])],
        });
        const feed = new Tensor('int64', BigInt64Array.from(x.flat(), BigInt), [2, 7]);
        const y = (await s.run({ x: feed })).y as Tensor;
        const want = x.flatMap((row) => tfidfRef(row, grams, cols, 5, [lo, skip], mode, weights));
        expect([y.dims, Array.from(y.data as Float32Array)], `${mode} min ${lo} skip ${skip}`)
          .toEqual([[2, 5], want]);
      }
    }
  });
});

describe('string tensors: refused at compile time', () => {
  const fails = (spec: Parameters<typeof buildModel>[1]) => model('bad', spec).then(() => undefined,
    (e: { code?: string; message?: string }) => e);

  it('a string tensor into an op that cannot take one (KC0209, naming the node)', async () => {
    const e = await fails({ nodes: [node('Relu', ['x'], ['y'], [], 'relu_of_words')],
      inputs: [vi('x', STRING, [2])], outputs: [vi('y', STRING, [2])] });
    expect(e?.code).toBe('KC0209');
    expect(e?.message).toContain('relu_of_words');
  });

  it('a string op given numbers (KC0209)', async () => {
    const e = await fails({ nodes: [node('StringConcat', ['x', 'x'], ['y'], [], 'cat_numbers')],
      inputs: [vi('x', FLOAT, [2])], outputs: [vi('y', STRING, [2])] });
    expect(e?.code).toBe('KC0209');
    expect(e?.message).toContain('cat_numbers');
  });

  it('a string constant (KC0208, naming the tensor)', async () => {
    const e = await fails({ nodes: [node('StringConcat', ['x', 'k'], ['y'])],
      inputs: [vi('x', STRING, [1])], outputs: [vi('y', STRING, [1])],
      initializers: [{ name: 'k', dims: [1], dataType: STRING, stringData: [new Uint8Array([97])] }] });
    expect(e?.code).toBe('KC0208');
    expect(e?.message).toContain('string constants');
  });
});
