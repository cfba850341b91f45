// Tensor sequences (seq_* builtins), index_view, slice_view and bool make_ints, with hand-assembled
// programs: results of construct/insert/erase/at/length/concat/split, copy-on-write, a Scan-shaped
// loop, and every failure as a KestrelError with its code (KR0204 shapes/dtypes, KR0205 positions, KR0005
// register kinds such as `ret` of a sequence).
import { afterAll, describe, expect, it } from 'vitest';
import { Assembler, type Reg } from '../../codegen/bytecode.js';
import { load, Tensor, type Session } from '../../runtime-vm/index.js';
import { K } from './artifact.js';
import { F32, rejected, withKernels } from './programs.js';

const I64 = 6, BOOL = 7;
const sessions: Session[] = [];
afterAll(() => sessions.forEach((s) => s.dispose()));

type Io = { name: string; dtype: string; shape: (number | string)[] };
async function build(body: (a: Assembler) => void, inputs: Io[], outputs: Io[]): Promise<Session> {
  const a = new Assembler();
  body(a);
  const s =
    await load(withKernels(a.finish({ nInputs: inputs.length, nOutputs: outputs.length, nKernels: 5 }),
    inputs, outputs), { threads: 2 });
  sessions.push(s);
  return s;
}

const runError = rejected;

const f32 = (dims: number[]): Tensor => {
  const n = dims.reduce((x, y) => x * y, 1);
  return new Tensor('float32', Float32Array.from({ length: n }, (_, i) => i), dims);
};
const vals = (t: Tensor): number[] => Array.from(t.data as Float32Array);
const ints = (t: Tensor): number[] => Array.from(t.data as BigInt64Array, Number);
const X = (shape: (number | string)[]): Io[] => [{ name: 'x', dtype: 'float32', shape }];
const out = (name: string, shape: (number | string)[], dtype = 'float32'): Io => ({ name, dtype, shape });
const int = (a: Assembler, v: number): Reg => {
  const r = a.reg();
  a.emit('int_const', { dst: r, value: v });
  return r;
};

