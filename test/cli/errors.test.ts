// The CLI's command-line mistakes: each prints `error: ...` naming the flag or argument, then the
// usage of that command, and exits 2; --version and help exit 0. Runs main() in-process (the
// TypeScript sources) and, once, the built bin/ script, to see the real exit status.
import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { main } from '../../compiler/cli-main.js';
import { REPO_ROOT } from '../helpers/shared.js';

interface Ran { code: number; out: string; err: string }

async function cli(...argv: string[]): Promise<Ran> {
  const out: string[] = [], err: string[] = [];
  vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  vi.spyOn(console, 'error').mockImplementation((...a: unknown[]) => { err.push(a.join(' ')); });
  const code = await main(argv);
  vi.restoreAllMocks();
  return { code, out: out.join('\n'), err: err.join('\n') };
}

afterEach(() => { vi.restoreAllMocks(); });

/** A usage error: exit 2, the message first, then that command's usage. */
async function expectUsageError(argv: string[], message: string, command?: string): Promise<void> {
  const r = await cli(...argv);
  expect(r.code).toBe(2);
  expect(r.err.split('\n')[0]).toBe(`error: ${message}`);
  expect(r.err).toContain(command ? `usage: kestrel ${command} ` : 'usage: kestrel COMMAND');
  expect(r.out).toBe('');
}

describe('kestrel CLI usage errors (exit 2, message and usage)', () => {
  it('an unknown flag is refused, with the nearest known one', async () => {
    await expectUsageError(['compile', 'm.onnx', '--dynamc'],
      "unknown flag '--dynamc' for 'compile'; did you mean --dynamic?", 'compile');
    await expectUsageError(['run', 'm.so', '--frobnicate'], "unknown flag '--frobnicate' for 'run'", 'run');
  });

  it('a flag of another command is unknown here', async () => {
    await expectUsageError(['inspect', 'm.so', '--bench', '3'], "unknown flag '--bench' for 'inspect'",
      'inspect');
  });

  it('a missing value', async () => {
    await expectUsageError(['run', 'm.so', '--bench'], '--bench needs a value (N)', 'run');
    await expectUsageError(['compile', 'm.onnx', '-o'], '-o, --output needs a value (FILE.so)', 'compile');
  });

  it('a flag where a value belongs is not taken as the value', async () => {
    await expectUsageError(['run', 'm.so', '--inputs', '--check'], '--inputs needs a value (DIR)', 'run');
  });

  it('a bad number', async () => {
    await expectUsageError(['run', 'm.so', '--bench', 'abc'],
      "--bench expects a whole number of at least 1, got 'abc'", 'run');
    await expectUsageError(['run', 'm.so', '--bench', '0'],
      "--bench expects a whole number of at least 1, got '0'", 'run');
    await expectUsageError(['run', 'm.so', '--threads', '2.5'],
      "--threads expects a whole number (0, 1, 2, ...), got '2.5'", 'run');
    await expectUsageError(['tune', 'm.onnx', '--log', 'l.jsonl', '--trials', '1e3'],
      "--trials expects a whole number of at least 1, got '1e3'", 'tune');
  });

  it('a value given to a switch', async () => {
    await expectUsageError(['run', 'm.so', '--check=yes'], '--check takes no value', 'run');
  });

  it('a missing or an extra argument', async () => {
    await expectUsageError(['run'], "'run' needs model.so", 'run');
    await expectUsageError(['compile', 'a.onnx', 'b.onnx'],
      "'compile' takes 1 argument(s); unexpected 'b.onnx'", 'compile');
  });

  it('a bad --fix or --shapes list', async () => {
    await expectUsageError(['compile', 'm.onnx', '--fix', 'batch=x'],
      "--fix expects name=value[,name=value], got 'batch=x'", 'compile');
  });

  it('an unknown command, and help on one', async () => {
    await expectUsageError(['compiel', 'm.onnx'], "unknown command 'compiel'");
    await expectUsageError(['help', 'nope'], "no command 'nope'");
    await expectUsageError(['--dynamic'], "unknown flag '--dynamic' (a command comes first)");
  });
});

describe('kestrel --version and help', () => {
  it('--version prints the package version', async () => {
    const r = await cli('--version');
    const { version } = (await import('../../package.json', { with: { type: 'json' } })).default;
    expect(r).toEqual({ code: 0, out: `kestrel ${version}`, err: '' });
  });

  it('help COMMAND and COMMAND --help print that command\'s flags', async () => {
    const h = await cli('help', 'run');
    expect(h.code).toBe(0);
    for (const flag of ['--inputs DIR', '--shapes', '--bench N', '--threads N', '--profile']) {
      expect(h.out).toContain(flag);
    }
    expect(await cli('run', '--help')).toEqual(h);
  });

  it('help lists every command', async () => {
    const r = await cli('help');
    expect(r.code).toBe(0);
    for (const c of ['compile', 'run', 'inspect', 'tune']) expect(r.out).toMatch(new RegExp(`^  ${c} `, 'm'));
  });
});

describe('the built kestrel bin', () => {
  const bin = join(REPO_ROOT, 'dist', 'compiler', 'cli.js');
  it('exits with status 2 on an unknown flag and prints no npm warning', () => {
    expect(existsSync(bin), `${bin} is missing: run npm run build:ts`).toBe(true);
    const r = spawnSync(process.execPath, [bin, 'compile', 'm.onnx', '--dynamc'], { encoding: 'utf8' });
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^error: unknown flag '--dynamc' for 'compile'/);
    expect(r.stdout).toBe('');
  });
});
