// The VM text programs run by isa-programs.test.ts, one or more per instruction of
// runtime-vm/isa.json. Kernels (test/vm/artifact.ts): k0 vadd(a, b, c; n), k1 fill(buf; n, v),
// k2 inc(buf; n), k3 guard(; s) fails with status 7 when s < 0, k4 slow. Expected values were
// worked out by hand from the ISA's documented semantics, not taken from a run.

export interface IoSpec { name: string; dtype: string; shape: (number | string)[]; kind?: string }
export type Feed = { int64: number[]; dims?: number[] } | Feed[] | null;
export interface Run {
  readonly feeds?: Record<string, Feed>;
  /** test_: the outputs and their values (int64 or float32, flattened) and dims. */
  readonly expect?: Record<string, { values: number[]; dims: number[] }>;
  /** fail_: the error code and a message pattern. */
  readonly code?: string;
  readonly message?: RegExp;
}
export interface VmCase {
  readonly name: string;
  readonly text: string;
  readonly inputs?: readonly IoSpec[];
  readonly outputs: readonly IoSpec[];
  readonly constants?: Uint8Array;
  /** The session's memory limit (LoadOptions.memoryLimitBytes), when the program reads it. */
  readonly memoryLimitBytes?: number;
  readonly runs: readonly Run[];
}

const ints = (name: string, n: number): IoSpec => ({ name, dtype: 'int64', shape: [n] });
const got = (values: number[], dims = [values.length]) => ({ y: { values, dims } });

/** 8 bytes of int64 -5 at offset 0 and 7 at offset 8, then float32 1.5 at 16. */
function constants(): Uint8Array {
  const b = new Uint8Array(64);
  const v = new DataView(b.buffer);
  v.setBigInt64(0, -5n, true);
  v.setBigInt64(8, 7n, true);
  v.setFloat32(16, 1.5, true);
  return b;
}

const INT_OPS_TEXT = `
  int_const dst=r0 value=-7
  int_const dst=r1 value=2
  int_const dst=r2 value=1
  int_const dst=r3 value=0
  int_op op=add dst=r10 a=r0 b=r1
  int_op op=sub dst=r11 a=r0 b=r1
  int_op op=mul dst=r12 a=r0 b=r1
  int_op op=floordiv dst=r13 a=r0 b=r1
  int_op op=mod dst=r14 a=r0 b=r1
  int_op op=min dst=r15 a=r0 b=r1
  int_op op=max dst=r16 a=r0 b=r1
  int_op op=eq dst=r17 a=r0 b=r1
  int_op op=ne dst=r18 a=r0 b=r1
  int_op op=lt dst=r19 a=r0 b=r1
  int_op op=le dst=r20 a=r0 b=r1
  int_op op=gt dst=r21 a=r0 b=r1
  int_op op=ge dst=r22 a=r0 b=r1
  int_op op=and dst=r23 a=r2 b=r3
  int_op op=or dst=r24 a=r2 b=r3
  make_ints dst=r30 dtype=int64 rank=1 values=[r10, r11, r12, r13, r14, r15, r16]
  make_ints dst=r31 dtype=int64 rank=1 values=[r17, r18, r19, r20, r21, r22, r23, r24]
  ret outputs=[r30, r31]`;

