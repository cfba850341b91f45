// Profiling of kestrel/ort sessions, in onnxruntime's manner: with `enableProfiling` every run is
// profiled by kestrel's VM (run(feeds, { profile: true }), runtime-vm/profile.ts), and
// endProfiling() writes one file `${profileFilePrefix}_${YYYY-MM-DD_HH-MM-SS_mmm}.json` (local time
// of the profile's start, relative to the working directory, as onnxruntime names it) and returns
// its name. The file is what onnxruntime writes: a JSON array of Chrome trace "complete" events,
// `ts` in microseconds from the profile's start; `cat: 'Session'` for model_loading_uri /
// model_loading_array, session_initialization (kestrel: compile or cache lookup, and load) and
// model_run; `cat: 'Node'` for each kernel call, named `${root ONNX node}_kernel_time`, with
// `args.op_name` and `args.provider` as onnxruntime has them, plus kestrel's own: the kernel, the
// ONNX nodes fused into it, the shapes passed and the FLOPs. VM builtins (alloc, copy, views...)
// are Node events too, op_name `kestrel.<instruction>`, named `${tensor written}_${instruction}`
// (not `_kernel_time`: they are no ONNX node). Times are kestrel's: fractional microseconds.
// Guarantees: at most MAX_EVENTS events are kept (onnxruntime's cap); later ones are dropped with
// one warning. The file is written whole (temporary name, then rename).
import { renameSync, writeFileSync } from 'node:fs';
import { performance } from 'node:perf_hooks';
import type { ProfileEvent } from '../runtime-vm/index.js';

export const MAX_EVENTS = 1_000_000;

/** One event of the profile file (onnxruntime's format). */
export interface OrtProfileEvent {
  readonly cat: 'Session' | 'Node';
  readonly pid: number;
  readonly tid: number;
  readonly dur: number;
  readonly ts: number;
  readonly ph: 'X';
  readonly name: string;
  readonly args: Readonly<Record<string, unknown>>;
}

const pad = (n: number, w = 2): string => String(n).padStart(w, '0');

/** onnxruntime's profile time stamp: local time, `YYYY-MM-DD_HH-MM-SS_mmm`. */
export function profileStamp(d: Date): string {
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}_` +
    `${pad(d.getHours())}-${pad(d.getMinutes())}-${pad(d.getSeconds())}_${pad(d.getMilliseconds(), 3)}`;
}

export class Profiler {
  readonly file: string;
  readonly #t0: number;
  readonly #provider: string;
  readonly #events: OrtProfileEvent[] = [];
  #dropped = 0;

  /** Starts a profile now; `provider` is onnxruntime's name ('CPUExecutionProvider', ...). */
  constructor(prefix: string, provider: string, startMs = performance.now()) {
    this.#t0 = startMs;
    this.#provider = provider;
    this.file = `${prefix}_${profileStamp(new Date(Date.now() - (performance.now() - startMs)))}.json`;
  }

  /** A Session event from `startMs` to `endMs` (performance.now() times). */
  session(name: string, startMs: number, endMs: number, args: Record<string, unknown> = {}): void {
    this.#push({ cat: 'Session', pid: process.pid, tid: process.pid, dur: Math.round((endMs - startMs) * 1e3),
      ts: this.#us(startMs), ph: 'X', name, args });
  }

  /** A profiled run: model_run over it, and its kernel and builtin events placed inside. */
  run(startMs: number, endMs: number, events: readonly ProfileEvent[]): void {
    this.session('model_run', startMs, endMs);
    const base = this.#us(startMs);
    for (const e of events) this.#push(this.#node(e, base));
  }

  /** Writes the file and returns its name. */
  write(): string {
    if (this.#dropped > 0) {
      process.emitWarning(`kestrel/ort: the profile holds ${MAX_EVENTS} events; ${this.#dropped} later ` +
        'ones were dropped', { code: 'KESTREL_ORT_PROFILE_FULL' });
    }
    const tmp = `${this.file}.${process.pid}.tmp`;
    writeFileSync(tmp, `[\n${this.#events.map((e) => JSON.stringify(e)).join(',\n')}\n]\n`);
    renameSync(tmp, this.file);
    return this.file;
  }

  #us(ms: number): number {
    return Math.round((ms - this.#t0) * 1e3);
  }

  #push(e: OrtProfileEvent): void {
    if (this.#events.length < MAX_EVENTS) this.#events.push(e);
    else this.#dropped++;
  }

  #node(e: ProfileEvent, base: number): OrtProfileEvent {
    // The VM runs a session's kernels from one thread; its events say pid 1, tid 1.
    const common = { cat: 'Node' as const, pid: process.pid, tid: process.pid, dur: e.dur, ts: base + e.ts,
      ph: 'X' as const };
    if (e.cat === 'builtin') {
      const args = { op_name: `kestrel.${e.name}`, provider: this.#provider };
      return { ...common, name: e.args.tensor ? `${e.args.tensor}_${e.name}` : e.name, args };
    }
    const nodes = e.args.nodes ?? [];
    const [root, op] = nodes[0] ?? [e.name, e.name];
    const args = {
      op_name: op, provider: this.#provider, kernel: e.name,
      fused_nodes: nodes.map(([n, o]) => `${n} (${o})`),
      ...(e.args.shapes ? { shapes: e.args.shapes } : {}),
      ...(e.args.flops !== undefined ? { flops: e.args.flops } : {}),
    };
    return { ...common, name: `${root}_kernel_time`, args };
  }
}
