// Loads and stores of tensor-IR buffers, lane-aware. In a vector context (W lanes, active-lane
// mask M or all lanes):
//   index uniform, no mask        -> scalar load (broadcast later only if needed) / scalar store
//   index uniform, partial mask   -> load: one-element masked load if any lane is active;
//                                    store: masked scatter through splatted pointers
//   index ramp with stride 1      -> one vector load/store (llvm.masked.load/store under a mask)
//   ramp with stride 2..4          -> load: one masked load of W*stride elements + a shuffle;
//                                    store: a shuffle + one masked store of W*stride elements
//   ramp of stride 1 repeating each element for r lanes
//                                  -> load: one (masked) load of ceil(W/r) elements + a shuffle
//                                    that repeats each r times (stores: a scatter)
//   any other index               -> llvm.masked.gather / llvm.masked.scatter
// A store of lane-varying values to a uniform index writes the last active lane (lanes must be
// independent; see ir/tir-interp.ts). Memory types: bool is i8 (0/1), float16 is half, bfloat16
// and float8 are their bits (i16, i8), widened and narrowed by small-floats.ts.
// Requires: buffer pointers typed as memTy(dtype)*. Guarantees: inactive lanes never touch
// memory; element alignment only (offsets are not known to be vector aligned).

import type { DType } from '../../ir/dtype.js';
import type { Buffer } from '../../ir/tir.js';
import { allOnes, broadcast, repOf, toVec, uni } from './lanes.js';
import type { Cx, Val } from './lanes.js';
import { smallFloat } from '../../ir/small-floats.js';
import { emitNarrow, emitWiden } from './small-floats.js';
import { alignOf, mangle, memTy, regTy, vecTy } from './types.js';

function elemPtr(cx: Cx, buf: Buffer, idx: string): string {
  const ref = cx.scope.buf(buf.name);
  const mt = memTy(ref.dtype);
  return cx.f.b.emit(`getelementptr inbounds ${mt}, ${mt}* ${ref.ptr}, i64 ${idx}`);
}

/** Memory value (mt or <W x mt>) -> register value. */
function fromMem(cx: Cx, d: DType, w: number, v: string): string {
  const mt = memTy(d);
  if (d === 'bool') return cx.f.b.emit(`icmp ne ${vecTy(w, mt)} ${v}, ${w === 1 ? '0' : 'zeroinitializer'}`);
  if (d === 'float16') return cx.f.b.emit(`fpext ${vecTy(w, mt)} ${v} to ${vecTy(w, 'float')}`);
  const sf = smallFloat(d);
  return sf ? emitWiden(cx.f.b, sf, w, v) : v;
}

/** Register value -> memory value. */
function toMem(cx: Cx, d: DType, w: number, v: string): string {
  const mt = memTy(d);
  if (d === 'bool') return cx.f.b.emit(`zext ${vecTy(w, 'i1')} ${v} to ${vecTy(w, mt)}`);
  if (d === 'float16') return cx.f.b.emit(`fptrunc ${vecTy(w, 'float')} ${v} to ${vecTy(w, mt)}`);
  const sf = smallFloat(d);
  return sf ? emitNarrow(cx.f.b, sf, w, v) : v;
}

/** <W x mt*> pointers for a general index value. */
function lanePtrs(cx: Cx, buf: Buffer, idx: Val): string {
  const ref = cx.scope.buf(buf.name);
  const mt = memTy(ref.dtype);
  if (idx.k === 'u') {
    const p = elemPtr(cx, buf, idx.v);
    return broadcast(cx.f.b, cx.w, `${mt}*`, p);
  }
  const iv = toVec(cx, idx);
  return cx.f.b.emit(`getelementptr inbounds ${mt}, ${mt}* ${ref.ptr}, <${cx.w} x i64> ${iv}`);
}

export function emitLoad(cx: Cx, buf: Buffer, idx: Val): Val {
  const d = cx.scope.buf(buf.name).dtype;
  const mt = memTy(d);
  const rt = regTy(d);
  const b = cx.f.b;
  const al = alignOf(mt);
  if (idx.k === 'u' && (cx.w === 1 || cx.mask === null)) {
    const v = b.emit(`load ${mt}, ${mt}* ${elemPtr(cx, buf, idx.v)}, align ${al}`);
    return uni(rt, fromMem(cx, d, 1, v));
  }
  if (idx.k === 'u') return uniformMaskedLoad(cx, buf, idx.v, cx.mask!);
  const VT = vecTy(cx.w, mt);
  const M = `<${cx.w} x i1>`;
  const mask = cx.mask ?? allOnes(cx.w);
  const rep = repOf(idx);
  if (idx.k === 'r' && rep > 1) {
    return idx.stride === 1 ? repeatLoad(cx, buf, idx.base, rep) : gather(cx, buf, idx, mask);
  }
  if (idx.k === 'r' && idx.stride === 1) {
    const vp = b.emit(`bitcast ${mt}* ${elemPtr(cx, buf, idx.base)} to ${VT}*`);
    const v = cx.mask === null
      ? b.emit(`load ${VT}, ${VT}* ${vp}, align ${al}`)
      : b.intrinsic(`llvm.masked.load.${mangle(VT)}.${mangle(VT + '*')}`, VT,
        [[`${VT}*`, vp], ['i32', String(al)], [M, mask], [VT, 'undef']]);
    return { k: 'v', t: rt, v: fromMem(cx, d, cx.w, v) };
  }
  if (idx.k === 'r' && idx.stride >= 2 && idx.stride <= 4) return stridedLoad(cx, buf, idx.base, idx.stride);
  return gather(cx, buf, idx, mask);
}

