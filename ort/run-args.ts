// The arguments of InferenceSession.run, read as onnxruntime-common reads them: run(feeds, options)
// or run(feeds, fetches, options), where fetches is a list of output names or a record of output
// names to null (or to a Tensor to write the output into); a record that names no output is the
// options. Feeds become kestrel runtime tensors without copying.
// Guarantees: bad arguments are KestrelErrors — KR0101 for feeds/fetches naming what is wrong,
// KR0401 for options that are not an object, KR0102 for a string tensor fed (naming the input and
// the model's type there); missing or unknown inputs are left to kestrel's session (KR0101 with the
// expected inputs).
import { KestrelError, RuntimeCodes, Tensor as KTensor, type RunValue } from '../runtime-vm/index.js';
import { Tensor } from './tensor.js';
import type { FeedsType, RunOptions, ValueMetadata } from './types.js';

export interface Prepared {
  readonly feeds: Record<string, RunValue>;
  /** Output name -> the tensor to write it into, or null; undefined: every output. */
  readonly fetches: ReadonlyMap<string, Tensor | null> | undefined;
  readonly options: RunOptions | undefined;
}

const namesError = (message: string, details: Record<string, unknown> = {}): KestrelError =>
  new KestrelError(RuntimeCodes.INPUT_NAMES, message, details);

function optionsArg(o: unknown): RunOptions | undefined {
  if (o === undefined) return undefined;
  if (typeof o !== 'object' || o === null) {
    throw new KestrelError(RuntimeCodes.OPTIONS_INVALID, "run(): 'options' must be an object",
      { option: 'options' });
  }
  return o as RunOptions;
}

export function prepareRun(feeds: FeedsType, arg1: unknown, arg2: unknown, inputs: readonly ValueMetadata[],
  outputs: readonly string[]): Prepared {
  if (typeof feeds !== 'object' || feeds === null || Array.isArray(feeds) || feeds instanceof Tensor) {
    throw namesError(`run(): 'feeds' must be a record of input names to tensors; inputs: ` +
      inputs.map((i) => i.name).join(', '));
  }
  rejectStrings(feeds, inputs);
  const converted = Object.fromEntries(Object.entries(feeds).map(([k, v]) => [k, feedValue(k, v)]));
  if (arg1 === undefined) return { feeds: converted, fetches: undefined, options: undefined };
  if (typeof arg1 !== 'object' || arg1 === null || arg1 instanceof Tensor) {
    throw namesError("run(): the second argument must be fetches (names or a record) or options");
  }
  if (Array.isArray(arg1)) {
    return { feeds: converted, fetches: fetchNames(arg1, outputs), options: optionsArg(arg2) };
  }
  const record = fetchRecord(arg1 as Record<string, unknown>, outputs);
  return record ? { feeds: converted, fetches: record, options: optionsArg(arg2) }
    : { feeds: converted, fetches: undefined, options: optionsArg(arg1) };
}

function fetchNames(names: readonly unknown[], outputs: readonly string[]): Map<string, null> {
  if (names.length === 0) throw namesError("run(): 'fetches' cannot be an empty list");
  const bad = names.filter((n) => typeof n !== 'string' || !outputs.includes(n));
  if (bad.length) {
    const listed = bad.map((n) => `'${String(n)}'`).join(', ');
    throw namesError(`run(): 'fetches' names unknown output(s) ${listed}; ` +
      `outputs: ${outputs.join(', ')}`, { unknown: bad.map(String), expected: [...outputs] });
  }
  return new Map((names as string[]).map((n) => [n, null]));
}

/** The fetches of a record, or undefined when it names no output (then it is the options). */
function fetchRecord(r: Record<string, unknown>, outputs: readonly string[]):
  Map<string, Tensor | null> | undefined {
  const named = outputs.filter((n) => Object.hasOwn(r, n) && (r[n] === null || r[n] instanceof Tensor));
  if (named.length === 0) return undefined;
  return new Map(named.map((n) => [n, r[n] as Tensor | null]));
}

function describeInput(m: ValueMetadata | undefined): string {
  if (m === undefined) return 'no input of the model';
  if (!m.isTensor) return "the model's input is not a tensor";
  return `the model's input is ${m.type}[${m.shape.join(', ')}]`;
}

/**
 * KR0102 for a string tensor (kestrel/ort's, or an onnxruntime-node one) fed where the model takes
 * something else, naming the input and what the model takes there.
 */
function rejectStrings(feeds: FeedsType, inputs: readonly ValueMetadata[]): void {
  for (const [name, v] of Object.entries(feeds)) {
    if ((v as { type?: unknown } | null)?.type !== 'string') continue;
    const m = inputs.find((i) => i.name === name);
    if (m?.isTensor && m.type === 'string') continue;
    throw new KestrelError(RuntimeCodes.INPUT_DTYPE,
      `input '${name}' is a string tensor (${describeInput(m)})`, { input: name });
  }
}

/** Feeds as kestrel tensors: kestrel/ort Tensors, kestrel Tensors, or look-alikes {type, data, dims}. */
function feedValue(name: string, v: unknown): RunValue {
  if (v === null) return null;
  if (Array.isArray(v)) return v.map((t) => feedTensor(name, t));
  return feedTensor(name, v);
}

function feedTensor(name: string, v: unknown): KTensor {
  if (v instanceof Tensor) return v.toKestrel(name);
  if (v instanceof KTensor) return v;
  const t = v as { type?: unknown; data?: unknown; dims?: unknown } | undefined;
  const data = ArrayBuffer.isView(t?.data) || (t?.type === 'string' && Array.isArray(t.data));
  if (t && typeof t.type === 'string' && data && Array.isArray(t.dims)) {
    return new Tensor(t.type as never, t.data as never, t.dims as number[]).toKestrel(name);
  }
  throw new KestrelError(RuntimeCodes.INPUT_DATA, `input '${name}' is not a Tensor`, { input: name });
}

/** The outputs to return, in the model's order, with the tensor each is written into (or null). */
export function fetchList(p: Prepared, outputs: readonly string[]): [string, Tensor | null][] {
  const f = p.fetches;
  return outputs.filter((n) => !f || f.has(n)).map((n) => [n, f?.get(n) ?? null]);
}