const CORE: readonly VmCase[] = [
  { name: 'test_int_const_make_ints_ret', outputs: [ints('y', 2)],
    runs: [{ expect: got([7, -9007199254740991]) }],
    text: `
  int_const dst=r0 value=7
  int_const dst=r1 value=-9007199254740991
  make_ints dst=r2 dtype=int64 rank=1 values=[r0, r1]
  ret outputs=[r2]` },
  // a = -7, b = 2: floordiv and mod round toward negative infinity; and/or on 1, 0
  { name: 'test_int_op_all', outputs: [ints('y', 7), ints('z', 8)], text: INT_OPS_TEXT,
    runs: [{ expect: { y: { values: [-5, -9, -14, -4, 1, -7, 2], dims: [7] },
      z: { values: [0, 1, 1, 1, 0, 0, 0, 1], dims: [8] } } }] },
  { name: 'fail_int_op_floordiv_by_zero', outputs: [ints('y', 1)],
    runs: [{ code: 'KR0203', message: /zero/ }],
    text: `
  int_const dst=r0 value=3
  int_const dst=r1 value=0
  int_op op=floordiv dst=r2 a=r0 b=r1
  make_ints dst=r3 dtype=int64 rank=1 values=[r2]
  ret outputs=[r3]` },
  { name: 'test_jump_jump_if_loop', outputs: [ints('y', 1)], runs: [{ expect: got([15]) }],
    // sum of 1..5 with a counted loop: jump_if leaves the loop, jump goes back
    text: `
  int_const dst=r0 value=5
  int_const dst=r1 value=0
  int_const dst=r2 value=1
  int_const dst=r3 value=0
L0:
  int_op op=eq dst=r4 a=r0 b=r3
  jump_if cond=r4 target=L1
  int_op op=add dst=r1 a=r1 b=r0
  int_op op=sub dst=r0 a=r0 b=r2
  jump target=L0
L1:
  make_ints dst=r5 dtype=int64 rank=1 values=[r1]
  ret outputs=[r5]` },
  { name: 'test_check_passes_fail_skipped', outputs: [ints('y', 1)], runs: [{ expect: got([1]) }], text: `
  int_const dst=r0 value=1
  check cond=r0 code=204 message="never shown"
  jump_if cond=r0 target=L0
  fail code=205 message="skipped: the jump goes past it"
L0:
  make_ints dst=r1 dtype=int64 rank=1 values=[r0]
  ret outputs=[r1]` },
  { name: 'fail_check', outputs: [ints('y', 1)],
    runs: [{ code: 'KR0204', message: /^KR0204: the check failed$/ }],
    text: `
  int_const dst=r0 value=0
  check cond=r0 code=204 message="the check failed"
  ret outputs=[r0]` },
  { name: 'fail_fail', outputs: [ints('y', 1)], runs: [{ code: 'KR0205', message: /unconditional/ }], text: `
  fail code=205 message="unconditional"
  ret outputs=[r0]` },
  { name: 'test_check_dims_passes', outputs: [ints('y', 1)], runs: [{ expect: got([3]) }], text: `
  int_const dst=r0 value=3
  check_dims cond=r0 code=204 message="dims {} ok" values=[r0]
  make_ints dst=r1 dtype=int64 rank=1 values=[r0]
  ret outputs=[r1]` },
  { name: 'fail_check_dims', outputs: [ints('y', 1)],
    runs: [{ code: 'KR0204', message: /dims 4 vs 6 differ/ }], text: `
  int_const dst=r0 value=4
  int_const dst=r1 value=6
  int_op op=eq dst=r2 a=r0 b=r1
  check_dims cond=r2 code=204 message="dims {} vs {} differ" values=[r0, r1]
  ret outputs=[r0]` },
];