function gather(cx: Cx, buf: Buffer, idx: Val, mask: string): Val {
  const d = cx.scope.buf(buf.name).dtype;
  const mt = memTy(d), VT = vecTy(cx.w, mt), PT = vecTy(cx.w, `${mt}*`);
  const v = cx.f.b.intrinsic(`llvm.masked.gather.${mangle(VT)}.${mangle(PT)}`, VT,
    [[PT, lanePtrs(cx, buf, idx)], ['i32', String(alignOf(mt))], [`<${cx.w} x i1>`, mask], [VT, 'undef']]);
  return { k: 'v', t: regTy(d), v: fromMem(cx, d, cx.w, v) };
}

/**
 * Lane i reads element base + floor(i / r): one load of the ceil(W / r) elements the lanes need
 * and a shuffle repeating each for r lanes, where a gather would load W single elements. Under a
 * mask an element is loaded when any of its r lanes is active, so nothing else is touched.
 */
function repeatLoad(cx: Cx, buf: Buffer, base: string, r: number): Val {
  const d = cx.scope.buf(buf.name).dtype;
  const mt = memTy(d), al = alignOf(mt), b = cx.f.b, n = Math.ceil(cx.w / r);
  if (n === 1) return emitLoad(cx, buf, uni('i64', base)); // one element for every lane
  const NT = vecTy(n, mt);
  const vp = b.emit(`bitcast ${mt}* ${elemPtr(cx, buf, base)} to ${NT}*`);
  let part: string;
  if (cx.mask === null) part = b.emit(`load ${NT}, ${NT}* ${vp}, align ${al}`);
  else {
    const M = `<${cx.w} x i1>`, N = `<${n} x i1>`;
    const lanesOf = (k: number) => Array.from({ length: n }, (_, e) => `i32 ${Math.min(e * r + k, cx.w)}`);
    const group = Array.from({ length: r }, (_, k) =>
      b.emit(`shufflevector ${M} ${cx.mask}, ${M} zeroinitializer, <${n} x i32> <${lanesOf(k).join(', ')}>`));
    const any = group.reduce((p, q) => b.emit(`or ${N} ${p}, ${q}`));
    part = b.intrinsic(`llvm.masked.load.${mangle(NT)}.${mangle(NT + '*')}`, NT,
      [[`${NT}*`, vp], ['i32', String(al)], [N, any], [NT, 'undef']]);
  }
  const picks = Array.from({ length: cx.w }, (_, i) => `i32 ${Math.floor(i / r)}`).join(', ');
  const v = b.emit(`shufflevector ${NT} ${part}, ${NT} undef, <${cx.w} x i32> <${picks}>`);
  return { k: 'v', t: regTy(d), v: fromMem(cx, d, cx.w, v) };
}

/**
 * One element for every lane under a partial mask (a bias or a Clip bound read in a masked tail):
 * a one-element masked load when any lane is active, instead of a gather of W copies.
 */
function uniformMaskedLoad(cx: Cx, buf: Buffer, idx: string, mask: string): Val {
  const d = cx.scope.buf(buf.name).dtype;
  const mt = memTy(d), al = alignOf(mt), b = cx.f.b, T = `<1 x ${mt}>`;
  const any = b.intrinsic(`llvm.vector.reduce.or.v${cx.w}i1`, 'i1', [[`<${cx.w} x i1>`, mask]]);
  const m1 = b.emit(`insertelement <1 x i1> undef, i1 ${any}, i32 0`);
  const vp = b.emit(`bitcast ${mt}* ${elemPtr(cx, buf, idx)} to ${T}*`);
  const v1 = b.intrinsic(`llvm.masked.load.${mangle(T)}.${mangle(T + '*')}`, T,
    [[`${T}*`, vp], ['i32', String(al)], ['<1 x i1>', m1], [T, 'undef']]);
  return uni(regTy(d), fromMem(cx, d, 1, b.emit(`extractelement ${T} ${v1}, i32 0`)));
}

/**
 * A ramp load with a small constant stride s: one masked load of W*s contiguous elements whose
 * active lanes are exactly the W wanted ones (so nothing else is touched), then a shuffle that
 * keeps every s-th lane. Cheaper than a gather where gathers are microcoded.
 */
