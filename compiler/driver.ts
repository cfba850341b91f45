// The compile driver: reads the ONNX file, runs the pipeline (compiler/pipeline.ts: passes,
// schedules, codegen, link) and supplies the manifest (format, versions, target, model hash,
// input/output signatures, content hashes, kernel names and the debug table of
// compiler/lower/debug.ts that lets errors and profiles speak ONNX) that the runtime checks before
// running anything.
// The .so is written under a temporary name and renamed, so a failed compile never leaves a
// partial artifact behind.

import { createPrivateKey, type KeyObject } from 'node:crypto';
import { resolve } from 'node:path';
import { dimKey, isStatic } from '../ir/dim.js';
import type { Module, Value } from '../ir/graph.js';
import { FORMAT_VERSION } from '../runtime-vm/isa.generated.js';
import { MANIFEST_FORMAT } from '../runtime-vm/contract.generated.js';
import { KESTREL_VERSION } from '../runtime-vm/version.js';
import { fnv1a64 } from '../codegen/fnv.js';
import { requiredCpuFeatures } from '../codegen/llvm/backend.js';
import { checkOutputPath } from '../codegen/link.js';
import { parseTargetName, type TargetDesc, type TargetName } from '../codegen/target.js';
import { importOnnxFile } from './frontend/onnx/import.js';
import { type CompileLimits, limitsOf } from './limits.js';
import { type CompiledModel, runPipeline } from './pipeline.js';
import { Codes, fail } from './diagnostics.js';
import { KestrelError } from '../runtime-vm/errors.js';
import { rangeText } from './schedule/buckets.js';
import type { Schedule } from './schedule/schedule.js';

export { KESTREL_VERSION };

export interface CompileOptions {
  /** Path of the .so to write. */
  readonly output: string;
  readonly target?: TargetName;
  /**
   * Make every input dim symbolic (one artifact for all shapes of the inputs' ranks), except the
   * lengths that fix a rank (compiler/frontend/onnx/rank-fixing.ts).
   */
  readonly dynamic?: boolean;
  /** Worker threads the schedules should plan for (default: the target's core count). */
  readonly threads?: number;
  /** Fix symbolic input dims (`{ batch: 1, seq: 16 }`) to compile for one shape only. */
  readonly fixedDims?: Readonly<Record<string, number>>;
  /**
   * Schedules (workload key -> knobs, e.g. a tuning log's best records) that replace the
   * defaults for the kernels with those workloads; others keep the defaults.
   */
  readonly schedules?: readonly Schedule[];
  /**
   * Given (as for a tuning log's records, which may predate a compiler change): a schedule that no
   * longer fits its kernel (KC0701) is reported here and that kernel keeps its defaults.
   */
  readonly onStaleSchedule?: (e: Error) => void;
  /**
   * An Ed25519 private key (a KeyObject or PEM text) to sign the artifact with; load it with
   * `load(path, { trustedKeys: [publicKey] })` to require that signature (docs/artifacts.md).
   */
  readonly signingKey?: KeyObject | string;
  /** Limits on the model and the compile (compiler/limits.ts: nesting, node count, time). */
  readonly limits?: CompileLimits;
}

/** The signing key as a KeyObject, or KC0903. */
function signingKey(k: KeyObject | string | undefined): KeyObject | undefined {
  if (k === undefined) return undefined;
  try {
    const key = typeof k === 'string' ? createPrivateKey(k) : k;
    if (key.type === 'private' && key.asymmetricKeyType === 'ed25519') return key;
  } catch { /* reported below */ }
  throw new KestrelError(Codes.SIGNING_KEY, 'the signing key must be an Ed25519 private key (PEM text or a '
    + 'KeyObject), e.g. from `openssl genpkey -algorithm ed25519`');
}

export interface CompileReport {
  readonly output: string;
  readonly kernels: number;
  readonly constantsBytes: number;
  readonly seconds: number;
}

/**
 * One manifest input/output. `kind` is 'tensor', 'sequence' (a list of tensors of `dtype`; `shape`
 * then describes the elements, `rank: -1` when even their rank is unknown) or 'optional' (a value
 * that may be absent; `optional_of` says whether it holds a tensor or a sequence).
 */
const signature = (v: Value) => ({
  name: v.name,
  dtype: v.type.dtype,
  shape: v.type.shape.map((d) => (isStatic(d) ? d : dimKey(d))),
  ...(v.type.optional ? { kind: 'optional', optional_of: v.type.sequence ? 'sequence' : 'tensor' }
    : v.type.sequence ? { kind: 'sequence' } : {}),
  ...(v.type.unranked ? { rank: -1 } : {}),
});

