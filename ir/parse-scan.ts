// The character scanner of the graph-IR text parser (ir/parse.ts): whitespace and comments,
// punctuation, names (plain or JSON-quoted, as ir/print.ts writes them), numbers and strings.
// Every failure is an IrParseError carrying the 1-based line and column where it was found.

export class IrParseError extends Error {
  constructor(readonly line: number, readonly column: number, readonly reason: string,
    /** The KC code of the builder's error when the op's checks rejected the node. */
    readonly code?: string) {
    super(`line ${line}, column ${column}: ${reason}`);
    this.name = 'IrParseError';
  }
}

const PLAIN = /[A-Za-z0-9_./]/;
const WORD = /[A-Za-z0-9_]/;
const NUMBER = /^-?(?:0x[0-9a-fA-F]+|(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?|inf|nan)/;

export class Scanner {
  pos = 0;
  constructor(readonly text: string) {}

  fail(reason: string, at = this.pos, code?: string): never {
    const before = this.text.slice(0, at).split('\n');
    throw new IrParseError(before.length, before[before.length - 1].length + 1, reason, code);
  }

  /** Skips spaces and line breaks; with `comments`, `//` comments too (only between lines). */
  ws(comments = false): void {
    for (;;) {
      while (this.pos < this.text.length && /\s/.test(this.text[this.pos])) this.pos++;
      if (!comments || !this.text.startsWith('//', this.pos)) return;
      const end = this.text.indexOf('\n', this.pos);
      this.pos = end < 0 ? this.text.length : end;
    }
  }

  /** Skips spaces and tabs only (stays on the line). */
  blanks(): void {
    while (this.text[this.pos] === ' ' || this.text[this.pos] === '\t') this.pos++;
  }

  /** The position of the next token (whitespace skipped). */
  here(): number { this.ws(); return this.pos; }

  done(): boolean { this.ws(true); return this.pos >= this.text.length; }

  peek(s: string): boolean { this.ws(); return this.text.startsWith(s, this.pos); }

  /** Consumes `s` (a word must not run on into more letters). */
  eat(s: string): boolean {
    if (!this.peek(s)) return false;
    if (WORD.test(s[s.length - 1]) && WORD.test(this.text[this.pos + s.length] ?? '')) return false;
    this.pos += s.length;
    return true;
  }

  expect(s: string, what = `'${s}'`): void {
    if (!this.eat(s)) this.fail(`expected ${what}, found ${this.found()}`);
  }

  /** What stands at the cursor, for messages. */
  found(): string {
    this.ws();
    if (this.pos >= this.text.length) return 'the end of the text';
    const m = /^(?:[A-Za-z0-9_]+|\S)/.exec(this.text.slice(this.pos));
    return `'${m![0]}'`;
  }

  /** A run of letters, digits and `_` (op names, keywords, symbols); '' when none. */
  word(): string {
    this.ws();
    const start = this.pos;
    while (this.pos < this.text.length && WORD.test(this.text[this.pos])) this.pos++;
    return this.text.slice(start, this.pos);
  }

  /** A value, function or attribute name: plain characters (`chars`) or a JSON string. */
  name(what: string, chars = PLAIN): string {
    if (this.text[this.pos] === '"') return this.string();
    const start = this.pos;
    while (this.pos < this.text.length && chars.test(this.text[this.pos])) this.pos++;
    if (this.pos === start) this.fail(`expected ${what}, found ${this.found()}`);
    return this.text.slice(start, this.pos);
  }

  /** A JSON string literal. */
  string(): string {
    this.ws();
    const start = this.pos;
    if (this.text[start] !== '"') this.fail(`expected a string, found ${this.found()}`);
    let i = start + 1;
    for (; i < this.text.length && this.text[i] !== '"' && this.text[i] !== '\n'; i++) {
      if (this.text[i] === '\\') i++;
    }
    if (this.text[i] !== '"') this.fail('unterminated string', start);
    this.pos = i + 1;
    try {
      return JSON.parse(this.text.slice(start, i + 1)) as string;
    } catch {
      return this.fail('invalid escape in string', start);
    }
  }

  /** The text of a number (`-inf`, `nan` and `0x..` included), or undefined when none is here. */
  number(): string | undefined {
    this.ws();
    const m = NUMBER.exec(this.text.slice(this.pos));
    if (!m || WORD.test(this.text[this.pos + m[0].length] ?? '')) return undefined;
    this.pos += m[0].length;
    return m[0];
  }
}

/** The value of a number's text (nan and inf spelled as the printer writes them). */
export function numberValue(s: string): number {
  if (s === 'nan') return NaN;
  if (s === 'inf') return Infinity;
  if (s === '-inf') return -Infinity;
  return Number(s);
}