const TENSORS: readonly VmCase[] = [
  { name: 'test_input_dim_check_dim_move', inputs: [{ name: 'x', dtype: 'int64', shape: ['n'] }],
    outputs: [ints('y', 2)], runs: [{ feeds: { x: { int64: [4, 5, 6] } }, expect: got([3, 6]) }], text: `
  input dst=r0 index=0 dtype=int64 rank=1
  dim dst=r1 tensor=r0 axis=0
  int_const dst=r2 value=3
  check_dim tensor=r0 axis=0 expected=r2 what="input 'x' length"
  move dst=r3 src=r0
  load_int dst=r4 tensor=r3 index=2
  make_ints dst=r5 dtype=int64 rank=1 values=[r1, r4]
  ret outputs=[r5]` },
  { name: 'fail_check_dim', inputs: [{ name: 'x', dtype: 'int64', shape: ['n'] }], outputs: [ints('y', 1)],
    runs: [{ feeds: { x: { int64: [4, 5] } }, code: 'KR0104', message: /input 'x' length/ }], text: `
  input dst=r0 index=0 dtype=int64 rank=1
  int_const dst=r2 value=3
  check_dim tensor=r0 axis=0 expected=r2 what="input 'x' length"
  ret outputs=[r0]` },
  { name: 'test_alloc_call_kernel_reshape_copy_free',
    outputs: [{ name: 'y', dtype: 'float32', shape: [3, 2] }],
    runs: [{ expect: got([5, 5, 5, 5, 5, 5], [3, 2]) }], text: `
  int_const dst=r0 value=2
  int_const dst=r1 value=3
  int_const dst=r2 value=6
  int_const dst=r3 value=5
  alloc dst=r4 dtype=float32 shape=[r0, r1]
  call_kernel kernel=k1 tensors=[r4] scalars=[r2, r3]
  reshape dst=r5 src=r4 shape=[r1, r0]
  copy dst=r6 src=r5
  free reg=r4
  free reg=r5
  ret outputs=[r6]` },
  { name: 'fail_call_kernel_status', outputs: [ints('y', 1)], runs: [{ code: 'KR0202', message: /status 7/ }],
    text: `
  int_const dst=r0 value=-1
  call_kernel kernel=k3 tensors=[] scalars=[r0]
  ret outputs=[r0]` },
  { name: 'fail_reshape_count', outputs: [ints('y', 1)],
    runs: [{ code: 'KR0204', message: /^KR0204: tensor r3: reshape of 2 elem/ }], text: `
  int_const dst=r0 value=2
  int_const dst=r1 value=3
  alloc dst=r2 dtype=float32 shape=[r0]
  reshape dst=r3 src=r2 shape=[r1]
  ret outputs=[r3]` },
  { name: 'test_const_tensor_load_int', outputs: [ints('y', 2)], constants: constants(),
    runs: [{ expect: got([-5, 7]) }], text: `
  const_tensor dst=r0 dtype=int64 offset=0 shape=[2]
  load_int dst=r1 tensor=r0 index=0
  load_int dst=r2 tensor=r0 index=1
  make_ints dst=r3 dtype=int64 rank=1 values=[r1, r2]
  ret outputs=[r3]` },
  { name: 'fail_load_int_out_of_range', outputs: [ints('y', 1)],
    runs: [{ code: 'KR0204', message: /has 1 elements/ }],
    text: `
  int_const dst=r0 value=1
  make_ints dst=r1 dtype=int64 rank=1 values=[r0]
  load_int dst=r2 tensor=r1 index=3
  ret outputs=[r1]` },
  { name: 'test_mem_limit', outputs: [ints('y', 1)], memoryLimitBytes: 1 << 20,
    runs: [{ expect: got([1 << 20]) }], text: `
  mem_limit dst=r0
  make_ints dst=r1 dtype=int64 rank=1 values=[r0]
  ret outputs=[r1]` },
  { name: 'test_index_view', outputs: [{ name: 'y', dtype: 'int64', shape: [] }],
    runs: [{ expect: got([8], []) }], text: `
  int_const dst=r0 value=7
  int_const dst=r1 value=8
  int_const dst=r2 value=9
  int_const dst=r3 value=-2
  make_ints dst=r4 dtype=int64 rank=1 values=[r0, r1, r2]
  index_view dst=r5 src=r4 index=r3
  ret outputs=[r5]` },
  { name: 'test_slice_view', outputs: [ints('y', 2)], runs: [{ expect: got([8, 9]) }], text: `
  int_const dst=r0 value=7
  int_const dst=r1 value=8
  int_const dst=r2 value=9
  int_const dst=r3 value=1
  int_const dst=r6 value=2
  make_ints dst=r4 dtype=int64 rank=1 values=[r0, r1, r2]
  slice_view dst=r5 src=r4 offset=r3 shape=[r6]
  ret outputs=[r5]` },
  { name: 'fail_slice_view_past_the_end', outputs: [ints('y', 2)],
    runs: [{ code: 'KR0205', message: /slice_view of 2 elements at offset 2 of a tensor of 3/ }], text: `
  int_const dst=r0 value=7
  int_const dst=r3 value=2
  make_ints dst=r4 dtype=int64 rank=1 values=[r0, r0, r0]
  slice_view dst=r5 src=r4 offset=r3 shape=[r3]
  ret outputs=[r5]` },
  { name: 'test_input_opt_has_value', inputs: [{ name: 'x', dtype: 'int64', shape: [1], kind: 'optional' }],
    outputs: [ints('y', 1)], runs: [{ feeds: { x: null }, expect: got([0]) },
      { feeds: { x: { int64: [3] } }, expect: got([1]) }], text: `
  input_opt dst=r0 index=0
  has_value dst=r1 src=r0
  make_ints dst=r2 dtype=int64 rank=1 values=[r1]
  ret outputs=[r2]` },
];

