// Converters for the ONNX string operators onto the kestrel string ops (ir/ops/strings.ts):
// StringNormalizer (opset 10), StringConcat, StringSplit and RegexFullMatch (opset 20), and
// TfIdfVectorizer (opset 9) on integer tokens; Equal on strings is in elementwise.ts.
// Requires: the string ops' declarations, which check the operands. Guarantees: converters only
// read the ONNX attributes into the declared ones.

import type { ConvertCtx } from '../context.js';
import { row, type ConverterRow } from './types.js';

const ACTIONS = ['NONE', 'LOWER', 'UPPER'];

/** StringNormalizer; `locale` is ignored (case folding is kestrel's own: native/src/vm/strings.h). */
function stringNormalizer(ctx: ConvertCtx) {
  const action = ctx.attrs.string('case_change_action', 'NONE');
  if (!ACTIONS.includes(action)) {
    ctx.attrs.fail('case_change_action',
      `has unknown value '${action}' (expected one of ${ACTIONS.join(', ')})`);
  }
  return ctx.result('string_normalizer', [ctx.input(0)], {
    action, caseSensitive: ctx.attrs.int('is_case_sensitive', 0) ? 1 : 0,
    stopwords: Object.freeze(ctx.attrs.strings('stopwords', [])),
  });
}

function stringSplit(ctx: ConvertCtx) {
  const has = ctx.attrs.has('delimiter');
  const maxsplit = ctx.attrs.int('maxsplit', -1);
  return ctx.result('string_split', [ctx.input(0)], {
    delimiter: has ? ctx.attrs.string('delimiter') : '', hasDelimiter: has ? 1 : 0,
    maxsplit: maxsplit < 0 ? -1 : maxsplit,
  });
}

/** TfIdfVectorizer on integer tokens; pool_strings (a string pool) is not supported. */
function tfidf(ctx: ConvertCtx) {
  if (ctx.attrs.has('pool_strings')) ctx.unsupported('TfIdfVectorizer with pool_strings (string tokens)');
  return ctx.result('tfidf_vectorizer', [ctx.input(0)], {
    mode: ctx.attrs.string('mode'), minGramLength: ctx.attrs.int('min_gram_length'),
    maxGramLength: ctx.attrs.int('max_gram_length'), maxSkipCount: ctx.attrs.int('max_skip_count'),
    ngramCounts: ctx.attrs.ints('ngram_counts'), ngramIndexes: ctx.attrs.ints('ngram_indexes'),
    pool: ctx.attrs.ints('pool_int64s', []), weights: ctx.attrs.floats('weights', []),
  });
}

export const STRING_ROWS: readonly ConverterRow[] = [
  row('StringNormalizer', ['string_normalizer'], stringNormalizer, 10),
  row('StringConcat', ['string_concat'],
    (ctx) => ctx.result('string_concat', [ctx.input(0), ctx.input(1)], {}), 20),
  row('RegexFullMatch', ['regex_full_match'],
    (ctx) => ctx.result('regex_full_match', [ctx.input(0)], { pattern: ctx.attrs.string('pattern') }), 20),
  row('StringSplit', ['string_split'], stringSplit, 20),
  row('TfIdfVectorizer', ['tfidf_vectorizer'], tfidf, 9),
];
