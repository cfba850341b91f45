// Tensor-IR kernels used by the codegen tests, built with ir/tir-build.ts the way lowerings and
// schedules build them: vector tails, broadcasts, reductions, padded loads, parallel loops,
// register-tiled matmul and conv micro-kernels, integer division corner cases, NaN selects.

import type { DType } from '../../ir/dtype.js';
import type { Expr, Kernel, Stmt, UnOp, Var } from '../../ir/tir.js';
import {
  add, alloc, and, buffer, cast, div, floordiv, ge, ifThen, imm, load, loop, lt, max, min, mod,
  mul, select, seq, store, sub, unary, variable, letIn, binary,
} from '../../ir/tir-build.js';

const f32 = (v: number): Expr => imm(v, 'float32');

/** for o in [0, n/w): for v in [0, w) (vectorised when w > 1): let i = o*w + v in s. */
function lanesLoop(n: Var, w: number, i: Var, s: Stmt): Stmt {
  const [o, v] = [variable(`${i.name}_o`), variable(`${i.name}_v`)];
  return loop(o, floordiv(n, w), loop(v, w, letIn(i, add(mul(o, w), v), s), w > 1 ? 'vectorize' : 'serial'));
}

/** C[i] = A[i] + B[i] for i < n, vectorised by w with a masked tail. */
export function vaddTail(w: number): Kernel {
  const [A, B, C] = ['A', 'B', 'C'].map((n) => buffer(n, 'float32'));
  const n = variable('n');
  const [o, v, i] = [variable('o'), variable('v'), variable('i')];
  const body = loop(o, floordiv(add(n, w - 1), w), loop(v, w, letIn(i, add(mul(o, w), v),
    ifThen(lt(i, n), store(C, i, add(load(A, i), load(B, i))))), 'vectorize'));
  return { name: 'vadd_tail', buffers: [A, B, C], scalars: [n], body };
}

/** Y[r, c] = X[r, c] * s[c] + b[c] over R x N (N = 37: vector body of 8 plus a masked tail). */
export function broadcastAffine(): Kernel {
  const [X, S, Bb, Y] = ['X', 's', 'b', 'Y'].map((n) => buffer(n, 'float32'));
  const R = variable('R');
  const N = 37;
  const [r, co, cv, c] = [variable('r'), variable('co'), variable('cv'), variable('c')];
  const idx = add(mul(r, N), c);
  const inner = letIn(c, add(mul(co, 8), cv), ifThen(lt(c, N),
    store(Y, idx, add(mul(load(X, idx), load(S, c)), load(Bb, c)))));
  const body = loop(r, R, loop(co, 5, loop(cv, 8, inner, 'vectorize')));
  return { name: 'broadcast_affine', buffers: [X, S, Bb, Y], scalars: [R], body };
}

/** out[r] = sum_k X[r, k] and mx[r] = max_k X[r, k] (NaN-propagating), K a scalar. */
export function rowReduce(): Kernel {
  const [X, out, mx] = ['X', 'out', 'mx'].map((n) => buffer(n, 'float32'));
  const acc = buffer('acc', 'float32', 'local');
  const [R, K, r, k] = [variable('R'), variable('K'), variable('r'), variable('k')];
  const x = load(X, add(mul(r, K), k));
  const body = loop(r, R, alloc(acc, 2, seq(
    store(acc, 0, f32(0)), store(acc, 1, f32(-Infinity)),
    loop(k, K, seq(store(acc, 0, add(load(acc, 0), x)), store(acc, 1, max(load(acc, 1), x)))),
    store(out, r, load(acc, 0)), store(mx, r, load(acc, 1)))), 'parallel');
  return { name: 'row_reduce', buffers: [X, out, mx], scalars: [R, K], body };
}

/** 1-D 3-tap convolution with zero padding 1; lane-varying bounds mask the loads. */
export function paddedConv1d(w: number): Kernel {
  const [X, Wt, Y] = ['X', 'Wt', 'Y'].map((n) => buffer(n, 'float32'));
  const [n, o, v, i] = [variable('n'), variable('o'), variable('v'), variable('i')];
  const tap = (kk: number): Expr => {
    const p = add(i, kk - 1);
    return mul(select(and(ge(p, 0), lt(p, n)), load(X, p), f32(0)), load(Wt, kk));
  };
  const body = loop(o, floordiv(add(n, w - 1), w), loop(v, w, letIn(i, add(mul(o, w), v),
    ifThen(lt(i, n), store(Y, i, add(add(tap(0), tap(1)), tap(2))))), 'vectorize'));
  return { name: 'padded_conv1d', buffers: [X, Wt, Y], scalars: [n], body };
}

