// The ONNX string operators: ops over string tensors, run by the VM's `string_op` builtin (traits
// 'vm' and 'strings'; compiler/lower/string-ops.ts emits them, native/src/vm/strings.h defines
// them and the representation of a string tensor). No other op takes or makes string tensors: the
// ONNX frontend refuses a string value anywhere else (KC0209), so no kernel ever sees one. Output
// dims that depend on the strings (StringNormalizer's kept count, StringSplit's widest split) are
// fresh symbols, bound at run time from the result like any data-dependent dim. TfIdfVectorizer
// (integer tokens) runs by the same builtin: it belongs to the text family, though on numbers.

import { dimEq, isStatic } from '../dim.js';
import type { TensorType } from '../graph.js';
import { attr } from './attr-schema.js';
import { broadcastShapes } from './broadcast.js';
import { declareOp } from './declare.js';
import type { InferCtx, OpDef } from './registry.js';
import { Codes } from '../../compiler/diagnostics.js';

/** The string_op operator codes (native/src/vm/strings.h). */
export const STRING_OP_CODES: Readonly<Record<string, number>> = Object.freeze({
  string_normalizer: 0, string_concat: 1, string_equal: 2, regex_full_match: 3, string_split: 4,
  tfidf_vectorizer: 5,
});

function wantStrings(ins: readonly (TensorType | null)[], op: string, ctx: InferCtx): TensorType[] {
  return ins.map((t, i) => {
    if (!t || t.sequence || t.optional) ctx.fail(Codes.SHAPE_INFERENCE, `${op}: input ${i} must be a tensor`);
    if (t.dtype !== 'string') {
      ctx.fail(Codes.STRING_OPERAND, `${op}: input ${i} must be a string tensor, got ${t.dtype}`);
    }
    return t;
  });
}

/** Attributes as the frontend reads them: the case action, case sensitivity, the stopwords. */
export const STRING_NORMALIZER_ATTRS = {
  action: attr.oneOf(['NONE', 'LOWER', 'UPPER'] as const, 'NONE'),
  caseSensitive: attr.flag(0),
  stopwords: attr.internal<readonly string[]>([]),
};
export const REGEX_ATTRS = { pattern: attr.string() };
/** delimiter '' (or absent) splits on whitespace runs; maxsplit -1: no limit. */
export const STRING_SPLIT_ATTRS = {
  delimiter: attr.string(''), hasDelimiter: attr.flag(0), maxsplit: attr.int(-1),
};

const stringNormalizer = declareOp({
  name: 'string_normalizer', traits: ['vm', 'strings'], attrs: STRING_NORMALIZER_ATTRS,
  infer: (ins, _a, ctx) => {
    const [x] = wantStrings(ins, 'string_normalizer', ctx);
    const s = x.shape;
    if (s.length === 1) return [{ dtype: 'string', shape: [ctx.fresh('strnorm_c')] }];
    // A symbolic first dim must be 1 at run time (the VM checks it, KR0204).
    if (s.length !== 2 || (isStatic(s[0]) && !dimEq(s[0], 1))) {
      ctx.fail(Codes.SHAPE_INFERENCE, 'string_normalizer: input must be [C] or [1, C]');
    }
    return [{ dtype: 'string', shape: [1, ctx.fresh('strnorm_c')] }];
  },
});

function binary(name: string, out: 'string' | 'bool'): OpDef {
  return declareOp({
    name, traits: ['vm', 'strings'], attrs: {},
    infer: (ins, _a, ctx) => {
      const [a, b] = wantStrings(ins, name, ctx);
      return [{ dtype: out, shape: broadcastShapes([a.shape, b.shape], ctx) }];
    },
  });
}

const regexFullMatch = declareOp({
  name: 'regex_full_match', traits: ['vm', 'strings'], attrs: REGEX_ATTRS,
  infer: (ins, _a, ctx) => [{ dtype: 'bool', shape: wantStrings(ins, 'regex_full_match', ctx)[0].shape }],
});

const stringSplit = declareOp({
  name: 'string_split', traits: ['vm', 'strings'], attrs: STRING_SPLIT_ATTRS,
  infer: (ins, _a, ctx) => {
    const [x] = wantStrings(ins, 'string_split', ctx);
    return [{ dtype: 'string', shape: [...x.shape, ctx.fresh('split_n')] },
      { dtype: 'int64', shape: x.shape }];
  },
});

/**
 * TfIdfVectorizer over integer tokens (the text family's one op on numbers; a string pool is not
 * supported). The pool's n-grams, grouped by length from ngramCounts, map to output columns by
 * ngramIndexes; weights scale the columns (IDF, TFIDF).
 */
export const TFIDF_ATTRS = {
  mode: attr.oneOf(['TF', 'IDF', 'TFIDF'] as const, null),
  minGramLength: attr.int(undefined, { min: 1 }), maxGramLength: attr.int(undefined, { min: 1 }),
  maxSkipCount: attr.int(undefined, { min: 0 }),
  ngramCounts: attr.ints(undefined, { min: 0 }), ngramIndexes: attr.ints(undefined, { min: 0 }),
  pool: attr.ints([]), weights: attr.floats([]),
};

const tfidfVectorizer = declareOp({
  name: 'tfidf_vectorizer', traits: ['vm'], attrs: TFIDF_ATTRS,
  infer: (ins, a, ctx) => {
    const x = ins[0];
    const bad = (m: string): never => ctx.fail(Codes.SHAPE_INFERENCE, `tfidf_vectorizer: ${m}`);
    if (!x || x.sequence || (x.dtype !== 'int32' && x.dtype !== 'int64')) {
      return bad('input must be int32/int64');
    }
    if (x.shape.length < 1 || x.shape.length > 2) bad('input must be [C] or [N, C]');
    if (a.maxGramLength < a.minGramLength) bad('max_gram_length is below min_gram_length');
    const counts = a.ngramCounts;
    if (counts.some((c, i) => c > a.pool.length || (i > 0 && c < counts[i - 1]!))) {
      bad('ngram_counts must be non-decreasing starts into the pool');
    }
    if (a.ngramIndexes.length === 0) bad('ngram_indexes is empty');
    const width = Math.max(...a.ngramIndexes) + 1;
    return [{ dtype: 'float32', shape: x.shape.length === 2 ? [x.shape[0]!, width] : [width] }];
  },
});

export const STRING_OPS: readonly OpDef[] = [stringNormalizer, binary('string_concat', 'string'),
  binary('string_equal', 'bool'), regexFullMatch, stringSplit, tfidfVectorizer];
