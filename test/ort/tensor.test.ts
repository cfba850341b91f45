// kestrel/ort's Tensor: the constructor forms of onnxruntime-common (type inferred from typed
// arrays, plain arrays converted, dims defaulting to 1-D), reshape, getData, dispose, and the
// KestrelErrors for data that cannot make a tensor.
import { describe, expect, it } from 'vitest';
import { KestrelError, Tensor } from '../../ort/index.js';

const code = (f: () => unknown): string => {
  try {
    f();
  } catch (e) {
    expect(e).toBeInstanceOf(KestrelError);
    return (e as KestrelError).code;
  }
  throw new Error('expected a KestrelError');
};

describe('kestrel/ort Tensor', () => {
  it('infers the type from a typed array (one-argument form) and defaults dims to [length]', () => {
    const cases: [ArrayLike<unknown>, string][] = [
      [new Float32Array(3), 'float32'], [new Float64Array(3), 'float64'], [new Int8Array(3), 'int8'],
      [new Uint8Array(3), 'uint8'], [new Int16Array(3), 'int16'], [new Uint16Array(3), 'uint16'],
      [new Int32Array(3), 'int32'], [new Uint32Array(3), 'uint32'], [new BigInt64Array(3), 'int64'],
      [new BigUint64Array(3), 'uint64'],
    ];
    for (const [data, type] of cases) {
      const t = new Tensor(data as Float32Array);
      expect([t.type, t.dims, t.size, t.location]).toEqual([type, [3], 3, 'cpu']);
      expect(t.data).toBe(data);
    }
    const c = new Tensor(new Uint8ClampedArray([1, 300]));
    expect([c.type, Array.from(c.data as Uint8Array)]).toEqual(['uint8', [1, 255]]);
  });

  it('takes the two- and three-argument forms', () => {
    const two = new Tensor('int32', new Int32Array([1, 2, 3, 4]));
    expect(two.dims).toEqual([4]);
    const three = new Tensor('float32', new Float32Array(6), [2, 3]);
    expect([three.dims, three.size]).toEqual([[2, 3], 6]);
    const scalar = new Tensor('float32', new Float32Array([7]), []);
    expect([scalar.dims, scalar.size]).toEqual([[], 1]);
  });

  it('converts plain arrays: numbers as float32, bigint/number arrays for int64, booleans as bool', () => {
    const f = new Tensor([1, 2, 3]);
    expect([f.type, f.data]).toEqual(['float32', Float32Array.from([1, 2, 3])]);
    const i = new Tensor('int64', [1n, 2n]);
    expect([i.type, i.data]).toEqual(['int64', BigInt64Array.from([1n, 2n])]);
    expect(new Tensor('int64', [5, -6]).data).toEqual(BigInt64Array.from([5n, -6n]));
    expect(new Tensor('int32', [1, 2], [2, 1]).data).toEqual(Int32Array.from([1, 2]));
    const b = new Tensor([true, false, true]);
    expect([b.type, Array.from(b.data as Uint8Array)]).toEqual(['bool', [1, 0, 1]]);
    const fromBytes = new Tensor('bool', new Uint8Array([1, 0]));
    expect([fromBytes.type, fromBytes.dims]).toEqual(['bool', [2]]);
    expect(new Tensor('bool', [false, true]).data).toEqual(Uint8Array.from([0, 1]));
  });

  it('builds string tensors, fed to kestrel as its string tensors', () => {
    const s = new Tensor(['a', 'b']);
    expect([s.type, s.dims, s.data]).toEqual(['string', [2], ['a', 'b']]);
    expect(new Tensor('string', ['x', 'y', 'z', 'w'], [2, 2]).size).toBe(4);
    const k = s.toKestrel('text');
    expect([k.type, k.dims, k.data]).toEqual(['string', [2], ['a', 'b']]);
    expect(code(() => new Tensor('string', ['a', 1 as never]))).toBe('KR0105');
  });

  it('rejects bad data with KestrelErrors', () => {
    expect(code(() => new Tensor('float32', new Float32Array(6), [2, 2]))).toBe('KR0105');
    expect(code(() => new Tensor('float32', new Int32Array(4) as never, [4]))).toBe('KR0105');
    expect(code(() => new Tensor('float16', [1.5]))).toBe('KR0105');
    expect(code(() => new Tensor('int64', [1.5]))).toBe('KR0105');
    expect(code(() => new Tensor('complex64' as never, new Float32Array(2)))).toBe('KR0102');
    expect(code(() => new Tensor([]))).toBe('KR0105');
    expect(code(() => new Tensor('float32', new Float32Array(2), [-1, -2]))).toBe('KR0105');
    expect(code(() => new Tensor('string', ['a'], [2]))).toBe('KR0105');
    expect(code(() => new Tensor({} as never))).toBe('KR0105');
  });

  it('reshape shares the data; getData resolves to it; dispose drops it', async () => {
    const t = new Tensor('float32', Float32Array.from([1, 2, 3, 4, 5, 6]), [2, 3]);
    const r = t.reshape([3, 2]);
    expect([r.dims, r.type]).toEqual([[3, 2], 'float32']);
    expect(r.data).toBe(t.data);
    expect(code(() => t.reshape([4]))).toBe('KR0105');
    expect(await t.getData()).toBe(t.data);
    t.dispose();
    expect(t.location).toBe('none');
    expect(code(() => t.data)).toBe('KR0105');
    expect(code(() => t.toKestrel('x'))).toBe('KR0105');
    expect(r.location).toBe('cpu');
    expect(code(() => t.texture)).toBe('KR0105');
  });

  it('fromPinnedBuffer makes a CPU tensor; the device and image forms fail with KR0105', async () => {
    const data = new Int32Array([1, 2]);
    const p = Tensor.fromPinnedBuffer('int32', data, [2, 1]);
    expect([p.type, p.dims, p.location, p.data]).toEqual(['int32', [2, 1], 'cpu', data]);
    expect(code(() => Tensor.fromGpuBuffer({}))).toBe('KR0105');
    expect(code(() => p.toDataURL())).toBe('KR0105');
    await expect(Tensor.fromImage('x.png')).rejects.toMatchObject({ code: 'KR0105' });
  });
});
