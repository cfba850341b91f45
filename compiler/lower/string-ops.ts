// Program lowering of the string ops (ir/ops/strings.ts): each node is one `string_op` builtin
// whose `params` string carries the attributes NUL-separated, in the order native/src/vm/strings.h
// reads them. Inputs are registers of string tensors; the builtin defines every output.

import { nodeAttrs } from '../../ir/ops/declare.js';
import { OPS } from '../../ir/ops/index.js';
import { STRING_OP_CODES } from '../../ir/ops/strings.js';
import type { Node, Value } from '../../ir/graph.js';
import type { ProgramWriter } from '../../codegen/vm-program.js';

/** The part of vm-ops.ts's VmEmitter these lowerings use (declared here: vm-ops.ts imports this). */
interface Emitter {
  readonly a: ProgramWriter;
  tensor(v: Value): number;
  define(v: Value): number;
}

const ACTION: Readonly<Record<string, string>> = { NONE: 'N', LOWER: 'L', UPPER: 'U' };

/** The params string of a string op node. */
function params(n: Node): string {
  const a = nodeAttrs(OPS.get(n.op)!.attrSchema ?? {}, n) as Record<string, unknown>;
  switch (n.op) {
    case 'string_normalizer':
      return [ACTION[a.action as string], String(a.caseSensitive), ...(a.stopwords as string[])]
        .join('\0');
    case 'regex_full_match': return a.pattern as string;
    case 'string_split':
      return [String(a.maxsplit), String(a.hasDelimiter), a.delimiter as string].join('\0');
    case 'tfidf_vectorizer': {
      const mode = { TF: 'T', IDF: 'I', TFIDF: 'B' }[a.mode as string]!;
      const csv = (k: string) => (a[k] as readonly number[]).join(',');
      return [mode, String(a.minGramLength), String(a.maxGramLength), String(a.maxSkipCount),
        csv('ngramCounts'), csv('ngramIndexes'), csv('pool'), csv('weights')].join('\0');
    }
    default: return '';
  }
}

function lower(n: Node, e: Emitter): void {
  const srcs = n.inputs.map((v) => e.tensor(v!));
  const dsts = n.outputs.map((v) => e.define(v));
  e.a.emit('string_op', { dsts, op: STRING_OP_CODES[n.op]!, srcs, params: params(n) });
}

export const STRING_LOWERINGS: readonly (readonly [string, (n: Node, e: Emitter) => void])[] =
  Object.keys(STRING_OP_CODES).map((op) => [op, lower] as const);
