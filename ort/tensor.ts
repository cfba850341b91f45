// The Tensor of kestrel/ort, following onnxruntime-common's CPU Tensor: the one-, two- and
// three-argument constructor forms (type inferred from a typed array; plain arrays converted),
// dims defaulting to [data.length], `size`, `location`, `reshape` (shares the data), `getData`,
// `dispose` (location becomes 'none' and the data is dropped).
// Requires: runtime-vm (kestrel's Tensor validates type, array kind and dims against data length).
// Guarantees: every failure is a KestrelError — KR0105 for data/dims problems (as kestrel's Tensor),
// KR0102 for an element type kestrel does not know. String tensors can be built (models that need
// them cannot be compiled yet, KC0208), but feeding one fails with KR0102.
import { KestrelError, RUNTIME_DTYPES, RuntimeCodes, runtimeDType, Tensor as KTensor }
  from '../runtime-vm/index.js';
import type { TensorType as KType, TypedArray } from '../runtime-vm/index.js';

export type TensorType = KType | 'string';
export type TensorData = TypedArray | string[];
export type DataLocation = 'none' | 'cpu';
type PlainArray = readonly number[] | readonly bigint[] | readonly boolean[] | readonly string[];

const dataError = (message: string, details: Record<string, unknown> = {}): KestrelError =>
  new KestrelError(RuntimeCodes.INPUT_DATA, message, details);

/** The kestrel type whose array kind `data` is (the first in the table: Uint8Array -> uint8). */
function inferType(data: unknown): KType {
  const hit = RUNTIME_DTYPES.find((d) => (data as object).constructor === d.array);
  if (!hit) throw dataError(`cannot infer a tensor type from ${describe(data)}`);
  return hit.name;
}

function describe(data: unknown): string {
  return (data as object | null)?.constructor?.name ?? String(data);
}

/** Type and data of the one-argument form `new Tensor(data, dims?)`. */
function fromData(data: unknown): [TensorType, TensorData] {
  if (data instanceof Uint8ClampedArray) return ['uint8', Uint8Array.from(data)];
  if (!Array.isArray(data)) return [inferType(data), data as TypedArray];
  if (data.length === 0) throw dataError('a tensor type cannot be inferred from an empty array');
  switch (typeof data[0]) {
    case 'string': return ['string', data as string[]];
    case 'boolean': return ['bool', Uint8Array.from(data as boolean[], Number)];
    case 'bigint': return ['int64', toTyped('int64', data)];
    case 'number': return ['float32', toTyped('float32', data)]; // onnxruntime rejects this form
    default: throw dataError(`a tensor cannot hold elements of type ${typeof data[0]}`);
  }
}

/** Data of the typed form `new Tensor(type, data, dims?)`, converting plain arrays. */
function typedData(type: TensorType, data: unknown): TensorData {
  if (type === 'string') {
    if (!Array.isArray(data)) throw dataError("a 'string' tensor's data must be an array of strings");
    return data as string[];
  }
  if (!runtimeDType(type)) {
    throw new KestrelError(RuntimeCodes.INPUT_DTYPE, `unsupported tensor type '${String(type)}'`, { type });
  }
  if (Array.isArray(data)) return toTyped(type, data);
  if (data instanceof Uint8ClampedArray && type === 'uint8') return Uint8Array.from(data);
  return data as TypedArray; // its kind is checked by kestrel's Tensor
}

function toTyped(type: KType, data: PlainArray): TypedArray {
  if (type === 'float16') {
    throw dataError("a 'float16' tensor cannot be made from a number array; pass the raw bits in a " +
      'Uint16Array');
  }
  type From = { from(a: ArrayLike<unknown>, f?: (v: never) => unknown): TypedArray };
  const ctor = runtimeDType(type)!.array as unknown as From;
  const wide = type === 'int64' || type === 'uint64';
  try {
    return wide ? ctor.from(data, (v: number | bigint) => BigInt(v)) : ctor.from(data, Number);
  } catch (e) {
    throw dataError(`cannot convert the array to '${type}': ${(e as Error).message}`, { type });
  }
}

