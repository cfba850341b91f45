#!/usr/bin/env node
// The `kestrel` executable: compile, run, inspect, tune (see `kestrel help` and docs/cli.md).
// The commands and their flags are the table in cli-commands.ts; parsing is cli-args.ts and
// dispatch cli-main.ts. Exit codes: 0 ok, 1 the work failed, 2 a command-line mistake.
import { main } from './cli-main.js';

main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
