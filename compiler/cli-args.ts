// Strict argument parsing for the kestrel CLI, driven by a declarative table (CommandSpec): each
// command names its positionals and flags with a value kind; node:util parseArgs (strict) rejects
// unknown flags and missing values, and this file checks the value kinds (count, integer, dims).
// Requires: a CommandSpec. Guarantees: parse() either returns Args whose every value has passed its
// kind's check, or throws a UsageError naming the command, which main() prints with that command's
// usage and exit code 2. usage() is generated from the same table, so help and parsing cannot drift.

import { parseArgs, type ParseArgsConfig } from 'node:util';

/** How a flag's value is checked. 'bool' takes no value. */
export type FlagKind = 'bool' | 'string' | 'path' | 'count' | 'positive' | 'list';

export interface FlagSpec {
  /** Long name without dashes: 'target' is --target. */
  readonly name: string;
  /** One-letter alias: 'o' is -o. */
  readonly short?: string;
  readonly kind: FlagKind;
  /** The value's placeholder in the usage text ('N', 'DIR'). */
  readonly value?: string;
  readonly help: string;
  /** May be given more than once; the values are joined with ',' (for --fix, --shapes). */
  readonly repeat?: boolean;
}

export interface PositionalSpec {
  readonly name: string;
  readonly optional?: boolean;
  /** Takes every remaining positional (tune --merge a.jsonl b.jsonl ...). */
  readonly variadic?: boolean;
}

export interface CommandSpec {
  readonly name: string;
  readonly summary: string;
  readonly positionals: readonly PositionalSpec[];
  readonly flags: readonly FlagSpec[];
  /** Extra lines after the flag list: examples, notes. */
  readonly notes?: readonly string[];
}

/** A command-line mistake: printed with the command's usage, exit code 2. */
export class UsageError extends Error {
  constructor(readonly command: string | undefined, message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

/** Parsed arguments. `flags` is keyed by the long form ('--target') for callers such as tune. */
export interface Args {
  readonly command: string;
  readonly positional: readonly string[];
  readonly flags: ReadonlyMap<string, string | true>;
}

const HELP: FlagSpec = { name: 'help', short: 'h', kind: 'bool', help: 'print this usage' };

function config(spec: CommandSpec): ParseArgsConfig['options'] {
  const options: NonNullable<ParseArgsConfig['options']> = {};
  for (const f of [...spec.flags, HELP]) {
    options[f.name] = { type: f.kind === 'bool' ? 'boolean' : 'string',
      ...(f.short ? { short: f.short } : {}), ...(f.repeat ? { multiple: true } : {}) };
  }
  return options;
}

/** node:util's messages, with the command named and the flag's placeholder. */
function parseError(spec: CommandSpec, e: Error & { code?: string }): UsageError {
  const name = spec.name;
  switch (e.code) {
    case 'ERR_PARSE_ARGS_UNKNOWN_OPTION': {
      const flag = /'([^']+)'/.exec(e.message)?.[1] ?? '?';
      return new UsageError(name, `unknown flag '${flag}' for '${name}'${suggestion(spec, flag)}`);
    }
    case 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE': {
      // "Option '-o, --output <value>' argument missing" or "Option '--inputs' argument is ambiguous"
      const flag = /'(-[^']*?)(?: <value>)?'/.exec(e.message)?.[1] ?? '?';
      const f = findFlag(spec, flag.split(', ').at(-1)!);
      return new UsageError(name, f?.kind === 'bool' ? `${flag} takes no value`
        : `${flag} needs a value (${f?.value ?? 'VALUE'})`);
    }
    case 'ERR_PARSE_ARGS_UNEXPECTED_POSITIONAL':
      return new UsageError(name, `'${name}' takes no argument '${/'([^']+)'/.exec(e.message)?.[1]}'`);
    default:
      return new UsageError(name, e.message);
  }
}

function findFlag(spec: CommandSpec, flag: string): FlagSpec | undefined {
  const bare = flag.replace(/^-+/, '').split('=')[0];
  return spec.flags.find((f) => f.name === bare || f.short === bare);
}

/** ", did you mean --dynamic?" when a known flag is within two edits. */
function suggestion(spec: CommandSpec, flag: string): string {
  const bare = flag.replace(/^-+/, '').split('=')[0];
  const best = spec.flags.map((f) => ({ f, d: editDistance(bare, f.name) }))
    .filter((x) => x.d <= 2).sort((x, y) => x.d - y.d)[0];
  return best ? `; did you mean --${best.f.name}?` : '';
}

