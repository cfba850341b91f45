// Tensor: the value passed to and returned from Session.run, following onnxruntime-node's Tensor
// (`new Tensor(type, data, dims)`; int64 as BigInt64Array, bool as Uint8Array, float16 as the raw
// bits in a Uint16Array, string as an array of strings). Guarantees: a constructed Tensor has a known
// type, data of the matching kind, non-negative integer dims, and exactly product(dims) elements
// (else KR0105).
import { RuntimeDType, runtimeDType, type TensorData, type TensorType } from './dtypes.js';
import { KestrelError, RuntimeCodes } from './errors.js';

export class Tensor {
  readonly type: TensorType;
  /** A typed array; for type 'string' a frozen array of strings. */
  readonly data: TensorData;
  readonly dims: readonly number[];
  readonly size: number;

  constructor(type: TensorType, data: TensorData, dims: readonly number[]) {
    const info = runtimeDType(type);
    if (!info) throw dataError(`unknown tensor type '${String(type)}'`, { type });
    checkArray(info, data);
    const size = checkDims(dims);
    if (data.length !== size) {
      throw dataError(`data has ${data.length} elements, dims [${dims.join(', ')}] need ${size}`,
        { type, dims: [...dims], length: data.length });
    }
    this.type = type;
    this.data = Array.isArray(data) ? Object.freeze([...(data as readonly string[])]) : data;
    this.dims = Object.freeze([...dims]);
    this.size = size;
  }
}

function dataError(message: string, details: Record<string, unknown> = {}): KestrelError {
  return new KestrelError(RuntimeCodes.INPUT_DATA, message, details);
}

function checkArray(info: RuntimeDType, data: TensorData): void {
  const got = (data as object | null)?.constructor?.name ?? String(data);
  if (!info.array) {
    if (!Array.isArray(data)) throw dataError(`a 'string' tensor needs an array of strings, got ${got}`);
    const bad = (data as readonly unknown[]).findIndex((s) => typeof s !== 'string');
    if (bad >= 0) throw dataError(`element ${bad} of a 'string' tensor is not a string`, { type: info.name });
    return;
  }
  if (!(data instanceof info.array)) {
    throw dataError(`a '${info.name}' tensor needs a ${info.array.name}, got ${got}`, { type: info.name });
  }
}

function checkDims(dims: readonly number[]): number {
  if (!Array.isArray(dims)) throw dataError('dims must be an array of integers');
  let size = 1;
  for (const d of dims) {
    if (!Number.isSafeInteger(d) || d < 0) {
      throw dataError(`dims [${dims.join(', ')}] must be non-negative integers`, { dims: [...dims] });
    }
    size *= d;
  }
  return size;
}
