// The kestrel CLI's dispatch: `kestrel COMMAND ...`, `kestrel help [COMMAND]`, `kestrel --version`.
// Requires: the command table (cli-commands.ts). Guarantees: exit code 0 on success, 1 when the
// work failed (a KestrelError prints as `error KCxxxx: message`), 2 on a command-line mistake (the
// message, then that command's usage, on stderr).

import { KestrelError } from '../runtime-vm/errors.js';
import { KESTREL_VERSION } from '../runtime-vm/version.js';
import { parse, usage, UsageError } from './cli-args.js';
import { COMMANDS, type Command } from './cli-commands.js';

const find = (name: string | undefined): Command | undefined => COMMANDS.find((c) => c.spec.name === name);

/** The overview: every command with its summary. */
export function overview(): string {
  const width = Math.max(...COMMANDS.map((c) => c.spec.name.length)) + 2;
  return ['usage: kestrel COMMAND [arguments] [flags]', 'commands:',
    ...COMMANDS.map((c) => `  ${c.spec.name.padEnd(width)}${c.spec.summary}`),
    `  ${'help'.padEnd(width)}kestrel help COMMAND prints that command's flags`,
    'flags: --version prints the version; --help after a command prints its usage',
    'docs: docs/cli.md'].join('\n');
}

function help(topic: string | undefined): number {
  if (topic === undefined) { console.log(overview()); return 0; }
  const c = find(topic);
  if (!c) throw new UsageError(undefined, `no command '${topic}'`);
  console.log(usage(c.spec));
  return 0;
}

async function dispatch(argv: readonly string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  if (cmd === undefined || cmd === '--help' || cmd === '-h') return help(undefined);
  if (cmd === '--version' || cmd === '-V') { console.log(`kestrel ${KESTREL_VERSION}`); return 0; }
  if (cmd === 'help') {
    if (rest.length > 1) throw new UsageError(undefined, `'help' takes one command, got ${rest.join(' ')}`);
    return help(rest[0]);
  }
  const c = find(cmd);
  if (!c) {
    throw new UsageError(undefined, cmd.startsWith('-') ? `unknown flag '${cmd}' (a command comes first)`
      : `unknown command '${cmd}'`);
  }
  const a = parse(c.spec, rest);
  if (a.flags.has('--help')) { console.log(usage(c.spec)); return 0; }
  return await c.run(a);
}

/** Runs the CLI on `argv` (the words after `kestrel`) and returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  try {
    return await dispatch(argv);
  } catch (e) {
    if (e instanceof UsageError) {
      const c = find(e.command);
      console.error(`error: ${e.message}\n\n${c ? usage(c.spec) : overview()}`);
      return 2;
    }
    if (e instanceof KestrelError) console.error(`error ${e.message}`);
    else console.error(`error: ${(e as Error).message}`);
    return 1;
  }
}