/** 2-D padded read with a lane-uniform condition: Y[h, w, c] = X[h-1, w-1, c] or 0 (C = 16). */
export function padShift(): Kernel {
  const [X, Y] = ['X', 'Y'].map((n) => buffer(n, 'float32'));
  const [H, W, h, w, c] = ['H', 'W', 'h', 'w', 'c'].map((n) => variable(n));
  const ih = sub(h, 1);
  const iw = sub(w, 1);
  const inb = and(and(ge(ih, 0), lt(ih, H)), and(ge(iw, 0), lt(iw, W)));
  const src = add(mul(add(mul(ih, W), iw), 16), c);
  const dst = add(mul(add(mul(h, W), w), 16), c);
  const inner = loop(c, 16, store(Y, dst, select(inb, load(X, src), f32(0))), 'vectorize');
  const body = loop(h, H, loop(w, W, inner));
  return { name: 'pad_shift', buffers: [X, Y], scalars: [H, W], body };
}

/** Parallel rows with an assert: fails with code 7 when any X[r] < 0. */
export function parallelScale(): Kernel {
  const [X, Y] = ['X', 'Y'].map((n) => buffer(n, 'float32'));
  const [R, r, alpha] = [variable('R'), variable('r'), variable('alpha_i')];
  const body = letIn(alpha, add(R, 1), loop(r, R, seq(
    { kind: 'assert', cond: ge(load(X, r), f32(0)), code: 7 } as Stmt,
    store(Y, r, mul(load(X, r), cast(alpha, 'float32')))), 'parallel'));
  return { name: 'parallel_scale', buffers: [X, Y], scalars: [R], body };
}

/**
 * Register-tiled matmul micro-kernel: C[M, N] = A[M, K] @ B[K, N] with R unrolled rows and a
 * W-lane vector over N held in a local accumulator. Requires M % R == 0 and N % W == 0.
 */
export function tiledMatmul(R: number, W: number, parallel = true): Kernel {
  const [A, B, C] = ['A', 'B', 'C'].map((n) => buffer(n, 'float32'));
  const acc = buffer('acc', 'float32', 'local');
  const [M, N, K] = ['M', 'N', 'K'].map((n) => variable(n));
  const [io, jo, i, j, k] = ['io', 'jo', 'i', 'j', 'k'].map((n) => variable(n));
  const a = (s: Stmt): Stmt => loop(i, R, loop(j, W, s, 'vectorize'), 'unroll');
  const ai = add(mul(i, W), j);
  const row = add(mul(io, R), i);
  const col = add(mul(jo, W), j);
  const fma = add(mul(load(A, add(mul(row, K), k)), load(B, add(mul(k, N), col))), load(acc, ai));
  const body = loop(io, floordiv(M, R), loop(jo, floordiv(N, W), alloc(acc, R * W, seq(
    a(store(acc, ai, f32(0))),
    loop(k, K, a(store(acc, ai, fma))),
    a(store(C, add(mul(row, N), col), load(acc, ai)))))), parallel ? 'parallel' : 'serial');
  return { name: `matmul_r${R}_w${W}`, buffers: [A, B, C], scalars: [M, N, K], body };
}

/**
 * Conv-like nest in NCHWc layout: Y[oh, ow, c] = sum_{ic, kh, kw} X[ic, oh+kh, ow+kw] *
 * Wt[ic, kh, kw, c] with c a W-lane vector and 4 output columns unrolled. OW % 4 == 0.
 */
export function convNest(W: number): Kernel {
  const [X, Wt, Y] = ['X', 'Wt', 'Y'].map((n) => buffer(n, 'float32'));
  const acc = buffer('acc', 'float32', 'local');
  const [IC, OH, OW] = ['IC', 'OH', 'OW'].map((n) => variable(n));
  const [oh, owo, u, c, ic, kh, kw] = ['oh', 'owo', 'u', 'c', 'ic', 'kh', 'kw'].map((n) => variable(n));
  const IW = add(OW, 2);
  const IH = add(OH, 2);
  const ow = add(mul(owo, 4), u);
  const a = (s: Stmt): Stmt => loop(u, 4, loop(c, W, s, 'vectorize'), 'unroll');
  const ai = add(mul(u, W), c);
  const x = load(X, add(mul(add(mul(ic, IH), add(oh, kh)), IW), add(ow, kw)));
  const wt = load(Wt, add(mul(add(mul(add(mul(ic, 3), kh), 3), kw), W), c));
  const body = loop(oh, OH, loop(owo, floordiv(OW, 4), alloc(acc, 4 * W, seq(
    a(store(acc, ai, f32(0))),
    loop(ic, IC, loop(kh, 3, loop(kw, 3, a(store(acc, ai, add(mul(x, wt), load(acc, ai))))))),
    a(store(Y, add(mul(add(mul(oh, OW), ow), W), c), load(acc, ai)))))), 'parallel');
  return { name: `conv_nest_w${W}`, buffers: [X, Wt, Y], scalars: [IC, OH, OW], body };
}

