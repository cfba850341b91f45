// The error type every kestrel API throws, and the catalogue of stable codes. Codes never change
// meaning once released; messages may improve. `KC…` codes come from the compiler (model bytes,
// graph, attributes), `KR…` codes from the runtime (artifact, inputs, execution). The compiler
// declares its codes in compiler/diagnostics.ts; the runtime's are here because the runtime ships
// without the compiler.

export class KestrelError extends Error {
  readonly code: string;
  /** Structured context: ONNX node name and op, tensor or input name, limits. */
  readonly details: Readonly<Record<string, unknown>>;

  constructor(code: string, message: string, details: Record<string, unknown> = {}) {
    super(`${code}: ${message}`);
    this.name = 'KestrelError';
    this.code = code;
    this.details = Object.freeze({ ...details });
  }
}

export const RuntimeCodes = Object.freeze({
  /**
   * The artifact file is missing, not a regular file, unreadable, truncated, not an ELF shared
   * object, or fails its SHA-256 digest (corrupt or modified).
   */
  ARTIFACT_INVALID: 'KR0001',
  /** The artifact's manifest is missing or fails its checks (format, version, hashes). */
  MANIFEST_INVALID: 'KR0002',
  /** The artifact was built for another architecture. */
  ARTIFACT_ARCH: 'KR0003',
  /** The artifact was built by an incompatible kestrel version / bytecode format. */
  ARTIFACT_VERSION: 'KR0004',
  /** The bytecode failed verification. */
  BYTECODE_INVALID: 'KR0005',
  /** The artifact was compiled for CPU features this host lacks (or this runtime cannot check). */
  CPU_FEATURES: 'KR0006',
  /** Trusted keys were given and the artifact is unsigned, signed by another key, or changed since. */
  SIGNATURE: 'KR0007',
  /**
   * The artifact and the device it is loaded on disagree: a GPU artifact (--target nvptx) loaded
   * without `device: 'cuda:N'`, a CPU artifact loaded on a CUDA device, or a GPU older than the
   * architecture the artifact was built for.
   */
  DEVICE_MISMATCH: 'KR0008',
  /** Wrong number of inputs, an unknown or missing input name. */
  INPUT_NAMES: 'KR0101',
  /** An input has the wrong dtype. */
  INPUT_DTYPE: 'KR0102',
  /** An input has the wrong rank or a static dim mismatch. */
  INPUT_SHAPE: 'KR0103',
  /** A symbolic dim takes different values in different inputs. */
  INPUT_SYMBOL: 'KR0104',
  /** Data length disagrees with dims. */
  INPUT_DATA: 'KR0105',
  /** A run would allocate more than the session's memory limit. */
  OUT_OF_MEMORY: 'KR0201',
  /** A kernel reported a failed run-time check (index out of range, ...). */
  KERNEL_FAILED: 'KR0202',
  /** Integer shape arithmetic failed (division by zero, overflow, negative dim). */
  SHAPE_ARITH: 'KR0203',
  /** A run-time shape check failed (incompatible broadcast, reshape count, ...). */
  SHAPE_CHECK: 'KR0204',
  /** A data-dependent position or index is out of range (sequence position, Scan/index_view index). */
  INDEX_RANGE: 'KR0205',
  /** The session was disposed. */
  DISPOSED: 'KR0301',
  /** The run was cancelled (kestrel_cancel, AbortSignal) or hit an iteration or step limit. */
  CANCELLED: 'KR0302',
  /** A session or run option of kestrel/ort has an invalid value or asks for what kestrel lacks. */
  OPTIONS_INVALID: 'KR0401',
  /**
   * No CUDA device to load a GPU artifact on: libcuda.so.1 (the NVIDIA driver) is missing or lacks
   * an entry point, cuInit fails, or there is no device with the ordinal asked for.
   */
  CUDA_UNAVAILABLE: 'KR0501',
  /** A CUDA driver call failed (the message names the call, the driver's error and the kernel). */
  CUDA_ERROR: 'KR0502',
});