function manifest(m: Module, outputs: readonly Value[], t: TargetDesc, c: CompiledModel) {
  const { bytecode, constants } = c;
  return {
    format: MANIFEST_FORMAT,
    kestrel: KESTREL_VERSION,
    bytecode_format: FORMAT_VERSION,
    // requires: the CPU features the loader checks against the host before mapping the artifact.
    target: {
      arch: t.arch, triple: t.triple, cpu: t.cpu, features: t.features, requires: requiredCpuFeatures(t),
    },
    model_sha256: m.source.sha256,
    producer: m.source.producer,
    opset: m.source.opset,
    inputs: m.main.inputs.map(signature),
    outputs: outputs.map(signature),
    bytecode_fnv1a64: fnv1a64(bytecode),
    constants_fnv1a64: fnv1a64(constants),
    constants_size: constants.byteLength,
    kernels: c.kernels.map((k) => k.name),
    // The workloads compiled with a schedule handed in (a tuning log's best), for `inspect`.
    workloads: new Set(c.schedules.map((s) => s.key)).size,
    tuned: tunedWorkloads(c),
    debug: c.debug,
    ...(c.gpu ? { gpu: c.gpu } : {}), // GPU targets: the PTX of every kernel (docs/gpu.md)
  };
}

interface TunedWorkload {
  readonly family: string;
  readonly workload: string;
  /** The generic kernel's knobs (the defaults when only its buckets are tuned). */
  readonly knobs: object;
  readonly source: 'default' | 'given';
  /** Bucket kernels: the range they run for, their knobs, their kernel (absent: the generic one). */
  readonly buckets?: readonly { range: string; bucket: string; knobs: object; kernel?: string }[];
}

/** The workloads compiled with a schedule handed in (generic or per bucket), for `inspect`. */
function tunedWorkloads(c: CompiledModel): TunedWorkload[] {
  const kernels = new Map(c.bucketKernels.map((b) => [`${b.workload}\n${b.bucket}`, b.kernel]));
  const tuned = new Map(c.schedules.filter((s) => s.source === 'given' || s.buckets.length)
    .map((s) => [s.key, s]));
  return [...tuned.values()].map((s) => ({ family: s.family, workload: s.key, knobs: s.knobs,
    source: s.source, ...(s.buckets.length ? { buckets: s.buckets.map((b) => ({ range: rangeText(b.ranges),
      bucket: b.bucket, knobs: b.knobs, ...pick(kernels.get(`${s.key}\n${b.bucket}`)) })) } : {}) }));
}

const pick = (kernel: string | undefined) => (kernel === undefined ? {} : { kernel });

/** The target a user named, or KC0904 saying what is wrong with the name. */
export function checkedTarget(name: string): TargetDesc {
  const r = parseTargetName(name);
  if ('error' in r) fail(Codes.TARGET_INVALID, r.error);
  return r.target;
}

export async function compileModule(m: Module, opts: CompileOptions,
  t0 = performance.now()): Promise<CompileReport> {
  checkOutputPath(resolve(opts.output)); // fail before the compile, not after it (checked again at the link)
  const key = signingKey(opts.signingKey);
  const target = checkedTarget(opts.target ?? 'host');
  // Output names are the model's, whatever the passes did to the values behind them.
  const outputs = m.main.outputs;
  const compiled = await runPipeline(m, {
    target, threads: opts.threads, schedules: opts.schedules, onStaleSchedule: opts.onStaleSchedule,
    timeoutMs: limitsOf(opts.limits).timeoutMs, startedAt: t0,
    artifact: {
      output: opts.output, signingKey: key,
      manifest: (c) => new TextEncoder().encode(JSON.stringify(manifest(m, outputs, target, c))),
    },
  });
  return {
    output: opts.output, kernels: compiled.kernels.length,
    constantsBytes: compiled.constants.byteLength, seconds: (performance.now() - t0) / 1000,
  };
}

/** Compiles an ONNX model file to a kestrel artifact. */
export async function compile(modelPath: string, opts: CompileOptions): Promise<CompileReport> {
  const t0 = performance.now(); // the import counts against the time limit too
  const { dynamic, fixedDims, limits } = opts;
  const m = importOnnxFile(modelPath, { dynamic, fixedDims, limits });
  return compileModule(m, opts, t0);
}