describe('sequences', () => {
  it('construct / insert / erase / at / length / concat / stack, with copy-on-write', async () => {
    const s = await build((a) => {
      const x = a.reg();
      a.emit('input', { dst: x, index: 0, dtype: F32, rank: 2 });
      const [r0, r1, r2, s1, s2, at, stacked, joined, n1, n2, lens] = a.regs(11);
      a.emit('index_view', { dst: r0, src: x, index: int(a, 0) });
      a.emit('index_view', { dst: r2, src: x, index: int(a, -1) });
      a.emit('index_view', { dst: r1, src: x, index: int(a, 1) });
      a.emit('seq_construct', { dst: s1, tensors: [r0, r2] });
      a.emit('seq_insert', { dst: s1, seq: s1, tensor: r1, pos: [int(a, -1)] }); // [0, 1, 2]
      a.emit('seq_insert', { dst: s1, seq: s1, tensor: r0, pos: [] });           // [0, 1, 2, 0]
      a.emit('seq_erase', { dst: s1, seq: s1, pos: [] });                        // [0, 1, 2]
      a.emit('seq_insert', { dst: s2, seq: s1, tensor: r2, pos: [int(a, 0)] });  // s2 = [2, 0, 1, 2]
      a.emit('seq_erase', { dst: s2, seq: s2, pos: [int(a, 1)] });               // s2 = [2, 1, 2]
      a.emit('seq_at', { dst: at, seq: s2, pos: int(a, -2) });                   // row 1
      a.emit('seq_concat', { dst: stacked, seq: s1, axis: 0, new_axis: 1 });
      a.emit('seq_concat', { dst: joined, seq: s2, axis: -1 >>> 0, new_axis: 0 });
      a.emit('seq_length', { dst: n1, seq: s1 });
      a.emit('seq_length', { dst: n2, seq: s2 });
      a.emit('make_ints', { dst: lens, dtype: I64, rank: 1, values: [n1, n2] });
      a.emit('ret', { outputs: [stacked, joined, at, lens] });
    }, X([3, 2]), [out('stacked', [3, 2]), out('joined', [6]), out('at', [2]), out('lens', [2], 'int64')]);
    const r = await s.run({ x: f32([3, 2]) });
    expect(r.stacked.dims).toEqual([3, 2]);
    expect(vals(r.stacked)).toEqual([0, 1, 2, 3, 4, 5]);
    expect(vals(r.joined)).toEqual([4, 5, 2, 3, 4, 5]);
    expect(vals(r.at)).toEqual([2, 3]);
    expect(ints(r.lens)).toEqual([3, 3]);
  });

  it('concatenates along inner axes and stacks on a new inner axis (strided copies)', async () => {
    const s = await build((a) => {
      const [x, y, sq, c1, st] = a.regs(5);
      a.emit('input', { dst: x, index: 0, dtype: F32, rank: 2 });
      a.emit('copy', { dst: y, src: x });
      a.emit('seq_construct', { dst: sq, tensors: [x, y] });
      a.emit('seq_concat', { dst: c1, seq: sq, axis: 1, new_axis: 0 });
      a.emit('seq_concat', { dst: st, seq: sq, axis: 2, new_axis: 1 });
      a.emit('ret', { outputs: [c1, st] });
    }, X([2, 2]), [out('c', [2, 4]), out('s', [2, 2, 2])]);
    const r = await s.run({ x: f32([2, 2]) });
    expect(r.c.dims).toEqual([2, 4]);
    expect(vals(r.c)).toEqual([0, 1, 0, 1, 2, 3, 2, 3]);
    expect(r.s.dims).toEqual([2, 2, 2]);
    expect(vals(r.s)).toEqual([0, 0, 1, 1, 2, 2, 3, 3]);
  });

  it('splits into sequences (explicit sizes on an inner axis, default split with keepdims=0)', async () => {
    const s = await build((a) => {
      const [x, parts, rows, p0, p1, back, restacked, n] = a.regs(8);
      a.emit('input', { dst: x, index: 0, dtype: F32, rank: 2 });
      a.emit('seq_split',
        { dst: parts, tensor: x, axis: 1, sizes: [int(a, 2), int(a, 0), int(a, 3)], keepdims: 1 });
      a.emit('seq_at', { dst: p0, seq: parts, pos: int(a, 0) });
      a.emit('seq_at', { dst: p1, seq: parts, pos: int(a, 2) });
      a.emit('seq_concat', { dst: back, seq: parts, axis: 1, new_axis: 0 });
      a.emit('seq_split', { dst: rows, tensor: x, axis: -2 >>> 0, sizes: [], keepdims: 0 });
      a.emit('seq_concat', { dst: restacked, seq: rows, axis: 0, new_axis: 1 });
      const len = a.reg();
      a.emit('seq_length', { dst: len, seq: rows });
      a.emit('make_ints', { dst: n, dtype: I64, rank: 0, values: [len] });
      a.emit('ret', { outputs: [p0, p1, back, restacked, n] });
    }, X(['r', 5]), [out('p0', ['r', 2]), out('p1', ['r', 3]), out('back', ['r', 5]), out('re', ['r', 5]),
      out('n', [], 'int64')]);
    const r = await s.run({ x: f32([2, 5]) });
    expect(r.p0.dims).toEqual([2, 2]);
    expect(vals(r.p0)).toEqual([0, 1, 5, 6]);
    expect(vals(r.p1)).toEqual([2, 3, 4, 7, 8, 9]);
    expect(vals(r.back)).toEqual(vals(f32([2, 5])));
    expect(vals(r.re)).toEqual(vals(f32([2, 5])));
    expect(ints(r.n)).toEqual([2]);
    const e = await runError(s.run({ x: f32([0, 5]) })); // zero rows: an empty sequence to stack
    expect(e.code).toBe('KR0204');
  });

  it('runs a Scan-shaped loop: index_view per iteration, append in place, stack at the end', async () => {
    const s = await build((a) => {
      const [x, n, w, i, one, row, y, sq, more, res] = a.regs(10);
      a.emit('input', { dst: x, index: 0, dtype: F32, rank: 2 });
      a.emit('dim', { dst: n, tensor: x, axis: 0 });
      a.emit('dim', { dst: w, tensor: x, axis: 1 });
      a.emit('int_const', { dst: i, value: 0 });
      a.emit('int_const', { dst: one, value: 1 });
      a.emit('seq_empty', { dst: sq, dtype: F32 });
      const head = a.label(); // a do-while loop: the tests run it with n >= 1
      a.bind(head);
      a.emit('index_view', { dst: row, src: x, index: i });
      a.emit('alloc', { dst: y, dtype: F32, shape: [w] });
      a.emit('call_kernel', { kernel: K.vadd, tensors: [row, row, y], scalars: [w] });
      a.emit('seq_insert', { dst: sq, seq: sq, tensor: y, pos: [] });
      a.intOp('add', i, i, one);
      a.intOp('lt', more, i, n);
      a.emit('jump_if', { cond: more, target: head });
      a.emit('seq_concat', { dst: res, seq: sq, axis: 0, new_axis: 1 });
      a.emit('ret', { outputs: [res] });
    }, X(['n', 3]), [out('y', ['n', 3])]);
    for (const n of [1, 4, 37]) {
      const r = await s.run({ x: f32([n, 3]) });
      expect(r.y.dims).toEqual([n, 3]);
      expect(vals(r.y)).toEqual(vals(f32([n, 3])).map((v) => 2 * v));
    }
  });

  it('makes bool tensors with make_ints (nonzero -> 1)', async () => {
    const s = await build((a) => {
      const [b, c] = a.regs(2);
      a.emit('make_ints', { dst: b, dtype: BOOL, rank: 1, values: [int(a, 0), int(a, 5), int(a, -1)] });
      a.emit('make_ints', { dst: c, dtype: BOOL, rank: 0, values: [int(a, 0)] });
      a.emit('ret', { outputs: [b, c] });
    }, [], [out('b', [3], 'bool'), out('c', [], 'bool')]);
    const r = await s.run({});
    expect(r.b.type).toBe('bool');
    expect(Array.from(r.b.data as Uint8Array)).toEqual([0, 1, 1]);
    expect(Array.from(r.c.data as Uint8Array)).toEqual([0]);
  });

  it('returns index_view results as 64-aligned copies that outlive the input', async () => {
    const s = await build((a) => {
      const [x, v] = a.regs(2);
      a.emit('input', { dst: x, index: 0, dtype: F32, rank: 2 });
      a.emit('index_view', { dst: v, src: x, index: int(a, 1) });
      a.emit('ret', { outputs: [v] });
    }, X([3, 3]), [out('v', [3])]);
    expect(vals((await s.run({ x: f32([3, 3]) })).v)).toEqual([3, 4, 5]);
  });

  it('slice_view: a reshaped window of flat elements [offset, offset + size), up to the end', async () => {
    const s = await build((a) => {
      const [x, v, w] = a.regs(3);
      a.emit('input', { dst: x, index: 0, dtype: F32, rank: 2 });
      a.emit('slice_view', { dst: v, src: x, offset: int(a, 5), shape: [int(a, 2), int(a, 2)] });
      a.emit('slice_view', { dst: w, src: x, offset: int(a, 11), shape: [int(a, 1)] });
      a.emit('ret', { outputs: [v, w] });
    }, X([3, 4]), [out('v', [2, 2]), out('w', [1])]);
    const r = await s.run({ x: f32([3, 4]) });
    expect(r.v.dims).toEqual([2, 2]);
    expect(vals(r.v)).toEqual([5, 6, 7, 8]);
    expect(vals(r.w)).toEqual([11]);
  });
});