function editDistance(a: string, b: string): number {
  let prev = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const cur = [i];
    for (let j = 1; j <= b.length; j++) {
      cur[j] = Math.min(prev[j] + 1, cur[j - 1] + 1, prev[j - 1] + (a[i - 1] === b[j - 1] ? 0 : 1));
    }
    prev = cur;
  }
  return prev[b.length];
}

/** Checks one value against its flag's kind; the message names the flag and what it expects. */
function checkValue(cmd: string, f: FlagSpec, v: string): void {
  const bad = (what: string) => new UsageError(cmd, `--${f.name} expects ${what}, got '${v}'`);
  switch (f.kind) {
    case 'bool': return;
    case 'string': case 'path': case 'list':
      if (v === '') throw bad(`a ${f.value ?? 'value'}`);
      return;
    case 'count':
      if (!/^\d+$/.test(v) || !Number.isSafeInteger(Number(v))) throw bad('a whole number (0, 1, 2, ...)');
      return;
    case 'positive':
      if (!/^\d+$/.test(v) || Number(v) < 1 || !Number.isSafeInteger(Number(v))) {
        throw bad('a whole number of at least 1');
      }
      return;
  }
  const never: never = f.kind;
  throw new Error(`unknown flag kind ${String(never)}`);
}

/** Parses `argv` (the words after the command) against `spec`. Throws UsageError. */
export function parse(spec: CommandSpec, argv: readonly string[]): Args {
  let parsed;
  try {
    parsed = parseArgs({ args: [...argv], options: config(spec), strict: true, allowPositionals: true });
  } catch (e) {
    throw parseError(spec, e as Error & { code?: string });
  }
  const flags = new Map<string, string | true>();
  for (const f of [...spec.flags, HELP]) {
    const raw = (parsed.values as Record<string, unknown>)[f.name] as
      string | boolean | (string | boolean)[] | undefined;
    if (raw === undefined || raw === false) continue;
    const values = (Array.isArray(raw) ? raw : [raw]).filter((v): v is string => typeof v === 'string');
    for (const v of values) checkValue(spec.name, f, v);
    flags.set(`--${f.name}`, f.kind === 'bool' ? true : values.join(','));
  }
  if (flags.has('--help')) return { command: spec.name, positional: parsed.positionals, flags };
  checkPositionals(spec, parsed.positionals);
  return { command: spec.name, positional: parsed.positionals, flags };
}

function checkPositionals(spec: CommandSpec, given: readonly string[]): void {
  const required = spec.positionals.filter((p) => !p.optional);
  if (given.length < required.length) {
    throw new UsageError(spec.name, `'${spec.name}' needs ${required[given.length].name}`);
  }
  const variadic = spec.positionals.some((p) => p.variadic);
  if (!variadic && given.length > spec.positionals.length) {
    throw new UsageError(spec.name, `'${spec.name}' takes ${spec.positionals.length} argument(s); `
      + `unexpected '${given[spec.positionals.length]}'`);
  }
}

/** The string value of flag `name` ('--target'), if given. */
export function str(a: Args, name: string): string | undefined {
  const v = a.flags.get(name);
  return typeof v === 'string' ? v : undefined;
}

/** A count/positive flag's value (already checked by parse), if given. */
export function int(a: Args, name: string): number | undefined {
  const v = str(a, name);
  return v === undefined ? undefined : Number(v);
}

/** The usage text of one command, generated from its spec. */
export function usage(spec: CommandSpec): string {
  const pos = spec.positionals.map((p) => {
    const n = p.variadic ? `${p.name}...` : p.name;
    return p.optional ? `[${n}]` : n;
  }).join(' ');
  const lines = [`usage: kestrel ${spec.name}${pos ? ` ${pos}` : ''} [flags]`, `  ${spec.summary}`];
  const rows = [...spec.flags, HELP].map((f) => {
    const names = `${f.short ? `-${f.short}, ` : '    '}--${f.name}${f.value ? ` ${f.value}` : ''}`;
    return [names, f.help + (f.repeat ? ' (repeatable)' : '')] as const;
  });
  const width = Math.min(34, Math.max(...rows.map(([n]) => n.length)) + 2);
  lines.push('flags:');
  for (const [n, h] of rows) {
    lines.push(n.length + 2 > width ? `  ${n}\n  ${' '.repeat(width)}${h}` : `  ${n.padEnd(width)}${h}`);
  }
  if (spec.notes?.length) lines.push(...spec.notes);
  return lines.join('\n');
}
