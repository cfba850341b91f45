// Profiles of single runs (`session.run(feeds, { profile: true })`): the events the native VM
// recorded, as Chrome trace events (load the JSON of chromeTrace() in chrome://tracing or
// Perfetto), and their summary per kernel for `kestrel run --bench N`.
// kestrel/ort writes the same events in onnxruntime's profile format (ort/profiling.ts).
// Names come from the artifact's debug table: kernels by name with the ONNX nodes fused into each
// call, builtins by instruction with the ONNX tensor they write. Timing is on only for runs that
// ask for it.

/** One kernel call or VM builtin of a profiled run (Chrome trace "complete" event). */
export interface ProfileEvent {
  /** Kernel name (`kestrel_k3_conv_relu`) or VM instruction (`alloc`, `copy`, ...). */
  readonly name: string;
  readonly cat: 'kernel' | 'builtin';
  readonly ph: 'X';
  /** Start, in microseconds from the start of the run. */
  readonly ts: number;
  /** Duration in microseconds. */
  readonly dur: number;
  readonly pid: number;
  readonly tid: number;
  readonly args: {
    /** Kernels: [name, op type] of the ONNX nodes fused into this call, the root first. */
    readonly nodes?: readonly (readonly [string, string])[];
    /** Kernels: the shapes of the tensors passed to the call (inputs and outputs). */
    readonly shapes?: readonly (readonly number[])[];
    /** Kernels: floating-point operations of this call (conv, matmul, gemm roots), if counted. */
    readonly flops?: number;
    /** Builtins: the ONNX tensor the instruction writes, when it has a name. */
    readonly tensor?: string;
  };
}

/** What `run(feeds, { profile: true })` resolves to. */
export interface ProfiledRun<O> {
  readonly outputs: O;
  readonly events: readonly ProfileEvent[];
}

/** The JSON object chrome://tracing and Perfetto load (see chromeTrace). */
export interface ChromeTrace {
  readonly traceEvents: readonly ProfileEvent[];
  readonly displayTimeUnit: 'ms';
}

/** The JSON object chrome://tracing and Perfetto load. */
export function chromeTrace(events: readonly ProfileEvent[]): ChromeTrace {
  return { traceEvents: events, displayTimeUnit: 'ms' };
}

/** One row of the per-kernel summary: a kernel call site's name and fused ONNX nodes. */
export interface KernelRow {
  readonly name: string;
  readonly nodes: string;
  readonly calls: number;
  readonly totalUs: number;
  /** Share of all kernel and builtin time, 0..1. */
  readonly share: number;
  readonly meanUs: number;
  /** Achieved GFLOP/s, when the kernel's FLOPs are counted. */
  readonly gflops?: number;
}

/**
 * Sums the events of several runs per kernel and ONNX node group, slowest first; builtins are
 * summed into one row per instruction.
 */
export function kernelTable(runs: readonly (readonly ProfileEvent[])[]): KernelRow[] {
  type Acc = { name: string; nodes: string; calls: number; us: number; flops: number; counted: boolean };
  const rows = new Map<string, Acc>();
  let total = 0;
  for (const e of runs.flat()) {
    const nodes = (e.args.nodes ?? []).map(([n, op]) => `${n} (${op})`).join(', ');
    const key = `${e.cat}\u0000${e.name}\u0000${nodes}`;
    const r = rows.get(key) ?? { name: e.name, nodes, calls: 0, us: 0, flops: 0, counted: true };
    r.calls++;
    r.us += e.dur;
    if (e.args.flops === undefined) r.counted = false;
    else r.flops += e.args.flops;
    rows.set(key, r);
    total += e.dur;
  }
  return [...rows.values()].sort((a, b) => b.us - a.us).map((r) => ({
    name: r.name, nodes: r.nodes, calls: r.calls, totalUs: r.us, share: total > 0 ? r.us / total : 0,
    meanUs: r.us / r.calls, ...(r.counted && r.us > 0 ? { gflops: r.flops / (r.us * 1e3) } : {}),
  }));
}