describe('sequence and index errors', () => {
  // One program per failure: `x` is a float32 [3, 2] input, registers as named.
  const cases: [string, (a: Assembler, x: Reg) => Reg, string, RegExp][] = [
    ['seq_at out of range', (a, x) => {
      const [sq, t] = a.regs(2);
      a.emit('seq_construct', { dst: sq, tensors: [x, x] });
      a.emit('seq_at', { dst: t, seq: sq, pos: int(a, 2) });
      return t;
    }, 'KR0205', /seq_at: position 2 is out of range for length 2/],
    ['seq_at negative out of range', (a, x) => {
      const [sq, t] = a.regs(2);
      a.emit('seq_construct', { dst: sq, tensors: [x] });
      a.emit('seq_at', { dst: t, seq: sq, pos: int(a, -2) });
      return t;
    }, 'KR0205', /position -2 is out of range for length 1/],
    ['seq_insert past the end', (a, x) => {
      const sq = a.reg();
      a.emit('seq_empty', { dst: sq, dtype: F32 });
      a.emit('seq_insert', { dst: sq, seq: sq, tensor: x, pos: [int(a, 1)] });
      return x;
    }, 'KR0205', /seq_insert: position 1 is out of range for length 0/],
    ['seq_erase of an empty sequence', (a, x) => {
      const sq = a.reg();
      a.emit('seq_empty', { dst: sq, dtype: F32 });
      a.emit('seq_erase', { dst: sq, seq: sq, pos: [] });
      return x;
    }, 'KR0205', /seq_erase: position -1 is out of range for length 0/],
    ['seq_insert of another dtype', (a, x) => {
      const sq = a.reg();
      a.emit('seq_empty', { dst: sq, dtype: I64 });
      a.emit('seq_insert', { dst: sq, seq: sq, tensor: x, pos: [] });
      return x;
    }, 'KR0204', /a float32 tensor into a sequence of int64/],
    ['seq_construct of mixed dtypes', (a, x) => {
      const [sq, b] = a.regs(2);
      a.emit('make_ints', { dst: b, dtype: I64, rank: 0, values: [int(a, 1)] });
      a.emit('seq_construct', { dst: sq, tensors: [x, b] });
      return x;
    }, 'KR0204', /tensor 1 is int64, tensor 0 is float32/],
    ['seq_concat of an empty sequence', (a, x) => {
      const [sq, t] = a.regs(2);
      a.emit('seq_empty', { dst: sq, dtype: F32 });
      a.emit('seq_concat', { dst: t, seq: sq, axis: 0, new_axis: 0 });
      return x;
    }, 'KR0204', /empty sequence/],
    ['seq_concat of disagreeing shapes', (a, x) => {
      const [sq, t, r] = a.regs(3);
      a.emit('index_view', { dst: r, src: x, index: int(a, 0) });
      a.emit('seq_construct', { dst: sq, tensors: [x, r] });
      a.emit('seq_concat', { dst: t, seq: sq, axis: 0, new_axis: 0 });
      return t;
    }, 'KR0204', /element 1 has shape \[2\], element 0 has \[3, 2\]/],
    ['seq_concat stacking unequal shapes', (a, x) => {
      const [sq, t, r] = a.regs(3);
      a.emit('reshape', { dst: r, src: x, shape: [int(a, 2), int(a, 3)] });
      a.emit('seq_construct', { dst: sq, tensors: [x, r] });
      a.emit('seq_concat', { dst: t, seq: sq, axis: 0, new_axis: 1 });
      return t;
    }, 'KR0204', /stacking needs equal shapes/],
    ['seq_concat axis out of range', (a, x) => {
      const [sq, t] = a.regs(2);
      a.emit('seq_construct', { dst: sq, tensors: [x] });
      a.emit('seq_concat', { dst: t, seq: sq, axis: 2, new_axis: 0 });
      return t;
    }, 'KR0204', /axis 2 is out of range for rank 2/],
    ['seq_split sizes that do not add up', (a, x) => {
      const sq = a.reg();
      a.emit('seq_split', { dst: sq, tensor: x, axis: 1, sizes: [int(a, 1), int(a, 2)], keepdims: 1 });
      return x;
    }, 'KR0204', /sizes add up to 3, axis 1 of \[3, 2\] has 2/],
    ['seq_split with a negative size', (a, x) => {
      const sq = a.reg();
      a.emit('seq_split', { dst: sq, tensor: x, axis: 0, sizes: [int(a, 4), int(a, -1)], keepdims: 1 });
      return x;
    }, 'KR0204', /piece 1 has size -1/],
    ['seq_split keepdims=0 with a size other than 1', (a, x) => {
      const sq = a.reg();
      a.emit('seq_split', { dst: sq, tensor: x, axis: 0, sizes: [int(a, 2), int(a, 1)], keepdims: 0 });
      return x;
    }, 'KR0204', /keepdims=0 needs size 1/],
    ['index_view out of range', (a, x) => {
      const t = a.reg();
      a.emit('index_view', { dst: t, src: x, index: int(a, -4) });
      return t;
    }, 'KR0205', /index_view: index -4 is out of range for length 3/],
    ['slice_view past the end', (a, x) => {
      const t = a.reg();
      a.emit('slice_view', { dst: t, src: x, offset: int(a, 3), shape: [int(a, 2), int(a, 2)] });
      return t;
    }, 'KR0205', /slice_view of 4 elements at offset 3 of a tensor of 6 elements/],
    ['slice_view at a negative offset', (a, x) => {
      const t = a.reg();
      a.emit('slice_view', { dst: t, src: x, offset: int(a, -1), shape: [int(a, 1)] });
      return t;
    }, 'KR0205', /at offset -1/],
    ['index_view of a rank-0 tensor', (a, x) => {
      const [t, s0] = a.regs(2);
      a.emit('make_ints', { dst: s0, dtype: I64, rank: 0, values: [int(a, 1)] });
      a.emit('index_view', { dst: t, src: s0, index: int(a, 0) });
      return x;
    }, 'KR0005', /rank-0/],
    ['ret of a sequence', (a, x) => {
      const sq = a.reg();
      a.emit('seq_construct', { dst: sq, tensors: [x] });
      return sq;
    }, 'KR0005', /register r\d+ is not a tensor \(it holds a sequence\)/],
    ['a sequence passed to a kernel', (a, x) => {
      const sq = a.reg();
      a.emit('seq_construct', { dst: sq, tensors: [x] });
      a.emit('call_kernel', { kernel: K.guard, tensors: [sq], scalars: [int(a, 0)] });
      return x;
    }, 'KR0005', /not a tensor \(it holds a sequence\)/],
    ['seq_length of a tensor', (a, x) => {
      const n = a.reg();
      a.emit('seq_length', { dst: n, seq: x });
      return x;
    }, 'KR0005', /is not a sequence \(it holds a tensor\)/],
    ['two pos registers', (a, x) => {
      const sq = a.reg();
      a.emit('seq_construct', { dst: sq, tensors: [x] });
      a.emit('seq_erase', { dst: sq, seq: sq, pos: [int(a, 0), int(a, 0)] });
      return x;
    }, 'KR0005', /0 or 1 allowed/],
    ['new_axis not 0 or 1', (a, x) => {
      const [sq, t] = a.regs(2);
      a.emit('seq_construct', { dst: sq, tensors: [x] });
      a.emit('seq_concat', { dst: t, seq: sq, axis: 0, new_axis: 2 });
      return x;
    }, 'KR0005', /new_axis is 2/],
    ['seq_construct of nothing', (a, x) => {
      const sq = a.reg();
      a.emit('seq_construct', { dst: sq, tensors: [] });
      return x;
    }, 'KR0005', /at least one tensor/],
  ];
  for (const [name, body, code, message] of cases) {
    it(`${name} -> ${code}`, async () => {
      const s = await build((a) => {
        const x = a.reg();
        a.emit('input', { dst: x, index: 0, dtype: F32, rank: 2 });
        const r = body(a, x);
        a.emit('ret', { outputs: [r] });
      }, X([3, 2]), [out('o', [3, 2])]);
      const e = await runError(s.run({ x: f32([3, 2]) }));
      expect(e.code).toBe(code);
      expect(e.message).toMatch(message);
    });
  }
});

