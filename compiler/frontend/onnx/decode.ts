// Turns untrusted model bytes into a decoded ModelProto. Requires: schema.ts, wire-guard.ts.
// Guarantees: bytes that are empty, too short, malformed, too deeply nested or with lying length
// fields are rejected with a KestrelError (KC0001/KC01xx) before protobufjs sees them; the IR
// version is known and the model has a graph.

import { Codes, fail } from '../../diagnostics.js';
import { int64ToSafe, ModelType, type ModelMsg } from './schema.js';
import { decodeMessage, MAX_MESSAGE_DEPTH } from './wire-guard.js';

export const MIN_IR_VERSION = 3;
export const MAX_IR_VERSION = 14;

export function decodeModel(bytes: Uint8Array, maxDepth = MAX_MESSAGE_DEPTH): ModelMsg {
  if (!(bytes instanceof Uint8Array)) fail(Codes.MODEL_BYTES, 'model must be given as bytes');
  if (bytes.length < 2) {
    fail(Codes.MODEL_BYTES, `model is ${bytes.length === 0 ? 'empty' : 'only 1 byte'}; not an ONNX model`);
  }
  const msg = decodeMessage<ModelMsg>(bytes, ModelType, maxDepth);
  checkIrVersion(msg);
  if (!msg.graph) fail(Codes.MODEL_STRUCTURE, 'model has no graph (is this an ONNX model?)');
  return msg;
}

function checkIrVersion(msg: ModelMsg): void {
  const v = int64ToSafe(msg.irVersion);
  if (v === undefined || v < MIN_IR_VERSION || v > MAX_IR_VERSION) {
    fail(Codes.IR_VERSION, `IR version ${String(msg.irVersion ?? 0)} is not supported `
      + `(kestrel reads ${MIN_IR_VERSION}..${MAX_IR_VERSION})`);
  }
}
