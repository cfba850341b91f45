// How the pipeline runs a step: times it (KESTREL_TIME_PASSES=1), prints its result when asked
// (KESTREL_DUMP_IR=after:STEP[,after:STEP...] or after:all) and verifies graph IR after graph
// passes. Requires: the step names of compiler/pipeline.ts (PIPELINE_STEPS). Guarantees: a dump
// request naming no step fails before anything runs, with KC0703 and the list of steps; output
// goes to the `write` sink (stderr by default), one `// after STEP` header per dump.

import type { Func } from '../ir/graph.js';
import { printFunc } from '../ir/print.js';
import { verifyFunc } from '../ir/verify.js';
import { Codes, fail } from './diagnostics.js';

export interface DebugOptions {
  /** Steps to dump, as KESTREL_DUMP_IR spells them (default: the environment's). */
  readonly dump?: string;
  /** Print each step's time (default: KESTREL_TIME_PASSES=1). */
  readonly timing?: boolean;
  readonly write?: (text: string) => void;
}

export class Steps {
  private readonly dump: ReadonlySet<string>;
  private readonly timing: boolean;
  private readonly write: (text: string) => void;
  readonly times: { step: string; ms: number }[] = [];

  /** `deadline`: performance.now() past which no further step starts (KC0706). */
  constructor(names: readonly string[], o: DebugOptions = {}, private readonly deadline = Infinity,
    private readonly limitMs = Infinity) {
    const spec = o.dump ?? process.env.KESTREL_DUMP_IR ?? '';
    this.dump = parseDump(spec, names);
    this.timing = o.timing ?? process.env.KESTREL_TIME_PASSES === '1';
    this.write = o.write ?? ((s) => process.stderr.write(s));
  }

  /** Runs step `name`; `show` gives its printable form. */
  run<T>(name: string, f: () => T, show: (x: T) => string): T {
    const t0 = this.start(name);
    const out = f();
    this.done(name, t0, () => show(out));
    return out;
  }

  async runAsync<T>(name: string, f: () => Promise<T>, show: (x: T) => string): Promise<T> {
    const t0 = this.start(name);
    const out = await f();
    this.done(name, t0, () => show(out));
    return out;
  }

  /** A graph pass: run, dump, then verify the graph IR. */
  graph(name: string, f: Func, pass: (f: Func) => Func): Func {
    const out = this.run(name, () => pass(f), printFunc);
    const errors = verifyFunc(out);
    if (errors.length) throw new Error(`IR verification failed after ${name}:\n  ${errors.join('\n  ')}`);
    return out;
  }

  /** The timing summary line (when timing is on). */
  finish(): void {
    if (!this.timing) return;
    const total = this.times.reduce((a, t) => a + t.ms, 0);
    this.write(`[kestrel] total: ${total.toFixed(1)} ms\n`);
  }

  /** The time step `name` starts at; fails when the compile is past its time limit. */
  private start(name: string): number {
    const now = performance.now();
    if (now > this.deadline) {
      fail(Codes.COMPILE_TIME, `the compile ran past its time limit of ${this.limitMs} ms; `
        + `stopped before step ${name}, nothing was written`);
    }
    return now;
  }

  private done(name: string, t0: number, show: () => string): void {
    const ms = performance.now() - t0;
    this.times.push({ step: name, ms });
    if (this.timing) this.write(`[kestrel] ${name}: ${ms.toFixed(1)} ms\n`);
    if (this.dump.has(name)) this.write(`// after ${name}\n${show()}\n`);
  }
}

/** `after:a,after:b`, `after:a,b` or `after:all` -> step names; unknown names fail. */
function parseDump(spec: string, names: readonly string[]): ReadonlySet<string> {
  if (spec.trim() === '') return new Set();
  const asked = spec.split(',').map((s) => s.trim().replace(/^after:/, '')).filter((s) => s !== '');
  if (asked.includes('all')) return new Set(names);
  const unknown = asked.filter((s) => !names.includes(s));
  if (unknown.length) {
    fail(Codes.DUMP_STEP, `KESTREL_DUMP_IR names unknown step(s) ${unknown.join(', ')}; `
      + `steps: ${names.join(', ')}`);
  }
  return new Set(asked);
}
