// The types of kestrel/ort, written after onnxruntime-common 1.30's (inference-session.d.ts):
// session and run options, value metadata, feeds/fetches/results. kestrel does not depend on
// onnxruntime-common, so they are restated here; test/ort checks that a program typed against
// onnxruntime-node accepts them.
import type { Tensor, TensorType } from './tensor.js';

/** A model input or output: a tensor (sequences and optionals of kestrel come as arrays / null). */
export type OnnxValue = Tensor;

export type ExecutionProviderConfig = string | { readonly name: string; readonly [key: string]: unknown };

export interface SessionOptions {
  /**
   * Tried in order: 'cpu', 'cuda' / { name: 'cuda', deviceId } (an nvptx artifact on cuda:N); a
   * device that cannot run the model falls back to the next entry (one warning), or fails when it
   * is the last. Other providers are warned about; a list of none kestrel has fails with KR0401.
   */
  executionProviders?: readonly ExecutionProviderConfig[];
  /** Threads for parallel kernels (0 or absent = all cores); also what the schedules plan for. */
  intraOpNumThreads?: number;
  /** Pins symbolic dims at compile time (one shape only), as kestrel's `--fix`. */
  freeDimensionOverrides?: { readonly [dimensionName: string]: number };
  /** 3 (error) or 4 (fatal) silences kestrel/ort's warnings; default: env.logLevel ('warning'). */
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  /** Profiles every run; endProfiling() writes `${profileFilePrefix}_${time}.json` (profiling.ts). */
  enableProfiling?: boolean;
  /** The profile file's prefix (default 'onnxruntime_profile_'), also for startProfiling(). */
  profileFilePrefix?: string;
  // Accepted without effect (named in a one-time warning):
  interOpNumThreads?: number;
  graphOptimizationLevel?: 'disabled' | 'basic' | 'extended' | 'layout' | 'all';
  enableCpuMemArena?: boolean;
  enableMemPattern?: boolean;
  executionMode?: 'sequential' | 'parallel';
  optimizedModelFilePath?: string;
  logId?: string;
  logVerbosityLevel?: number;
  preferredOutputLocation?: string | { readonly [outputName: string]: string };
  enableGraphCapture?: boolean;
  externalData?: readonly unknown[];
  extra?: Record<string, unknown>;
}

export interface RunOptions {
  /** true: the run is not started (or, when set during the run, stops it) with KR0302. */
  terminate?: boolean;
  /** kestrel's addition: an AbortSignal that cancels the run (KR0302). */
  signal?: AbortSignal;
  // Accepted without effect (named in a one-time warning):
  logSeverityLevel?: 0 | 1 | 2 | 3 | 4;
  logVerbosityLevel?: number;
  tag?: string;
  extra?: Record<string, unknown>;
}

export interface NonTensorValueMetadata {
  readonly name: string;
  readonly isTensor: false;
}

export interface TensorValueMetadata {
  readonly name: string;
  readonly isTensor: true;
  readonly type: TensorType;
  /** Static dims as numbers, symbolic dims as strings ('batch', 'seq*4'). */
  readonly shape: ReadonlyArray<number | string>;
}

export type ValueMetadata = NonTensorValueMetadata | TensorValueMetadata;

export type OnnxValueMapType = { readonly [name: string]: OnnxValue };
export type NullableOnnxValueMapType = { readonly [name: string]: OnnxValue | null };
export type FeedsType = OnnxValueMapType;
/** Output names, or a record of output names to null (or a Tensor to write the output into). */
export type FetchesType = readonly string[] | NullableOnnxValueMapType;
export type ReturnType = OnnxValueMapType;