function stridedLoad(cx: Cx, buf: Buffer, base: string, s: number): Val {
  const d = cx.scope.buf(buf.name).dtype;
  const mt = memTy(d), al = alignOf(mt), b = cx.f.b, W = cx.w * s;
  const WT = vecTy(W, mt), M = `<${W} x i1>`;
  const picks = Array.from({ length: W }, (_, i) => (i % s === 0 ? i / s : cx.w));
  const mask = cx.mask === null
    ? `<${picks.map((p) => `i1 ${p < cx.w ? 'true' : 'false'}`).join(', ')}>`
    : b.emit(`shufflevector <${cx.w} x i1> ${cx.mask}, <${cx.w} x i1> zeroinitializer, `
      + `<${W} x i32> <${picks.map((p) => `i32 ${p}`).join(', ')}>`);
  const vp = b.emit(`bitcast ${mt}* ${elemPtr(cx, buf, base)} to ${WT}*`);
  const wide = b.intrinsic(`llvm.masked.load.${mangle(WT)}.${mangle(WT + '*')}`, WT,
    [[`${WT}*`, vp], ['i32', String(al)], [M, mask], [WT, 'undef']]);
  const keep = Array.from({ length: cx.w }, (_, i) => `i32 ${i * s}`).join(', ');
  const v = b.emit(`shufflevector ${WT} ${wide}, ${WT} undef, <${cx.w} x i32> <${keep}>`);
  return { k: 'v', t: regTy(d), v: fromMem(cx, d, cx.w, v) };
}

export function emitStore(cx: Cx, buf: Buffer, idx: Val, value: Val): void {
  const d = cx.scope.buf(buf.name).dtype;
  const mt = memTy(d);
  const b = cx.f.b;
  const al = alignOf(mt);
  if (idx.k === 'u' && value.k === 'u' && (cx.w === 1 || cx.mask === null)) {
    const v = toMem(cx, d, 1, value.v);
    b.instr(`store ${mt} ${v}, ${mt}* ${elemPtr(cx, buf, idx.v)}, align ${al}`);
    return;
  }
  const VT = vecTy(cx.w, mt);
  const M = `<${cx.w} x i1>`;
  const v = toMem(cx, d, cx.w, toVec(cx, value));
  if (idx.k === 'r' && repOf(idx) === 1 && idx.stride === 1) {
    const vp = b.emit(`bitcast ${mt}* ${elemPtr(cx, buf, idx.base)} to ${VT}*`);
    if (cx.mask === null) b.instr(`store ${VT} ${v}, ${VT}* ${vp}, align ${al}`);
    else {
      b.intrinsic(`llvm.masked.store.${mangle(VT)}.${mangle(VT + '*')}`, 'void',
        [[VT, v], [`${VT}*`, vp], ['i32', String(al)], [M, cx.mask]]);
    }
    return;
  }
  if (idx.k === 'r' && repOf(idx) === 1 && idx.stride >= 2 && idx.stride <= 4) {
    stridedStore(cx, buf, idx.base, idx.stride, v);
    return;
  }
  const PT = vecTy(cx.w, `${mt}*`);
  b.intrinsic(`llvm.masked.scatter.${mangle(VT)}.${mangle(PT)}`, 'void',
    [[VT, v], [PT, lanePtrs(cx, buf, idx)], ['i32', String(al)], [M, cx.mask ?? allOnes(cx.w)]]);
}

/**
 * The store twin of stridedLoad: the W values spread to every s-th lane of a W*s vector, stored
 * with a mask of exactly those lanes (and the active ones), so the elements in between are not
 * touched: another lane group, or another thread, may own them. One or two masked vector stores
 * where a scatter would be W single-element stores.
 */
function stridedStore(cx: Cx, buf: Buffer, base: string, s: number, v: string): void {
  const mt = memTy(cx.scope.buf(buf.name).dtype), al = alignOf(mt), b = cx.f.b, W = cx.w * s;
  const WT = vecTy(W, mt), VT = vecTy(cx.w, mt);
  const picks = Array.from({ length: W }, (_, i) => (i % s === 0 ? i / s : cx.w));
  const mask = cx.mask === null
    ? `<${picks.map((p) => `i1 ${p < cx.w ? 'true' : 'false'}`).join(', ')}>`
    : b.emit(`shufflevector <${cx.w} x i1> ${cx.mask}, <${cx.w} x i1> zeroinitializer, `
      + `<${W} x i32> <${picks.map((p) => `i32 ${p}`).join(', ')}>`);
  const spread = picks.map((p) => (p < cx.w ? `i32 ${p}` : 'i32 undef')).join(', ');
  const wide = b.emit(`shufflevector ${VT} ${v}, ${VT} undef, <${W} x i32> <${spread}>`);
  const vp = b.emit(`bitcast ${mt}* ${elemPtr(cx, buf, base)} to ${WT}*`);
  b.intrinsic(`llvm.masked.store.${mangle(WT)}.${mangle(WT + '*')}`, 'void',
    [[WT, wide], [`${WT}*`, vp], ['i32', String(al)], [`<${W} x i1>`, mask]]);
}
