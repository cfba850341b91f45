// kestrel/ort: an onnxruntime-node compatible namespace. A program written against onnxruntime-node
// switches by changing its import:
//
//   import * as ort from 'kestrel/ort';                  // was: from 'onnxruntime-node'
//   const session = await ort.InferenceSession.create('model.onnx');  // compiled once, then cached
//   const out = await session.run({ input: new ort.Tensor('float32', data, [1, 3, 224, 224]) });
//   await session.release();
//
// What of onnxruntime-common's surface is missing, and why: docs/ort-compat.md.
import type * as T from './types.js';
import { InferenceSession as Session } from './session.js';

export { Tensor, type TensorType as TensorDataType, type TensorData, type DataLocation } from './tensor.js';
export { env } from './options.js';
export type { OnnxValue } from './types.js';
export type { KestrelInfo } from './session.js';
export type { OrtProfileEvent as ProfileEvent } from './profiling.js';
export { KestrelError } from '../runtime-vm/index.js';

export const InferenceSession = Session;
export type InferenceSession = Session;
// eslint-disable-next-line @typescript-eslint/no-namespace
export declare namespace InferenceSession {
  export type SessionOptions = T.SessionOptions;
  export type RunOptions = T.RunOptions;
  export type ValueMetadata = T.ValueMetadata;
  export type TensorValueMetadata = T.TensorValueMetadata;
  export type NonTensorValueMetadata = T.NonTensorValueMetadata;
  export type FeedsType = T.FeedsType;
  export type FetchesType = T.FetchesType;
  export type ReturnType = T.ReturnType;
  export type OnnxValueMapType = T.OnnxValueMapType;
  export type NullableOnnxValueMapType = T.NullableOnnxValueMapType;
  export type ExecutionProviderConfig = T.ExecutionProviderConfig;
}