/** Integer division family on dtype d, scalar (w = 1) or vectorised. */
export function intDivision(d: DType, w: number): Kernel {
  const [A, B, Q, F, M] = ['A', 'B', 'Q', 'F', 'M'].map((n) => buffer(n, d));
  const [n, i] = ['n', 'i'].map((x) => variable(x));
  const s = seq(store(Q, i, div(load(A, i), load(B, i))), store(F, i, floordiv(load(A, i), load(B, i))),
    store(M, i, mod(load(A, i), load(B, i))));
  const body = lanesLoop(n, w, i, s);
  return { name: `intdiv_${d}_w${w}`, buffers: [A, B, Q, F, M], scalars: [n], body };
}

/** NaN-sensitive selects and min/max: relu, min, isnan replacement, and float->int casts. */
export function nanSelect(w: number): Kernel {
  const [X, Yb, R, Mn, S, I, Bo] = [buffer('X', 'float32'), buffer('Yb', 'float32'), buffer('R', 'float32'),
    buffer('Mn', 'float32'), buffer('S', 'float32'), buffer('I', 'int32'), buffer('Bo', 'bool')];
  const [n, i] = ['n', 'i'].map((x) => variable(x));
  const x = load(X, i);
  const s = seq(store(R, i, max(x, f32(0))), store(Mn, i, min(x, load(Yb, i))),
    store(S, i, select(unary('isnan', x), f32(-1), x)), store(I, i, cast(x, 'int32')),
    store(Bo, i, binary('gt', x, load(Yb, i))));
  const body = lanesLoop(n, w, i, s);
  return { name: `nan_select_w${w}`, buffers: [X, Yb, R, Mn, S, I, Bo], scalars: [n], body };
}

/** float32 -> uint8, int8, uint16, int16 casts (saturating, NaN 0), vectorised by w. */
export function narrowCasts(w: number): Kernel {
  const X = buffer('X', 'float32');
  const outs = (['uint8', 'int8', 'uint16', 'int16'] as const).map((d) => buffer(`Y_${d}`, d));
  const [n, i] = ['n', 'i'].map((x) => variable(x));
  const s = seq(outs.map((o) => store(o, i, cast(load(X, i), o.dtype))));
  return { name: `narrow_casts_w${w}`, buffers: [X, ...outs], scalars: [n], body: lanesLoop(n, w, i, s) };
}

export const UNARY_MATH: readonly UnOp[] = ['exp', 'log', 'tanh', 'erf', 'sigmoid', 'sqrt', 'abs',
  'floor', 'round', 'sign', 'neg', 'rsqrt', 'atan'];

/** Y_op[i] = op(X[i]) for every op in UNARY_MATH, vectorised by w (w = 1: scalar code). */
export function unaryMath(w: number): Kernel {
  const X = buffer('X', 'float32');
  const outs = UNARY_MATH.map((op) => buffer(`Y_${op}`, 'float32'));
  const [n, i] = ['n', 'i'].map((x) => variable(x));
  const s = seq(UNARY_MATH.map((op, k) => store(outs[k], i, unary(op, load(X, i)))));
  const body = lanesLoop(n, w, i, s);
  return { name: `unary_math_w${w}`, buffers: [X, ...outs], scalars: [n], body };
}

/** Mixed dtypes: float16 and float64 arithmetic, uint8 wrap-around, bool logic, int64 casts. */
export function mixedTypes(w: number): Kernel {
  const H = buffer('H', 'float16');
  const U = buffer('U', 'uint8');
  const Bo = buffer('Bo', 'bool');
  const D = buffer('D', 'float64');
  const [Ho, Uo, Bout, Do, Io] = [buffer('Ho', 'float16'), buffer('Uo', 'uint8'), buffer('Bout', 'bool'),
    buffer('Do', 'float64'), buffer('Io', 'int64')];
  const [n, i] = ['n', 'i'].map((x) => variable(x));
  const d = load(D, i);
  const s = seq(
    store(Ho, i, mul(load(H, i), imm(1.5, 'float16'))),
    store(Uo, i, add(load(U, i), imm(200, 'uint8'))),
    store(Bout, i, binary('xor', unary('not', load(Bo, i)), binary('gt', load(U, i), imm(100, 'uint8')))),
    store(Do, i, add(add(unary('tanh', d), unary('erf', d)),
      add(unary('exp', d), cast(load(H, i), 'float64')))),
    store(Io, i, add(cast(mul(d, imm(1000, 'float64')), 'int64'), cast(load(U, i), 'int64'))));
  const body = lanesLoop(n, w, i, s);
  return { name: `mixed_types_w${w}`, buffers: [H, U, Bo, D, Ho, Uo, Bout, Do, Io], scalars: [n], body };
}

