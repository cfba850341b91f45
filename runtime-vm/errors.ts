// The error type every kestrel API throws, and the catalogue of stable codes. Codes never change
// meaning once released; messages may improve. `KC…` codes come from the compiler (model bytes,
// graph, attributes), `KR…` codes from the runtime (artifact, inputs, execution). The compiler
// declares its codes in compiler/diagnostics.ts; the runtime's are declared in
// runtime-vm/contract.json, from which both this file's table and the C++ one are generated.

import { RUNTIME_CODES } from './contract.generated.js';

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

/** The runtime's codes, generated from runtime-vm/contract.json (native/src/util/status.h uses the same). */
export const RuntimeCodes = RUNTIME_CODES;