export class Tensor {
  readonly type: TensorType;
  readonly dims: readonly number[];
  readonly size: number;
  #data: TensorData | undefined;
  #kestrel: KTensor | undefined;

  constructor(type: TensorType, data: TensorData | PlainArray, dims?: readonly number[]);
  constructor(data: TensorData | PlainArray | Uint8ClampedArray, dims?: readonly number[]);
  constructor(arg0: unknown, arg1?: unknown, arg2?: unknown) {
    const typed = typeof arg0 === 'string';
    const [type, data] = typed ? [arg0 as TensorType, typedData(arg0 as TensorType, arg1)] : fromData(arg0);
    const dims = (typed ? arg2 : arg1) as readonly number[] | undefined ?? [data.length];
    if (type === 'string') checkStringDims(dims, data.length);
    this.#kestrel = new KTensor(type, data, dims);
    this.dims = this.#kestrel.dims;
    this.size = this.#kestrel.size;
    this.type = type;
    this.#data = data;
  }

  /** Wraps a tensor kestrel's runtime returned (no copy). */
  static fromKestrel(t: KTensor): Tensor {
    return new Tensor(t.type, t.data, t.dims);
  }

  get data(): TensorData {
    if (!this.#data) throw dataError('the tensor is disposed');
    return this.#data;
  }

  get location(): DataLocation {
    return this.#data ? 'cpu' : 'none';
  }

  /** The data (always on the CPU here, so at once). */
  async getData(_releaseData?: boolean): Promise<TensorData> {
    return this.data;
  }

  /** A tensor of the same type and data with new dims of the same size. */
  reshape(dims: readonly number[]): Tensor {
    return new Tensor(this.type, this.data, dims);
  }

  /** Drops the reference to the data; the tensor is unusable afterwards. */
  dispose(): void {
    this.#data = undefined;
    this.#kestrel = undefined;
  }

  /** kestrel's runtime tensor for a feed (KR0105 when disposed). */
  toKestrel(input: string): KTensor {
    if (!this.#kestrel) throw dataError(`input '${input}': the tensor is disposed`, { input });
    return this.#kestrel;
  }

  /** A pinned buffer is CPU memory: the tensor is an ordinary CPU tensor over it. */
  static fromPinnedBuffer(type: TensorType, buffer: TensorData, dims?: readonly number[]): Tensor {
    return new Tensor(type, buffer, dims);
  }

  // Device and image forms: kestrel runs on the CPU and has no image conversion (KR0105).
  static async fromImage(..._args: unknown[]): Promise<never> { return notOnDevice('Tensor.fromImage'); }
  static fromTexture(..._args: unknown[]): never { return notOnDevice('Tensor.fromTexture'); }
  static fromGpuBuffer(..._args: unknown[]): never { return notOnDevice('Tensor.fromGpuBuffer'); }
  static fromMLTensor(..._args: unknown[]): never { return notOnDevice('Tensor.fromMLTensor'); }
  toDataURL(..._args: unknown[]): never { return notOnDevice('toDataURL'); }
  toImageData(..._args: unknown[]): never { return notOnDevice('toImageData'); }
  get texture(): never { return notOnDevice('texture'); }
  get gpuBuffer(): never { return notOnDevice('gpuBuffer'); }
  get mlTensor(): never { return notOnDevice('mlTensor'); }
}

function checkStringDims(dims: readonly number[], length: number): readonly number[] {
  if (!Array.isArray(dims) || dims.some((d) => !Number.isSafeInteger(d) || d < 0)) {
    throw dataError(`dims must be non-negative integers`, { dims });
  }
  const size = dims.reduce((a, b) => a * b, 1);
  if (size !== length) throw dataError(`data has ${length} elements, dims [${dims.join(', ')}] need ${size}`);
  return dims;
}

function notOnDevice(what: string): never {
  throw new KestrelError(RuntimeCodes.INPUT_DATA, `${what} is not supported: kestrel tensors live on the ` +
    "CPU ('cpu' location) and kestrel has no image conversion");
}