/**
 * A serial reduction loop inside a vector loop (uniform bounds, lane-varying accumulators in
 * the output), a lane-varying `if` with an else arm, and an assert evaluated over lanes.
 */
export function vecInnerLoop(w: number): Kernel {
  const [A, B, C] = ['A', 'B', 'C'].map((x) => buffer(x, 'float32'));
  const [N, Kd, jo, j, k, col] = ['N', 'K', 'jo', 'j', 'k', 'col'].map((x) => variable(x));
  const cidx = col;
  const inner = letIn(col, add(mul(jo, w), j), ifThen(lt(col, N), seq(
    { kind: 'assert', cond: binary('ne', load(B, col), f32(100)), code: 9 } as Stmt,
    store(C, cidx, f32(0)),
    loop(k, Kd, store(C, cidx, add(mul(load(A, k), load(B, add(mul(k, N), col))), load(C, cidx)))),
    ifThen(lt(load(C, cidx), f32(0)), store(C, cidx, unary('neg', load(C, cidx))),
      store(C, cidx, mul(load(C, cidx), select(binary('gt', Kd, 2), load(A, 0), f32(2))))))));
  const body = loop(jo, floordiv(add(N, w - 1), w), loop(j, w, inner, 'vectorize'));
  return { name: `vec_inner_loop_w${w}`, buffers: [A, B, C], scalars: [N, Kd], body };
}

/**
 * Y[r, i] = clip(X[r, i] + B[r], lo, hi) as Clip lowers it behind a fused conv: nested selects
 * whose arms repeat the loads of their conditions, over rows of n with a masked tail.
 */
export function clipBias(w: number): Kernel {
  const [X, B, L, Y] = ['X', 'B', 'L', 'Y'].map((x) => buffer(x, 'float32'));
  const [R, n, r, o, v, i] = ['R', 'n', 'r', 'o', 'v', 'i'].map((x) => variable(x));
  const at = add(mul(r, n), i);
  const x = add(load(X, at), load(B, r));
  const [lo, hi] = [load(L, 0), load(L, 1)];
  const low = select(lt(x, lo), lo, x);
  const val = select(binary('gt', low, hi), hi, low);
  const body = loop(r, R, loop(o, floordiv(add(n, w - 1), w), loop(v, w, letIn(i, add(mul(o, w), v),
    ifThen(lt(i, n), store(Y, at, val))), 'vectorize')));
  return { name: `clip_bias_w${w}`, buffers: [X, B, L, Y], scalars: [R, n], body };
}

/**
 * Y[s*i + phase] = X[i] + 1 for i < n: stride-s stores (one masked store of W*s lanes), whole
 * vectors unmasked, then a masked tail; the other elements of Y must keep their contents.
 */
export function stridedStore(w: number, s: number): Kernel {
  const [X, Y] = ['X', 'Y'].map((n) => buffer(n, 'float32'));
  const [n, phase] = [variable('n'), variable('phase')];
  const [o, v, i, tv, ti] = ['o', 'v', 'i', 'tv', 'ti'].map((x) => variable(x));
  const st = (at: Var): Stmt => store(Y, add(mul(at, s), phase), add(load(X, at), f32(1)));
  const whole = loop(o, floordiv(n, w), loop(v, w, letIn(i, add(mul(o, w), v), st(i)), 'vectorize'));
  const tail = loop(tv, w, letIn(ti, add(mul(floordiv(n, w), w), tv), ifThen(lt(ti, n), st(ti))),
    'vectorize');
  return { name: `strided_store_s${s}`, buffers: [X, Y], scalars: [n, phase], body: seq(whole, tail) };
}

/**
 * Y[o*w + v] = X[off + o*k + v // s] + 1 for o*w + v < n, k = ceil(w / s): loads whose lanes
 * repeat each element s times (one load of k elements and a shuffle), whole vectors unmasked,
 * then a masked tail, also where s does not divide w (the last element repeats fewer times).
 */
export function repeatedLoad(w: number, s: number): Kernel {
  const [X, Y] = ['X', 'Y'].map((n) => buffer(n, 'float32'));
  const [n, off] = [variable('n'), variable('off')];
  const [o, v, tv] = ['o', 'v', 'tv'].map((x) => variable(x));
  const k = Math.ceil(w / s);
  const st = (vec: Expr, lane: Var): Stmt => store(Y, add(mul(vec, w), lane),
    add(load(X, add(add(off, mul(vec, k)), floordiv(lane, s))), f32(1)));
  const whole = loop(o, floordiv(n, w), loop(v, w, st(o, v), 'vectorize'));
  const full = floordiv(n, w);
  const tail = loop(tv, w, ifThen(lt(add(mul(full, w), tv), n), st(full, tv)), 'vectorize');
  return { name: `repeated_load_s${s}`, buffers: [X, Y], scalars: [n, off], body: seq(whole, tail) };
}
