// ONNX ValueInfo types -> kestrel TensorTypes for graph inputs. Requires: decoded ValueInfoMsg.
// Guarantees: dim_value -> integer, dim_param -> sym(name), missing dims -> fresh `unkN` symbols;
// in dynamic mode every dim is a symbol `<input>_d<axis>` except the rank-fixing ones
// (rank-fixing.ts); sequences and optionals of tensors
// become sequence/optional types (wrappedType); other non-tensor types fail with KC0403.

import { sym, type Dim } from '../../../ir/dim.js';
import type { TensorType } from '../../../ir/graph.js';
import { Codes, fail } from '../../diagnostics.js';
import { int64ToSafe, type DimMsg, type TypeMsg, type ValueInfoMsg } from './schema.js';
import { MAX_RANK, dtypeOf } from './tensor.js';

export interface SymbolNamer {
  fresh(): string;
  readonly dynamic: boolean;
  /** Symbols given a fixed value (a static compile for one shape). */
  readonly fixed?: ReadonlyMap<string, number>;
  /** Dynamic mode: per graph input, the axes that keep their declared dims (rank-fixing.ts). */
  readonly keepStatic?: ReadonlyMap<string, ReadonlySet<number>>;
}

const own = (o: object, k: string) => Object.prototype.hasOwnProperty.call(o, k);

/** Symbol names must stay plain identifiers so dim keys cannot collide. */
function cleanName(s: string): string {
  return s.replace(/[^A-Za-z0-9_]/g, '_') || '_';
}

export function inputType(vi: ValueInfoMsg, namer: SymbolNamer): TensorType {
  const name = vi.name ?? '';
  const wrapped = vi.type && (vi.type.sequenceType || vi.type.optionalType) ? wrappedType(vi.type, name)
    : undefined;
  if (wrapped) return wrapped;
  const t = vi.type?.tensorType;
  if (!t && vi.type && (vi.type.sequenceType || vi.type.mapType || vi.type.optionalType
    || vi.type.sparseTensorType)) {
    fail(Codes.VALUE_TYPE_UNSUPPORTED, 'graph input is a map, sparse tensor, or a sequence/optional of '
      + 'something other than tensors, which kestrel does not support yet', { input: name });
  }
  if (!t) fail(Codes.INPUT_TYPE, 'graph input has no tensor type', { input: name });
  const dtype = dtypeOf(t.elemType, name);
  if (!t.shape) fail(Codes.INPUT_TYPE, 'graph input has no shape (unknown rank)', { input: name });
  const dims = t.shape.dim ?? [];
  if (dims.length > MAX_RANK) {
    fail(Codes.INPUT_TYPE, `rank ${dims.length} exceeds ${MAX_RANK}`, { input: name });
  }
  const shape = dims.map((d, axis) => {
    const dim = namer.dynamic && !namer.keepStatic?.get(name)?.has(axis) ? sym(`${cleanName(name)}_d${axis}`)
      : dimOf(d, namer, name);
    return typeof dim === 'number' ? dim : namer.fixed?.get(dim.key) ?? dim;
  });
  return Object.freeze({ dtype, shape: Object.freeze(shape) });
}

function dimOf(d: DimMsg, namer: SymbolNamer, input: string): Dim {
  if (own(d, 'dimValue')) {
    const v = int64ToSafe(d.dimValue);
    if (v === undefined || v < 0) fail(Codes.INPUT_TYPE, `invalid dim ${String(d.dimValue)}`, { input });
    return v;
  }
  if (own(d, 'dimParam') && d.dimParam) return sym(cleanName(d.dimParam));
  return sym(namer.fresh());
}

/**
 * A sequence of tensors, an optional tensor or an optional sequence of tensors (graph inputs, and
 * body inputs declared that way); undefined for other nestings. Only the element dtype and rank are
 * trusted: element dims become symbols that nothing binds (a tensor read out of the value gets
 * fresh symbols bound at run time), and an element type without a shape makes the sequence unranked.
 */
function wrappedType(type: TypeMsg, input: string): TensorType | undefined {
  const inner = type.optionalType ? type.optionalType.elemType : type;
  const seq = inner?.sequenceType;
  const tensor = seq ? seq.elemType?.tensorType : inner?.tensorType;
  if (!tensor || (seq && seq.elemType?.sequenceType)) return undefined;
  const dtype = dtypeOf(tensor.elemType, input);
  const dims = tensor.shape?.dim;
  const shape = (dims ?? []).map((_d, axis) => sym(`${cleanName(input)}_e${axis}`));
  return Object.freeze({
    dtype, shape: Object.freeze(shape),
    ...(seq ? { sequence: true } : {}), ...(seq && !dims ? { unranked: true } : {}),
    ...(type.optionalType ? { optional: true } : {}),
  });
}
