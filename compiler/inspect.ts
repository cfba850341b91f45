// Human-readable dump of a typed graph: one line per node (outputs with dtype and shape, op, inputs,
// compact attributes, ONNX origin) and a summary (op counts, parameters, symbolic inputs,
// unsupported ops). Requires: a Module (and optionally the unsupported list from
// importOnnxCollect). Guarantees: pure; output is deterministic for a given module.
// describeArtifact: the same for a compiled .so, from its manifest alone: nothing in the artifact is
// mapped or run, so a foreign, corrupt or incompatible file can be inspected safely.

import { shapeToString } from '../ir/dim.js';
import { byteSize } from '../ir/dtype.js';
import { numel, type AttrValue, type Module, type Node, type Value } from '../ir/graph.js';
import type { UnsupportedOpInfo } from './frontend/onnx/import.js';
import { inspectArtifact } from '../runtime-vm/session.js';

const typeStr = (v: Value) => `${v.type.dtype}${shapeToString(v.type.shape)}`;

function attrStr(v: AttrValue): string {
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (Array.isArray(v)) return `[${v.join(',')}]`;
  if ('bytes' in (v as object)) return `<const ${(v as { dtype: string }).dtype}>`;
  return `<func ${(v as { name: string }).name}>`;
}

function operand(v: Value | null): string {
  if (!v) return '_';
  return v.data ? `%${v.name}:const` : `%${v.name}`;
}

export function nodeLine(n: Node): string {
  const outs = n.outputs.map((o) => `%${o.name}: ${typeStr(o)}`).join(', ');
  const attrs = Object.entries(n.attrs).map(([k, v]) => `${k}=${attrStr(v)}`).join(' ');
  const ins = n.inputs.map(operand).join(', ');
  return `${outs} = ${n.op}(${ins})${attrs ? ` {${attrs}}` : ''}  # ${n.origin.opType} '${n.origin.name}'`;
}

/** Distinct constant inputs of the graph (parameters). */
function constants(m: Module): Value[] {
  const seen = new Map<number, Value>();
  for (const n of m.main.nodes) for (const v of n.inputs) if (v?.data) seen.set(v.id, v);
  for (const v of m.main.outputs) if (v.data) seen.set(v.id, v);
  return [...seen.values()];
}

export function summary(m: Module, unsupported: readonly UnsupportedOpInfo[] = []): string[] {
  const counts = new Map<string, number>();
  for (const n of m.main.nodes) counts.set(n.op, (counts.get(n.op) ?? 0) + 1);
  const params = constants(m);
  const elems = params.reduce((a, v) => a + numel(v.data!.shape), 0);
  const bytes = params.reduce((a, v) => a + numel(v.data!.shape) * byteSize(v.data!.dtype), 0);
  const lines = [
    `# ops: ${[...counts].sort().map(([k, c]) => `${k} x${c}`).join(', ') || '(none)'}`,
    `# parameters: ${elems} elements, ${bytes} bytes in ${params.length} constants`,
    `# symbols: ${m.symbols.join(', ') || '(none: static shapes)'}`,
  ];
  if (unsupported.length > 0) {
    lines.push(`# unsupported: ${unsupported.length} node(s)`);
    for (const u of unsupported) lines.push(`#   ${u.op} '${u.node}': ${u.reason}`);
  }
  return lines;
}

export function inspectModule(m: Module, unsupported: readonly UnsupportedOpInfo[] = []): string {
  const head = [
    `# source: ${m.source.producer || '(unknown producer)'}, opset ${m.source.opset}, `
      + `sha256 ${m.source.sha256}`,
    `func ${m.main.name}(${m.main.inputs.map((v) => `%${v.name}: ${typeStr(v)}`).join(', ')}) {`,
  ];
  const body = m.main.nodes.map((n) => `  ${nodeLine(n)}`);
  const ret = `  return ${m.main.outputs.map((v) => `%${v.name}: ${typeStr(v)}`).join(', ')}`;
  return [...head, ...body, ret, '}', ...summary(m, unsupported)].join('\n') + '\n';
}

interface ManifestIo { name: string; dtype: string; shape: (number | string)[]; kind?: string }

function ioLines(list: unknown): string[] {
  return (Array.isArray(list) ? list as ManifestIo[] : []).map((io) =>
    `  ${io.name}: ${io.kind && io.kind !== 'tensor' ? `${io.kind} of ` : ''}`
      + `${io.dtype}[${io.shape.join(', ')}]`);
}

/** GPU artifacts (docs/gpu.md): where the kernels run. */
function gpuLine(g: unknown): string[] {
  const gpu = g as { arch?: string; kernels?: { entries?: string[] }[] } | undefined;
  if (!gpu) return [];
  const launches = (gpu.kernels ?? []).reduce((n, k) => n + (k.entries?.length ?? 0), 0);
  return [`kernels: PTX for ${gpu.arch ?? '?'} (${gpu.kernels?.length ?? 0} kernels, ${launches} launches)`];
}

/** The artifact's manifest in words, and whether this host would load it (KR code otherwise). */
export function describeArtifact(path: string): string {
  const { manifest: m, loadError } = inspectArtifact(path);
  const t = (m.target ?? {}) as { arch?: string; cpu?: string; requires?: string[] };
  return [
    `artifact ${path} (SHA-256 digest verified)`,
    `built by kestrel ${String(m.kestrel)}, bytecode format ${String(m.bytecode_format)}, `
      + `model sha256 ${String(m.model_sha256 ?? '?')}`,
    `target ${t.arch ?? '?'} (cpu ${t.cpu ?? '?'}), `
      + `requires: ${(t.requires ?? []).join(', ') || '(nothing)'}`,
    ...gpuLine(m.gpu),
    `loads on this host: ${loadError ? `no: ${loadError.message}` : m.gpu ? 'on a CUDA device only' : 'yes'}`,
    'inputs:', ...ioLines(m.inputs), 'outputs:', ...ioLines(m.outputs), ...tunedLines(m),
  ].join('\n') + '\n';
}

/** The tuned kernel workloads of a manifest (`compile --tuning-log`), one line each, then their buckets. */
function tunedLines(m: Readonly<Record<string, unknown>>): string[] {
  if (!Array.isArray(m.tuned)) return []; // an artifact of a kestrel before the field
  const tuned = m.tuned as TunedEntry[];
  const op = (w: string | undefined): string => {
    try { return String((JSON.parse(w ?? '') as unknown[])[1]); } catch { return '?'; }
  };
  const knobs = (k: Record<string, number> | undefined) =>
    Object.entries(k ?? {}).map(([n, v]) => `${n}=${v}`).join(' ');
  const bucketLines = (t: TunedEntry) => (t.buckets ?? []).map((b) => `    bucket ${b.range ?? '?'}: `
    + `${knobs(b.knobs)} -> ${b.kernel ?? 'the generic kernel (same code)'}`);
  return [`tuned kernels: ${tuned.length} of ${String(m.workloads ?? '?')} workloads`
    + (tuned.length ? '' : ' (every kernel has its default schedule)'),
  ...tuned.flatMap((t) => [`  ${t.family ?? '?'} ${op(t.workload)}: `
    + `${t.source === 'default' ? '(generic kernel: defaults) ' : ''}${knobs(t.knobs)}`, ...bucketLines(t)])];
}

interface TunedEntry {
  readonly family?: string;
  readonly workload?: string;
  readonly knobs?: Record<string, number>;
  readonly source?: string;
  readonly buckets?: readonly { range?: string; knobs?: Record<string, number>; kernel?: string }[];
}
