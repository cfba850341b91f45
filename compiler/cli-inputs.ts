// Inputs for `kestrel run` without --inputs: random tensors of each input's dtype and shape, with
// symbolic dims taken from --shapes name=1x3x224x224[,name=...] (the form trtexec and tvmc use).
// Requires: the session's IoInfo. Guarantees: a static dim that --shapes contradicts, a symbolic dim
// with no shape given, a shape for no such input, and a sequence input are UsageErrors naming the
// input; an optional input is left absent (null); values come from a seeded generator, so two runs
// with one seed see equal data.

import { RUNTIME_DTYPES, type TensorType } from '../runtime-vm/dtypes.js';
import type { IoInfo, RunValue } from '../runtime-vm/session.js';
import { Tensor } from '../runtime-vm/tensor.js';
import { UsageError } from './cli-args.js';
import { encodeSmall, smallFloat } from '../ir/small-floats.js';

/** --shapes text -> input name -> dims. */
export function parseShapes(text: string | undefined): Map<string, number[]> {
  const shapes = new Map<string, number[]>();
  if (text === undefined) return shapes;
  for (const item of text.split(',')) {
    const m = /^(.+)=(\d+(?:x\d+)*)$/.exec(item.trim());
    if (!m) {
      throw new UsageError('run', `--shapes expects name=DxDx...[,name=...] (as input=1x3x224x224), `
        + `got '${item}'`);
    }
    shapes.set(m[1], m[2].split('x').map(Number));
  }
  return shapes;
}

/** The concrete dims of `io`: its static dims, the symbolic ones from `given`. */
export function concreteDims(io: IoInfo, given: readonly number[] | undefined): number[] {
  if (given === undefined) {
    const symbolic = io.shape.filter((d) => typeof d !== 'number');
    if (symbolic.length) {
      throw new UsageError('run', `input '${io.name}' has symbolic dims (${symbolic.join(', ')}) in its `
        + `shape [${io.shape.join(', ')}]; give them with --shapes ${io.name}=`
        + `${io.shape.map((d) => (typeof d === 'number' ? d : 1)).join('x')} (say)`
        + ` or give data with --inputs DIR`);
    }
    return io.shape as number[];
  }
  if (given.length !== io.shape.length) {
    throw new UsageError('run', `--shapes gives input '${io.name}' ${given.length} dims; `
      + `its shape [${io.shape.join(', ')}] has ${io.shape.length}`);
  }
  io.shape.forEach((d, i) => {
    if (typeof d === 'number' && d !== given[i]) {
      throw new UsageError('run', `--shapes gives input '${io.name}' dim ${i} = ${given[i]}; `
        + `the model fixes it to ${d} (shape [${io.shape.join(', ')}])`);
    }
  });
  return [...given];
}

/** mulberry32: a small seeded generator of floats in [0, 1). */
function generator(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** An IEEE half's bits for a float in [-1, 1) (normal numbers and zero only, which is all we make). */
const smallFloatBits = (type: TensorType, x: number): number => encodeSmall(smallFloat(type)!, x);

function halfBits(x: number): number {
  if (x === 0) return 0;
  const sign = x < 0 ? 0x8000 : 0;
  const a = Math.abs(x);
  const e = Math.max(-14, Math.floor(Math.log2(a)));
  const mant = Math.round((a / 2 ** e - 1) * 1024);
  return sign | ((e + 15) << 10) | Math.min(mant, 1023);
}

/**
 * One random tensor. Floats are uniform in [-1, 1); integers in [0, 8) so that an index or a
 * token id input stays in range for most models; bool is 0 or 1.
 */
export function randomTensor(type: TensorType, dims: readonly number[], next: () => number): Tensor {
  const info = RUNTIME_DTYPES.find((d) => d.name === type)!;
  const size = dims.reduce((p, d) => p * d, 1);
  // Strings: short random words of the letters a-h.
  if (!info.array) {
    const word = () => Array.from({ length: 1 + Math.floor(4 * next()) },
      () => String.fromCharCode(97 + Math.floor(8 * next()))).join('');
    return new Tensor(type, Array.from({ length: size }, word), dims);
  }
  const data = new info.array(size);
  for (let i = 0; i < size; i++) {
    const u = next();
    switch (type) {
      case 'float32': case 'float64': data[i] = 2 * u - 1; break;
      case 'float16': data[i] = halfBits(2 * u - 1); break;
      case 'bfloat16': case 'float8e4m3fn': case 'float8e4m3fnuz': case 'float8e5m2': case 'float8e5m2fnuz':
        data[i] = smallFloatBits(type, 2 * u - 1); break;
      case 'bool': data[i] = u < 0.5 ? 0 : 1; break;
      case 'int64': case 'uint64': data[i] = BigInt(Math.floor(8 * u)); break;
      case 'float4e2m1': data[i] = smallFloatBits(type, 2 * u - 1); break;
      case 'uint2': data[i] = Math.floor(4 * u); break;
      case 'int2': data[i] = Math.floor(4 * u) - 2; break;
      case 'uint4': case 'int4':
      case 'uint8': case 'int8': case 'uint16': case 'int16': case 'int32': case 'uint32':
        data[i] = Math.floor(8 * u); break;
      case 'string': break;
      default: { const never: never = type; throw new Error(`no random ${String(never)}`); }
    }
  }
  return new Tensor(type, data, dims);
}

/** Random feeds for every input of a session; see concreteDims for the checks. */
export function randomFeeds(inputs: readonly IoInfo[], shapes: ReadonlyMap<string, number[]>,
  seed: number): Record<string, RunValue> {
  const names = new Set(inputs.map((io) => io.name));
  for (const name of shapes.keys()) {
    if (!names.has(name)) {
      throw new UsageError('run', `--shapes names '${name}', which is not an input; the inputs are `
        + `${[...names].join(', ') || '(none)'}`);
    }
  }
  const next = generator(seed);
  return Object.fromEntries(inputs.map((io) => {
    if (io.kind === 'optional') return [io.name, null];
    if (io.kind === 'sequence') {
      throw new UsageError('run', `input '${io.name}' is a sequence; random data is made for tensors `
        + 'only, give data with --inputs DIR');
    }
    return [io.name, randomTensor(io.dtype, concreteDims(io, shapes.get(io.name)), next)];
  }));
}