describe('split/concat round trips on random shapes', () => {
  // x: float32 rank 3, s: int64 [3] piece sizes. Per axis: concat(split(x, s), axis) == x, and
  // stack(split(x, ones, keepdims=0), axis) == x; wrong sizes fail with KR0204, never crash.
  const programs = async (axis: number): Promise<[Session, Session]> => {
    const io: Io[] = [{ name: 'x', dtype: 'float32', shape: ['a', 'b', 'c'] },
      { name: 's', dtype: 'int64', shape: [3] }];
    const joinSplit = await build((a) => {
      const [x, s, parts, y, s0, s1, s2] = a.regs(7);
      a.emit('input', { dst: x, index: 0, dtype: F32, rank: 3 });
      a.emit('input', { dst: s, index: 1, dtype: I64, rank: 1 });
      [s0, s1, s2].forEach((r, i) => a.emit('load_int', { dst: r, tensor: s, index: i }));
      a.emit('seq_split',
        { dst: parts, tensor: x, axis: (axis - 3) >>> 0, sizes: [s0, s1, s2], keepdims: 1 });
      a.emit('seq_concat', { dst: y, seq: parts, axis, new_axis: 0 });
      a.emit('ret', { outputs: [y] });
    }, io, [out('y', ['a', 'b', 'c'])]);
    const stackRows = await build((a) => {
      const [x, s, rows, y] = a.regs(4);
      a.emit('input', { dst: x, index: 0, dtype: F32, rank: 3 });
      a.emit('input', { dst: s, index: 1, dtype: I64, rank: 1 });
      a.emit('seq_split', { dst: rows, tensor: x, axis, sizes: [], keepdims: 0 });
      a.emit('seq_concat', { dst: y, seq: rows, axis, new_axis: 1 });
      a.emit('ret', { outputs: [y] });
    }, io, [out('y', ['a', 'b', 'c'])]);
    return [joinSplit, stackRows];
  };
  let seed = 12345;
  const rnd = (n: number): number => {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    return seed % n;
  };

  it('holds for 3 axes x 40 random cases', async () => {
    for (const axis of [0, 1, 2]) {
      const [joinSplit, stackRows] = await programs(axis);
      for (let c = 0; c < 40; c++) {
        const dims = [rnd(5), rnd(5), rnd(5)];
        const x = f32(dims);
        const d = dims[axis], cut1 = rnd(d + 1), cut2 = cut1 + rnd(d - cut1 + 1);
        const sizes = [cut1, cut2 - cut1, d - cut2];
        const bad = rnd(4) === 0;
        if (bad) sizes[rnd(3)] += rnd(2) ? 1 : -1;
        const s = new Tensor('int64', BigInt64Array.from(sizes.map(BigInt)), [3]);
        if (bad) {
          expect((await runError(joinSplit.run({ x, s }))).code).toBe('KR0204');
        } else {
          const y = (await joinSplit.run({ x, s })).y;
          expect(y.dims).toEqual(dims);
          expect(vals(y)).toEqual(vals(x));
        }
        if (d === 0) {
          expect((await runError(stackRows.run({ x, s }))).code).toBe('KR0204');
        } else {
          const z = (await stackRows.run({ x, s })).y;
          expect(z.dims).toEqual(dims);
          expect(vals(z)).toEqual(vals(x));
        }
      }
    }
  });
});
