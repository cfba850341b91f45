// The compiler's catalogue of stable error codes and the one helper that throws them. A leaf
// module (it imports only runtime-vm/errors.ts), so ir/, compiler/ and codegen/ all take their
// codes from here rather than writing 'KC…' literals. Requires: runtime-vm/errors.ts (KestrelError).
// Guarantees: every compiler error is a KestrelError whose code is listed here and never changes
// meaning; details name the ONNX node, op type, tensor or input concerned so messages speak the
// user's language (DESIGN.md decision 10).
// Ranges: KC00xx model bytes, KC01xx protobuf/structure, KC02xx tensors and external data,
// KC03xx unsupported ops/domains/opsets, KC04xx attributes/shape inference, KC05xx graph structure,
// KC06xx symbols, KC07xx schedules and kernels, KC09xx back end and artifact.

import { KestrelError } from '../runtime-vm/errors.js';

export const Codes = Object.freeze({
  /** The model bytes are empty, too short, unreadable or not a file. */
  MODEL_BYTES: 'KC0001',
  /** The model file could not be read. */
  MODEL_READ: 'KC0002',
  /** The protobuf wire format is malformed (bad tag, wire type, varint or truncated field). */
  PROTO_MALFORMED: 'KC0101',
  /** Sub-messages nest deeper than the limit (protobuf nesting bomb). */
  PROTO_DEPTH: 'KC0102',
  /** A length-delimited field claims more bytes than remain. */
  PROTO_LENGTH: 'KC0103',
  /** The decoded model lacks a required part (graph, opset import, value type). */
  MODEL_STRUCTURE: 'KC0104',
  /** The IR version is unknown to kestrel. */
  IR_VERSION: 'KC0105',
  /** A tensor's dtype code is out of range or not supported (string, bfloat16, ...). */
  TENSOR_DTYPE: 'KC0201',
  /** Negative dims, rank above the limit, or an element count that overflows. */
  TENSOR_DIMS: 'KC0202',
  /** The tensor's data length or typed-field count disagrees with its dims. */
  TENSOR_DATA: 'KC0203',
  /** External data location is not a relative path to a regular file inside the model dir. */
  EXTERNAL_PATH: 'KC0204',
  /** External data offset/length are malformed, overflow, or fall outside the file. */
  EXTERNAL_RANGE: 'KC0205',
  /** External data could not be read. */
  EXTERNAL_READ: 'KC0206',
  /** A valid ONNX data type kestrel does not support (string, bfloat16, complex, float8, ...). */
  TENSOR_DTYPE_UNSUPPORTED: 'KC0208',
  /** Sparse tensors are not supported. */
  TENSOR_SPARSE: 'KC0207',
  /**
   * A string tensor reaches an op that cannot take one, or a string op gets a tensor that is not a
   * string: only the string ops (StringNormalizer, StringConcat, StringSplit, RegexFullMatch, Equal
   * on strings) take string tensors.
   */
  STRING_OPERAND: 'KC0209',
  /** One or more ops have no converter or no kestrel op; details.unsupported lists them all. */
  UNSUPPORTED_OPS: 'KC0301',
  /** A node uses a domain the model does not import. */
  UNKNOWN_DOMAIN: 'KC0302',
  /** The default-domain opset is missing or outside the supported range. */
  OPSET: 'KC0303',
  /** A graph input or output is a sequence, map or optional value (not supported yet). */
  VALUE_TYPE_UNSUPPORTED: 'KC0304',
  /** An output's rank would depend on a symbolic dim (e.g. a Reshape target of symbolic length). */
  SYMBOLIC_RANK: 'KC0305',
  /** An attribute is missing, has the wrong type, or is out of range. */
  ATTRIBUTE: 'KC0401',
  /** Type/shape inference of a node failed. */
  SHAPE_INFERENCE: 'KC0402',
  /** A graph input has no usable tensor type. */
  INPUT_TYPE: 'KC0403',
  /** The graph has a cycle. */
  GRAPH_CYCLE: 'KC0501',
  /** A value is consumed but never produced. */
  GRAPH_UNDEFINED: 'KC0502',
  /** Two producers (nodes, inputs or initializers) define the same name. */
  GRAPH_DUPLICATE: 'KC0503',
  /** Subgraphs nest deeper than the limit. */
  GRAPH_DEPTH: 'KC0504',
  /** The graph has more nodes than the limit. */
  GRAPH_SIZE: 'KC0505',
  /** A symbolic dimension needed at run time is not bound by any model input. */
  SHAPE_UNBOUND: 'KC0601',
  /** A schedule handed to the compiler names an unknown knob or an illegal value. */
  SCHEDULE_INVALID: 'KC0701',
  /** A generated tensor-IR kernel breaks the rules of ir/tir.ts (an internal error). */
  TIR_INVALID: 'KC0702',
  /** KESTREL_DUMP_IR names a pipeline step that does not exist. */
  DUMP_STEP: 'KC0703',
  /** A tuning log cannot be read or written (missing file, permission, not JSON lines). */
  TUNE_LOG: 'KC0704',
  /** A model has no kernel the tuner can measure (no tasks), or a tuning option is invalid. */
  TUNE_INVALID: 'KC0705',
  /** The compile ran past its time limit (CompileLimits.timeoutMs); nothing was written. */
  COMPILE_TIME: 'KC0706',
  /** Code generation, optimisation or object emission failed (an internal error). */
  CODEGEN: 'KC0901',
  /** The artifact could not be written (disk full, permission denied, linker failure). */
  ARTIFACT_WRITE: 'KC0902',
  /** The signing key is not an Ed25519 private key (PEM text or a KeyObject). */
  SIGNING_KEY: 'KC0903',
  /** The target name is not one kestrel knows (architecture, CPU or feature). */
  TARGET_INVALID: 'KC0904',
});

/** Codes that mean "kestrel does not support this yet" rather than "the model is wrong". */
export const UNSUPPORTED_CODES: ReadonlySet<string> = new Set([
  Codes.UNSUPPORTED_OPS, Codes.TENSOR_DTYPE_UNSUPPORTED, Codes.VALUE_TYPE_UNSUPPORTED, Codes.TENSOR_SPARSE,
  Codes.SYMBOLIC_RANK, Codes.STRING_OPERAND,
]);

export type Code = (typeof Codes)[keyof typeof Codes];

/** Context attached to an error; all fields optional. */
export interface Where {
  node?: string;
  opType?: string;
  tensor?: string;
  input?: string;
  [key: string]: unknown;
}

/** Formats the location prefix of a message, e.g. "node 'conv1' (Conv): ". */
export function describe(w: Where): string {
  if (w.node !== undefined || w.opType !== undefined) {
    return `node '${w.node ?? '?'}' (${w.opType ?? '?'}): `;
  }
  if (w.tensor !== undefined) return `tensor '${w.tensor}': `;
  if (w.input !== undefined) return `input '${w.input}': `;
  return '';
}

/** A KestrelError with the code, a located message and the details (for callers that reject). */
export function diagnostic(code: Code, message: string, where: Where = {}): KestrelError {
  return new KestrelError(code, describe(where) + message, where);
}

/** Throws a KestrelError with the code, a located message and the details. */
export function fail(code: Code, message: string, where: Where = {}): never {
  throw new KestrelError(code, describe(where) + message, where);
}

export function isKestrelError(e: unknown): e is KestrelError {
  return e instanceof KestrelError;
}
