// Tensor: the value passed to and returned from Session.run, following onnxruntime-node's Tensor
// (`new Tensor(type, data, dims)`; int64 as BigInt64Array, bool as Uint8Array, float16 as the raw
// bits in a Uint16Array). Guarantees: a constructed Tensor has a known type, a typed array of the
// matching kind, non-negative integer dims, and exactly product(dims) elements (else KR0105).
import { RuntimeDType, runtimeDType, type TensorType, type TypedArray } from './dtypes.js';
import { KestrelError, RuntimeCodes } from './errors.js';

export class Tensor {
  readonly type: TensorType;
  readonly data: TypedArray;
  readonly dims: readonly number[];
  readonly size: number;

  constructor(type: TensorType, data: TypedArray, dims: readonly number[]) {
    const info = runtimeDType(type);
    if (!info) throw dataError(`unknown tensor type '${String(type)}'`, { type });
    checkArray(info, data);
    const size = checkDims(dims);
    if (data.length !== size) {
      throw dataError(`data has ${data.length} elements, dims [${dims.join(', ')}] need ${size}`,
        { type, dims: [...dims], length: data.length });
    }
    this.type = type;
    this.data = data;
    this.dims = Object.freeze([...dims]);
    this.size = size;
  }
}

function dataError(message: string, details: Record<string, unknown> = {}): KestrelError {
  return new KestrelError(RuntimeCodes.INPUT_DATA, message, details);
}

function checkArray(info: RuntimeDType, data: TypedArray): void {
  if (!(data instanceof info.array)) {
    const got = (data as object | null)?.constructor?.name ?? String(data);
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