const SEQUENCES: readonly VmCase[] = [
  { name: 'test_seq_construct_insert_erase_at_length', outputs: [ints('y', 3)],
    runs: [{ expect: got([3, 30, 2]) }], text: `
  int_const dst=r0 value=10
  int_const dst=r1 value=20
  int_const dst=r2 value=30
  int_const dst=r3 value=0
  int_const dst=r4 value=-1
  make_ints dst=r10 dtype=int64 rank=1 values=[r0]
  make_ints dst=r11 dtype=int64 rank=1 values=[r1]
  make_ints dst=r12 dtype=int64 rank=1 values=[r2]
  seq_construct dst=r20 tensors=[r10, r11]
  seq_insert dst=r21 seq=r20 tensor=r12 pos=[]
  seq_length dst=r5 seq=r21
  seq_at dst=r22 seq=r21 pos=r4
  load_int dst=r6 tensor=r22 index=0
  seq_erase dst=r23 seq=r21 pos=[r3]
  seq_length dst=r7 seq=r23
  make_ints dst=r30 dtype=int64 rank=1 values=[r5, r6, r7]
  ret outputs=[r30]` },
  { name: 'test_seq_empty_split_concat', outputs: [ints('y', 2), ints('z', 4)],
    runs: [{ expect: { y: { values: [0, 4], dims: [2] }, z: { values: [1, 2, 3, 4], dims: [4] } } }], text: `
  seq_empty dst=r0 dtype=int64
  seq_length dst=r1 seq=r0
  int_const dst=r2 value=1
  int_const dst=r3 value=2
  int_const dst=r4 value=3
  int_const dst=r5 value=4
  make_ints dst=r6 dtype=int64 rank=1 values=[r2, r3, r4, r5]
  seq_split dst=r7 tensor=r6 axis=0 sizes=[] keepdims=1
  seq_length dst=r8 seq=r7
  seq_concat dst=r9 seq=r7 axis=0 new_axis=0
  make_ints dst=r10 dtype=int64 rank=1 values=[r1, r8]
  ret outputs=[r10, r9]` },
  // string_op's one operator on numbers (5, TfIdfVectorizer): unigrams 5 and 7 of [5, 7, 5] counted
  // into columns 0 and 1. params: mode, min/max n-gram length, skips, counts, indexes, pool, weights.
  { name: 'test_string_op_tfidf', outputs: [{ name: 'y', dtype: 'float32', shape: [2] }],
    runs: [{ expect: { y: { values: [2, 1], dims: [2] } } }], text: `
  int_const dst=r0 value=5
  int_const dst=r1 value=7
  make_ints dst=r2 dtype=int64 rank=1 values=[r0, r1, r0]
  string_op dsts=[r3] op=5 srcs=[r2] params="T\\u00001\\u00001\\u00000\\u00000\\u00000,1\\u00005,7\\u0000"
  ret outputs=[r3]` },
  { name: 'test_input_seq', inputs: [{ name: 'x', dtype: 'int64', shape: [1], kind: 'sequence' }],
    outputs: [ints('y', 2)], runs: [{ feeds: { x: [{ int64: [5] }, { int64: [6] }, { int64: [9] }] },
      expect: got([3, 6]) }], text: `
  input_seq dst=r0 index=0 dtype=int64
  seq_length dst=r1 seq=r0
  int_const dst=r2 value=1
  seq_at dst=r3 seq=r0 pos=r2
  load_int dst=r4 tensor=r3 index=0
  make_ints dst=r5 dtype=int64 rank=1 values=[r1, r4]
  ret outputs=[r5]` },
  { name: 'fail_seq_at_out_of_range', outputs: [ints('y', 1)],
    runs: [{ code: 'KR0205', message: /seq_at: position 1 is out of/ }],
    text: `
  int_const dst=r0 value=1
  make_ints dst=r1 dtype=int64 rank=1 values=[r0]
  seq_construct dst=r2 tensors=[r1]
  seq_at dst=r3 seq=r2 pos=r0
  ret outputs=[r3]` },
];

export const PROGRAMS: readonly VmCase[] = [...CORE, ...TENSORS, ...SEQUENCES];
